/**
 * Recommend: one retention action per scored customer, with reason codes
 * from Score's contributions when it wrote them (runtime/scoring/recommendations.ts).
 */
import {
	BASE_ACCESS,
	defineStage,
	type RunState,
	type StagePlatform,
} from "./stage.ts";

export const Recommend = defineStage({
	name: "Recommend",
	resultPath: "$.recommend",
	summary: { key: "recommendations" },
	lambda: {
		access: {
			...BASE_ACCESS,
			reads: ["runs/*/gold/*", "runs/*/scored/*"],
			writes: ["runs/*/scored/*"],
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
		const { lakeKeys } = await import("../../io/lake.ts");
		const { recommend, recommendationsTable } = await import(
			"../../scoring/recommendations.ts"
		);
		const { readTable, saveTable } = await import("./lake-tables.ts");
		const [scored, gold] = await Promise.all([
			readTable(p, s.runId, "scored", "scores"),
			readTable(p, s.runId, "gold", "gold_customer"),
		]);
		// Reason codes from the Score stage's contributions when it wrote them.
		const shap = lakeKeys.table(s.runId, "scored", "contributions");
		const contributions = (await p.store.exists(shap))
			? await readTable(p, s.runId, "scored", "contributions")
			: undefined;
		const recs = recommend(scored, gold, contributions);
		const table = recommendationsTable(recs);
		await saveTable(p, s.runId, "scored", undefined, "recommendations", table);
		const byAction: Record<string, number> = {};
		for (const r of recs) byAction[r.action] = (byAction[r.action] ?? 0) + 1;
		return {
			output: { recommendations: recs.length, byAction },
			record: {
				rows: { recommendations: recs.length },
				detail: { byAction },
			},
		};
	},
});
