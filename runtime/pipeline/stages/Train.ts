/**
 * Train: fits the candidate model on gold, registers it and applies the
 * promotion gate (runtime/model/train.ts); a rejected candidate raises a
 * model_rejected alert and leaves the champion as it was.
 */
import {
	BASE_ACCESS,
	defineStage,
	type RunState,
	type StagePlatform,
} from "./stage.ts";

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
	async run(s: RunState, p: StagePlatform) {
		const { trainAndRegister } = await import("../../model/train.ts");
		const { readTable } = await import("./lake-tables.ts");
		const gold = await readTable(p, s.runId, "gold", "gold_customer");
		const r = await trainAndRegister(gold, {
			runId: s.runId,
			registry: p.registry,
			gate: s.gate,
			seed: s.seed,
		});
		const out = {
			version: r.version.version,
			status: r.version.status,
			prAuc: r.evaluation.metrics.pr_auc,
			rocAuc: r.evaluation.metrics.roc_auc,
			gate: r.gate,
			timings: r.timings,
		};
		if (!r.gate.passed)
			await p.alerts.raise({
				kind: "model_rejected",
				runId: s.runId,
				batchId: s.batchId,
				message: `candidate ${r.version.version} rejected: PR-AUC ${r.gate.value.toFixed(3)} < ${r.gate.minimum}`,
			});
		return { output: out, record: { detail: out } };
	},
});
