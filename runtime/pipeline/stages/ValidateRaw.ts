/**
 * ValidateRaw: loads and validates the raw batch (docs/data-quality.md),
 * stages its small datasets as Parquet under the run and plans the
 * consumption shards the Map aggregates.
 */
import {
	BASE_ACCESS,
	defineStage,
	type RunState,
	type StagePlatform,
	type ValidateOutput,
} from "./stage.ts";

export const ValidateRaw = defineStage({
	name: "ValidateRaw",
	resultPath: "$.raw",
	lambda: {
		access: {
			...BASE_ACCESS,
			reads: ["raw/*"],
			writes: ["runs/*/staged/*"],
		},
		sizing: {
			memoryMb: 3008,
			timeoutSeconds: 900,
			ephemeralStorageMb: 4096,
		},
	},
	task: {
		cpu: 4096,
		memoryMb: 16384,
		ephemeralStorageGiB: 100,
		timeoutSeconds: 7200,
	},
	async run(s: RunState, p: StagePlatform) {
		const { relative } = await import("node:path");
		const { planConsumptionShards } = await import(
			"../../data/bronze/consumption-shards.ts"
		);
		const { loadRawBatch } = await import("../../data/raw/load-batch.ts");
		const { lakeKeys } = await import("../../io/lake.ts");
		const { materializePrefix } = await import("../../io/object-store.ts");
		const { piecesToKeys, stageCsvShards, stageRaw } = await import(
			"./raw-staging.ts"
		);
		const rawPrefix = lakeKeys.rawPrefix(s.batchId);
		const batchDir = await materializePrefix(p.store, rawPrefix, p.scratchDir);
		const raw = await loadRawBatch(batchDir);
		const shards =
			raw.consumption.format === "csv"
				? await stageCsvShards(p, s, raw.consumption.files[0].path)
				: piecesToKeys(
						planConsumptionShards(raw.consumption, s.shardCount),
						batchDir,
						rawPrefix,
					);
		const consumption = {
			...raw.consumption,
			files: raw.consumption.files.map((f) => ({
				...f,
				path: rawPrefix + relative(batchDir, f.path).split("\\").join("/"),
			})),
		};
		await stageRaw(p, s.runId, raw, {
			batchDir: rawPrefix,
			consumption,
			faults: raw.faults,
		});
		// The shard list as a JSON array: a Distributed Map reads its items from it.
		const shardsKey = lakeKeys.doc(s.runId, "staged", "shards");
		await p.store.put(shardsKey, JSON.stringify(shards));
		const rows = {
			churn_label: raw.churnLabel.numRows(),
			customer_attributes: raw.attributes.numRows(),
			customer_contracts: raw.contracts.numRows(),
			customer_interactions: raw.interactions.numRows(),
			price_history: raw.prices.numRows(),
			costs_by_province_month: raw.costs.numRows(),
		};
		const output: ValidateOutput = {
			shards,
			shardCount: shards.length,
			shardsKey,
			rows,
		};
		return {
			output,
			record: { rows, faults: raw.faults, detail: { shards: shards.length } },
		};
	},
});
