/**
 * Train: fits the candidate model on gold, compares it with the planned
 * champion on the same test rows and registers it approved or rejected
 * (runtime/model/train.ts, docs/models.md "Promotion"). It never moves the
 * champion: MarkSucceeded promotes an approved candidate. A rejected one
 * raises model_rejected, and the planned champion scores the run.
 */
import type {
	GateDecision,
	ModelVersion,
	PromotionDecision,
} from "../../model/registry.ts";
import type { TrainResult } from "../../model/train.ts";
import {
	BASE_ACCESS,
	defineStage,
	type RunState,
	type StagePlatform,
} from "./stage.ts";

/** What Train returns (its ResultPath, $.train, and its manifest detail). */
export type TrainOutput = {
	version: string;
	/** approved: MarkSucceeded promotes it; rejected: the champion stays. */
	status: ModelVersion["status"];
	reason: string;
	prAuc: number;
	rocAuc: number;
	gate: GateDecision;
	/** The comparison with the planned champion (null on a version registered without one). */
	promotion: PromotionDecision | null;
	/** The version that scores this run: the approved candidate, else the planned champion. */
	scoringVersion: string | null;
	/** A retried Train: the run's version was registered already, nothing was fitted. */
	reused: boolean;
	timings: TrainResult["timings"];
};

export const Train = defineStage({
	name: "Train",
	resultPath: "$.train",
	// Only when PlanModel decided to train (mode train, or auto without a champion).
	runsIf: {
		choiceState: "ModelMode",
		variable: "$.plan.action",
		equals: "train",
	},
	lambda: {
		// models/* reads for runs with an existing champion.
		access: {
			...BASE_ACCESS,
			registry: "readwrite",
			reads: ["runs/*/gold/*", "models/*"],
			writes: ["models/*"],
		},
		// Two XGBoost fits in parallel worker threads: ≥ 2 vCPUs (3538 MB).
		sizing: { memoryMb: 4096, timeoutSeconds: 900, ephemeralStorageMb: 2048 },
	},
	// The most CPU of the tasks, for the same reason.
	task: {
		cpu: 8192,
		memoryMb: 61440,
		ephemeralStorageGiB: 50,
		timeoutSeconds: 14400,
	},
	// The gate decision, with the candidate it was about.
	summary: {
		key: "gate",
		value: (s: RunState) =>
			s.train ? { version: s.train.version, ...s.train.gate } : null,
	},
	async run(s: RunState, p: StagePlatform) {
		const { trainAndRegister } = await import("../../model/train.ts");
		const { readTable } = await import("./lake-tables.ts");
		const gold = await readTable(p, s.runId, "gold", "gold_customer");
		const champion = s.plan?.champion ?? null;
		const r = await trainAndRegister(gold, {
			runId: s.runId,
			registry: p.registry,
			gate: s.gate,
			promotionMargin: s.promotionMargin,
			champion,
			seed: s.seed,
		});
		const approved = r.version.status === "approved";
		const out: TrainOutput = {
			version: r.version.version,
			status: r.version.status,
			reason: r.version.reason,
			prAuc: r.evaluation.metrics.pr_auc,
			rocAuc: r.evaluation.metrics.roc_auc,
			gate: r.gate,
			promotion: r.promotion ?? null,
			scoringVersion: approved ? r.version.version : champion,
			reused: r.reused,
			timings: r.timings,
		};
		// A retried Train raised it the first time.
		if (!approved && !r.reused)
			await p.alerts.raise({
				kind: "model_rejected",
				runId: s.runId,
				batchId: s.batchId,
				message: `candidate ${r.version.version} rejected: ${r.version.reason}${champion ? `; ${champion} stays champion and scores this run` : ""}`,
			});
		return { output: out, record: { detail: out } };
	},
});
