/**
 * Silver: cleans and imputes the bronze tables and scores the CRM notes'
 * sentiment (docs/data-quality.md), then checks silver_customer and
 * silver_customer_month against their contracts.
 */
import {
	BASE_ACCESS,
	defineStage,
	type RunState,
	type StagePlatform,
	type StageProgress,
} from "./stage.ts";

export const Silver = defineStage({
	name: "Silver",
	resultPath: "$.silver",
	lambda: {
		access: {
			...BASE_ACCESS,
			reads: ["runs/*/bronze/*"],
			writes: ["runs/*/silver/*", "runs/*/quality/*"],
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
		const { createSentimentScorer } = await import(
			"../../data/nlp/sentiment.ts"
		);
		const { buildSilver } = await import("../../data/silver/build-silver.ts");
		const { SILVER_CUSTOMER_CONTRACT, SILVER_CUSTOMER_MONTH_CONTRACT } =
			await import("../../data/silver/contracts.ts");
		const { resolveTolerances } = await import("../../monitoring/quality.ts");
		const { readTable, saveTables } = await import("./lake-tables.ts");
		const [bc, bcm] = await Promise.all([
			readTable(p, s.runId, "bronze", "bronze_customer"),
			readTable(p, s.runId, "bronze", "bronze_customer_month"),
		]);
		const silver = await buildSilver(bc, bcm, {
			sentiment: createSentimentScorer(),
		});
		const rows = {
			silver_customer: silver.customer.numRows(),
			silver_customer_month: silver.customerMonth.numRows(),
		};
		Object.assign(progress, { rows, faults: silver.faults });
		const tolerances = resolveTolerances(s.quality);
		await saveTables(p, s.runId, "silver", [
			{
				name: "silver_customer",
				table: silver.customer,
				check: { contract: SILVER_CUSTOMER_CONTRACT, tolerances },
			},
			{
				name: "silver_customer_month",
				table: silver.customerMonth,
				check: { contract: SILVER_CUSTOMER_MONTH_CONTRACT, tolerances },
			},
		]);
		return { output: { rows }, record: { rows, faults: silver.faults } };
	},
});
