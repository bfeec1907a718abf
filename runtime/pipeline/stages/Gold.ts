/**
 * Gold: one row per customer with every model feature at the as-of date
 * (runtime/features/), checked against the gold contract.
 */
import {
	BASE_ACCESS,
	defineStage,
	type RunState,
	type StagePlatform,
	type StageProgress,
} from "./stage.ts";

export const Gold = defineStage({
	name: "Gold",
	resultPath: "$.gold",
	lambda: {
		access: {
			...BASE_ACCESS,
			reads: ["runs/*/silver/*"],
			writes: ["runs/*/gold/*", "runs/*/quality/*"],
		},
		sizing: { memoryMb: 3008, timeoutSeconds: 900, ephemeralStorageMb: 2048 },
	},
	task: {
		cpu: 4096,
		memoryMb: 30720,
		ephemeralStorageGiB: 50,
		timeoutSeconds: 7200,
	},
	async run(s: RunState, p: StagePlatform, progress: StageProgress) {
		const { buildGold } = await import("../../features/build-gold.ts");
		const { GOLD_CONTRACT } = await import("../../features/gold-contract.ts");
		const { resolveTolerances } = await import("../../monitoring/quality.ts");
		const { readTable, saveTable } = await import("./lake-tables.ts");
		const [sc, scm] = await Promise.all([
			readTable(p, s.runId, "silver", "silver_customer"),
			readTable(p, s.runId, "silver", "silver_customer_month"),
		]);
		const asOfDate = s.bronze?.asOfDate;
		if (!asOfDate)
			throw new Error("Gold needs the as-of date from BronzeReduce");
		const gold = buildGold(sc, scm, { asOfDate });
		const rows = { gold_customer: gold.numRows() };
		progress.rows = rows;
		await saveTable(
			p,
			s.runId,
			"gold",
			{ contract: GOLD_CONTRACT, tolerances: resolveTolerances(s.quality) },
			"gold_customer",
			gold,
		);
		return {
			output: { rows, asOfDate },
			record: { rows, detail: { asOfDate, columns: gold.numCols() } },
		};
	},
});
