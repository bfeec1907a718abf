/**
 * ValidateRaw: pins the raw batch — exactly the files its manifest lists, at
 * the versions they have now, sizes and SHA-256 verified
 * (docs/batch-manifest.md) — loads and validates it (docs/data-quality.md),
 * stages its small datasets as Parquet under the run and plans the
 * consumption shards the Map aggregates, each piece at its pinned version.
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
			// The lake keeps versions: the pinned raw files are read by VersionId.
			pinnedReads: ["raw/*"],
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
		const { join } = await import("node:path");
		const { loadRawBatch } = await import("../../data/raw/load-batch.ts");
		const { lakeKeys, putJson } = await import("../../io/lake.ts");
		const { rootLogger } = await import("../../log.ts");
		const { piecesToKeys, stageCsvShards, stageRaw } = await import(
			"./raw-staging.ts"
		);
		const { assertPinned, pinRawBatch, pinShards } = await import(
			"./raw-pinning.ts"
		);
		const rawPrefix = lakeKeys.rawPrefix(s.batchId);
		// Exactly the files of the batch manifest, at pinned versions, checksums verified.
		const pinned = await pinRawBatch(
			p.store,
			s.batchId,
			join(p.scratchDir, "runs", s.runId),
		);
		const log = rootLogger.child({ runId: s.runId, stage: "ValidateRaw" });
		if (pinned.manifestSource === "computed")
			log.warn(
				"the batch has no _manifest.json: computed one from the folder as it is (docs/batch-manifest.md)",
				{ batchId: s.batchId, files: pinned.files.length },
			);
		if (pinned.unlisted.length > 0)
			log.warn("files not in the batch manifest are not part of the run", {
				batchId: s.batchId,
				count: pinned.unlisted.length,
				files: pinned.unlisted.slice(0, 20),
			});
		const batchDir = pinned.dir;
		const raw = await loadRawBatch(batchDir);
		const shards = pinShards(
			raw.consumption.format === "csv"
				? await stageCsvShards(p, s, raw.consumption.files[0].path)
				: piecesToKeys(
						planConsumptionShards(raw.consumption, s.shardCount),
						batchDir,
						rawPrefix,
					),
			pinned.files,
		);
		// Read in place (a local folder): no file may have changed while it was read.
		if (p.store.localPath) await assertPinned(p.store, pinned.files);
		// The pinned versions, for the record and for any later reader.
		const rawFilesKey = lakeKeys.doc(s.runId, "staged", "raw_files");
		await putJson(p.store, rawFilesKey, {
			manifest: pinned.manifestSource,
			files: pinned.files,
			unlisted: pinned.unlisted,
		});
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
			rawFiles: {
				key: rawFilesKey,
				count: pinned.files.length,
				manifest: pinned.manifestSource,
			},
		};
		return {
			output,
			record: {
				rows,
				faults: raw.faults,
				detail: {
					shards: shards.length,
					rawFiles: pinned.files.length,
					manifest: pinned.manifestSource,
					...(pinned.unlisted.length
						? { unlistedFiles: pinned.unlisted.length }
						: {}),
				},
			},
		};
	},
});
