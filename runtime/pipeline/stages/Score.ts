/**
 * Score: scores every gold customer with the run's planned version
 * (plannedVersion: the approved candidate, else the champion PlanModel
 * pinned), assigns risk tiers and, for a tree model, writes the per-customer
 * TreeSHAP contributions and the feature importance (runtime/scoring/).
 */
import type { Table } from "../../io/tables.ts";
import {
	BASE_ACCESS,
	defineStage,
	NoChampionError,
	plannedVersion,
	type RunState,
	type StagePlatform,
} from "./stage.ts";

export const Score = defineStage({
	name: "Score",
	resultPath: "$.score",
	summary: { key: "score" },
	lambda: {
		access: {
			...BASE_ACCESS,
			registry: "read",
			reads: ["runs/*/gold/*", "models/*"],
			// monitoring/: the realized-performance record of a labelled score-mode batch.
			writes: ["runs/*/scored/*", "runs/*/monitoring/*"],
		},
		sizing: { memoryMb: 2048, timeoutSeconds: 600, ephemeralStorageMb: 1024 },
	},
	task: {
		cpu: 4096,
		memoryMb: 16384,
		ephemeralStorageGiB: 30,
		timeoutSeconds: 7200,
	},
	async run(s: RunState, p: StagePlatform) {
		const { loadVersion } = await import("../../scoring/champion.ts");
		const {
			contributionsTable,
			explainCustomers,
			explanationSummary,
			importanceTable,
		} = await import("../../scoring/explanations.ts");
		const { scoreCustomers, tierCounts } = await import(
			"../../scoring/score.ts"
		);
		const { readTable, saveTable } = await import("./lake-tables.ts");
		const planned = plannedVersion(s);
		const champion = planned && (await loadVersion(p.registry, planned));
		if (!champion)
			throw new NoChampionError(
				"no approved model is registered yet, so nothing can score this batch: the candidate was rejected by the promotion gate (see the Train stage). Small batches rarely reach it; for a trial run lower it with --gate.",
			);
		const gold = await readTable(p, s.runId, "gold", "gold_customer");
		// TreeSHAP when the champion is a tree model (runtime/scoring/explanations.ts).
		const explanation = explainCustomers(gold, champion.artifact);
		const scored = scoreCustomers(gold, champion.artifact, champion.model, {
			modelVersion: champion.version.version,
			explanation,
		});
		await saveTable(p, s.runId, "scored", undefined, "scores", scored);
		if (explanation) {
			const save = (name: string, t: Table) =>
				saveTable(p, s.runId, "scored", undefined, name, t);
			await save("contributions", contributionsTable(explanation));
			await save("feature_importance", importanceTable(explanation));
		}
		const tiers = tierCounts(scored);
		// A labelled batch scored by an existing champion: how did it actually do?
		const realized =
			s.plan?.action === "score"
				? await (
						await import("../../monitoring/realized-check.ts")
					).checkRealizedPerformance(p, {
						runId: s.runId,
						batchId: s.batchId,
						gold,
						scored,
						modelVersion: champion.version.version,
						gate: s.gate,
					})
				: undefined;
		const out = {
			modelVersion: champion.version.version,
			customers: scored.numRows(),
			tiers,
			explanations: explanation ? explanationSummary(explanation) : null,
			realized: realized ?? null,
		};
		return {
			output: out,
			record: { rows: { scores: scored.numRows() }, detail: out },
		};
	},
});
