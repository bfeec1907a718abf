/**
 * The raw batch between ValidateRaw, the bronze shards and BronzeReduce:
 * the small validated datasets staged as Parquet under the run, the shard
 * list with lake keys, and a shard's pieces fetched to scratch.
 */
import { readFile } from "node:fs/promises";
import { basename, join, relative } from "node:path";
import {
	type ConsumptionShard,
	stagedCsvShards,
} from "../../data/bronze/consumption-shards.ts";
import { stageCsvConsumption } from "../../data/bronze/stage-csv.ts";
import type { RawBatch } from "../../data/raw/load-batch.ts";
import { STAGED_TABLE, type StagedBatch } from "../../data/raw/stage-batch.ts";
import { getJson, lakeKeys, putJson } from "../../io/lake.ts";
import { assertVersion, materialize } from "../../io/object-store.ts";
import type { Table } from "../../io/tables.ts";
import type { Platform } from "../platform.ts";
import { readTable } from "./lake-tables.ts";
import type { RunState } from "./stage.ts";

const STAGED_TABLES = Object.values(STAGED_TABLE);

/** Staged metadata of the raw batch (the consumption source holds lake keys, not local paths). */
export type StagedMeta = Pick<RawBatch, "batchDir" | "consumption" | "faults">;

/**
 * Validated small raw datasets are staged once as Parquet under the run, so
 * the reduce reads them back in milliseconds instead of re-parsing the CSVs
 * (≈ 5 s at full scale). The raw batch itself is never touched.
 */
export async function stageRaw(
	p: Platform,
	runId: string,
	staged: StagedBatch,
	meta: StagedMeta,
): Promise<void> {
	await Promise.all(
		Object.entries(staged.datasets).map(async ([name, d]) =>
			p.store.put(
				lakeKeys.table(
					runId,
					"staged",
					STAGED_TABLE[name as keyof typeof STAGED_TABLE],
				),
				await readFile(d.file),
				{ contentType: "application/vnd.apache.parquet" },
			),
		),
	);
	await putJson(p.store, lakeKeys.doc(runId, "staged", "batch"), meta);
}

export async function readStagedRaw(
	p: Platform,
	runId: string,
): Promise<RawBatch> {
	const meta = await getJson<StagedMeta>(
		p.store,
		lakeKeys.doc(runId, "staged", "batch"),
	);
	const tables = await Promise.all(
		STAGED_TABLES.map((t) => readTable(p, runId, "staged", t)),
	);
	return {
		...meta,
		...(Object.fromEntries(
			STAGED_TABLES.map((t, i) => [t, tables[i]]),
		) as Record<(typeof STAGED_TABLES)[number], Table>),
	};
}

/** Local file paths (under the materialised batch folder) → lake keys, and back. */
export function piecesToKeys(
	shards: ConsumptionShard[],
	localBatchDir: string,
	rawPrefix: string,
): ConsumptionShard[] {
	return shards.map((sh) => ({
		...sh,
		pieces: sh.pieces.map((pc) => ({
			...pc,
			path: rawPrefix + relative(localBatchDir, pc.path).split("\\").join("/"),
		})),
	}));
}

/**
 * A shard whose pieces are lake keys → the same shard on local files
 * (downloaded to scratch in Lambda), each at the version ValidateRaw pinned
 * (ObjectChangedError otherwise: "raw file changed during the run").
 */
export async function materializeShard(
	p: Platform,
	shard: ConsumptionShard,
): Promise<ConsumptionShard> {
	const pieces = await Promise.all(
		shard.pieces.map(async (pc) => ({
			...pc,
			path: await materialize(p.store, pc.path, p.scratchDir, {
				version: pc.version,
			}),
		})),
	);
	return { ...shard, pieces };
}

/**
 * After reading a shard's pieces: a store read in place (a local folder)
 * may have had a piece replaced while DuckDB read it; the pins say so.
 * Downloads were pinned requests already.
 */
export async function checkShardPins(
	p: Platform,
	shard: ConsumptionShard,
): Promise<void> {
	if (!p.store.localPath) return;
	for (const pc of shard.pieces)
		if (pc.version) await assertVersion(p.store, pc.path, pc.version);
}

export const straddlingCount = (agg: { table: Table } | undefined) =>
	agg
		? new Set(Array.from(agg.table.array("customer_id") as ArrayLike<string>))
				.size
		: 0;

/**
 * A CSV consumption file parsed once: converted to Parquet parts by customer
 * hash under `runs/<id>/staged/consumption/`, uploaded to the lake, one shard
 * per part (docs/data-quality.md, "Hourly integrity").
 */
export async function stageCsvShards(
	p: Platform,
	s: RunState,
	csvPath: string,
): Promise<ConsumptionShard[]> {
	const local = await stageCsvConsumption(
		csvPath,
		join(p.scratchDir, "staged-consumption"),
		s.shardCount,
	);
	const parts = [];
	// One at a time: a part is read into memory to be put.
	for (const part of local) {
		const key = lakeKeys.table(
			s.runId,
			"staged",
			`consumption/bucket-${String(part.bucket).padStart(3, "0")}/${basename(part.path, ".parquet")}`,
		);
		await p.store.put(key, await readFile(part.path));
		parts.push({ bucket: part.bucket, path: key });
	}
	return stagedCsvShards(parts);
}

/** The key of a shard's partial aggregate (its metadata is `<key>.json`). */
export const shardKey = (runId: string, shardId: string) =>
	lakeKeys.table(runId, "bronze", `shards/${shardId}`);
