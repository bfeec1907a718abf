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
		const { join, relative } = await import("node:path");
		const { lakeKeys } = await import("../../io/lake.ts");
		const { assertPinned, pinRawBatch, pinShards } = await import(
			"./raw-pinning.ts"
		);
		const rawPrefix = lakeKeys.rawPrefix(s.batchId);
		// Exactly the files of the batch manifest, at pinned versions; the
		// checksums run on worker threads while the rest loads and validates.
		const pinned = await pinRawBatch(
			p.store,
			s.batchId,
			join(p.scratchDir, "runs", s.runId),
		);
		const [
			{ planConsumptionShards },
			{ stageRawBatch },
			{ putJson },
			{ rootLogger },
			{ piecesToKeys, stageCsvShards, stageRaw },
		] = await Promise.all([
			import("../../data/bronze/consumption-shards.ts"),
			import("../../data/raw/stage-batch.ts"),
			import("../../io/lake.ts"),
			import("../../log.ts"),
			import("./raw-staging.ts"),
		]);
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
		// Validate while the checksums are computed; a checksum failure wins
		// (a corrupted file's parse error would mislead).
		const [sums, staged] = await Promise.allSettled([
			pinned.checksums,
			stageRawBatch(batchDir, join(p.scratchDir, "runs", s.runId, "staged")),
		]);
		if (sums.status === "rejected") throw sums.reason;
		if (staged.status === "rejected") throw staged.reason;
		const raw = staged.value;
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
		const rows = Object.fromEntries(
			Object.entries(raw.datasets).map(([name, d]) => [name, d.rows]),
		) as ValidateOutput["rows"];
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
