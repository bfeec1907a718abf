/**
 * ValidateRaw pins the raw batch and the bronze shards read exactly what it
 * pinned (docs/batch-manifest.md), through the stage modules on a local
 * folder and on S3 (s3rver) + DynamoDB (dynalite), on the tiny hand-made
 * batch with consumption in two parts. Faults injected: a re-upload of a
 * part mid-run, a part arriving after the manifest, a corrupted file, no
 * manifest.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	BATCH_MANIFEST,
	BatchIntegrityError,
	BatchManifestError,
	writeBatchManifest,
} from "../runtime/data/raw/batch-manifest.ts";
import {
	createStateTable,
	DynamoDbRunManifest,
} from "../runtime/io/dynamodb-manifest.ts";
import { getJson, lakeKeys } from "../runtime/io/lake.ts";
import { LocalRunManifest } from "../runtime/io/manifest.ts";
import {
	LocalObjectStore,
	ObjectChangedError,
	type ObjectStore,
} from "../runtime/io/object-store.ts";
import { S3ObjectStore } from "../runtime/io/s3-object-store.ts";
import { LocalModelRegistry } from "../runtime/model/registry.ts";
import { LogAlerts } from "../runtime/monitoring/alerts.ts";
import { type RunState, stageHandler } from "../runtime/pipeline/handlers.ts";
import type { Platform } from "../runtime/pipeline/platform.ts";
import { BronzeReduce } from "../runtime/pipeline/stages/BronzeReduce.ts";
import { BronzeShard } from "../runtime/pipeline/stages/BronzeShard.ts";
import { ValidateRaw } from "../runtime/pipeline/stages/ValidateRaw.ts";
import { writeTinyBatch } from "./fixtures/raw/tiny-batch.ts";
import {
	type DynamoPeer,
	type S3Peer,
	startDynamoPeer,
	startS3Peer,
} from "./support/peers.ts";

let dynamo: DynamoPeer;
let s3: S3Peer;
let scratch: string;
let n = 0;
beforeAll(async () => {
	[dynamo, s3] = await Promise.all([startDynamoPeer(), startS3Peer()]);
	scratch = await mkdtemp(join(tmpdir(), "raw-pinning-"));
}, 60_000);
afterAll(async () => {
	await Promise.all([dynamo?.stop(), s3?.stop()]);
	await rm(scratch, { recursive: true, force: true });
});

const stacks: Array<{ name: string; make(): Promise<Platform> }> = [
	{
		name: "local folder",
		make: async () => {
			const root = await mkdtemp(join(scratch, "lake-"));
			return {
				store: new LocalObjectStore(root),
				manifest: new LocalRunManifest(root),
				registry: new LocalModelRegistry(root),
				alerts: new LogAlerts(() => {}),
				scratchDir: join(root, ".scratch"),
			};
		},
	},
	{
		name: "S3 (s3rver) + DynamoDB (dynalite)",
		make: async () => {
			const id = ++n;
			await s3.createBucket(`lake-pin-${id}`);
			await createStateTable(dynamo.client, `spanishgas-pin-${id}`);
			return {
				store: new S3ObjectStore({
					bucket: `lake-pin-${id}`,
					client: s3.client,
				}),
				manifest: new DynamoDbRunManifest({
					table: `spanishgas-pin-${id}`,
					client: dynamo.client,
				}),
				registry: new LocalModelRegistry(await mkdtemp(join(scratch, "reg-"))),
				alerts: new LogAlerts(() => {}),
				scratchDir: await mkdtemp(join(scratch, "tmp-")),
			};
		},
	},
];

/** Writes the tiny batch (two consumption parts) locally, its manifest if asked, and uploads it, manifest last. */
async function uploadTiny(
	store: ObjectStore,
	batch: string,
	o: { manifest?: boolean } = {},
): Promise<string> {
	const dir = await mkdtemp(join(scratch, "tiny-"));
	await writeTinyBatch(dir, { consumption: "parts" });
	if (o.manifest !== false) await writeBatchManifest(dir);
	const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
		.filter((e) => e.isFile())
		.map((e) => relative(dir, join(e.parentPath, e.name)).split("\\").join("/"))
		.sort((a, b) => (a === BATCH_MANIFEST ? 1 : b === BATCH_MANIFEST ? -1 : 0));
	for (const f of files)
		await store.put(`raw/${batch}/${f}`, await readFile(join(dir, f)));
	return dir;
}

async function validate(p: Platform, batch: string, runId: string) {
	await p.manifest.start(batch, runId, { rerun: true, force: true });
	const state: RunState = {
		runId,
		batchId: batch,
		mode: "auto",
		shardCount: 2,
		gate: 0.5,
		seed: 1,
		quality: { maxInvalidShare: 0.5 },
	};
	const o = { platform: () => p };
	state.raw = await stageHandler(ValidateRaw, o)(state);
	return { state, o };
}

const PART = (i: number) => `raw/t/consumption_hourly_2024/part-00${i}.parquet`;

describe.each(stacks)("raw pinning on $name", (def) => {
	it("ValidateRaw pins every listed file's version; the shards read exactly them and the bronze stages succeed", async () => {
		const p = await def.make();
		await uploadTiny(p.store, "t");
		const { state, o } = await validate(p, "t", "run-ok");
		expect(state.raw?.rawFiles).toEqual({
			key: lakeKeys.doc("run-ok", "staged", "raw_files"),
			count: 8,
			manifest: "uploaded",
		});
		const pieces = state.raw?.shards.flatMap((sh) => sh.pieces) ?? [];
		expect(pieces.map((pc) => pc.path).sort()).toEqual([PART(0), PART(1)]);
		for (const pc of pieces)
			expect(pc.version).toBe((await p.store.head(pc.path))?.version);
		const recorded = await getJson<{
			files: Array<{ key: string; version: string }>;
		}>(p.store, lakeKeys.doc("run-ok", "staged", "raw_files"));
		expect(recorded.files).toHaveLength(8);
		const shard = stageHandler(BronzeShard, o);
		state.bronzeShards = [];
		for (const [index, s] of (state.raw?.shards ?? []).entries())
			state.bronzeShards.push(
				await shard({ runId: "run-ok", shard: s, index }),
			);
		const bronze = await stageHandler(BronzeReduce, o)(state);
		expect(bronze.rows.bronze_customer).toBe(3);
	});

	it("fault: a part re-uploaded mid-run fails its shard with 'raw file changed during the run' instead of mixing versions", async () => {
		const p = await def.make();
		await uploadTiny(p.store, "t");
		const { state, o } = await validate(p, "t", "run-reupload");
		// The uploader sends the batch again while the run is in its Map.
		await p.store.put(PART(1), await p.store.get(PART(0)));
		const shard = stageHandler(BronzeShard, o);
		const outcomes = await Promise.allSettled(
			(state.raw?.shards ?? []).map((s, index) =>
				shard({ runId: "run-reupload", shard: s, index }),
			),
		);
		const failed = outcomes.filter((r) => r.status === "rejected");
		expect(failed).toHaveLength(1);
		const error = (failed[0] as PromiseRejectedResult).reason;
		expect(error).toBeInstanceOf(ObjectChangedError);
		expect(String(error.message)).toMatch(
			/^raw file changed during the run: raw\/t\/consumption_hourly_2024\/part-001\.parquet is no longer the version ValidateRaw pinned/,
		);
		// A permanent error: the state machine does not retry it (only TransientIOError and the like).
		expect(error.name).toBe("ObjectChangedError");
	});

	it("fault: a part arriving after the manifest is not part of the run", async () => {
		const p = await def.make();
		await uploadTiny(p.store, "t");
		await p.store.put(PART(2), await p.store.get(PART(1)));
		const { state } = await validate(p, "t", "run-late");
		const pieces = state.raw?.shards.flatMap((sh) => sh.pieces) ?? [];
		expect(pieces.map((pc) => pc.path).sort()).toEqual([PART(0), PART(1)]);
		const recorded = await getJson<{ unlisted: string[] }>(
			p.store,
			lakeKeys.doc("run-late", "staged", "raw_files"),
		);
		expect(recorded.unlisted).toEqual([
			"consumption_hourly_2024/part-002.parquet",
		]);
		const run = await p.manifest.get("run-late");
		expect(
			run?.stages.find((s) => s.stage === "ValidateRaw")?.detail,
		).toMatchObject({ rawFiles: 8, unlistedFiles: 1 });
	});

	it("fault: a file whose bytes differ from the manifest (same size) fails ValidateRaw naming it", async () => {
		const p = await def.make();
		await uploadTiny(p.store, "t");
		const body = new TextDecoder().decode(
			await p.store.get("raw/t/churn_label.csv"),
		);
		await p.store.put("raw/t/churn_label.csv", body.replace("C3,1", "C3,0"));
		await expect(validate(p, "t", "run-corrupt")).rejects.toThrow(
			/^raw file churn_label\.csv: SHA-256 [0-9a-f]{64} differs from _manifest\.json's/,
		);
		await p.store.put("raw/t/churn_label.csv", `${body}C4,0\n`);
		await expect(validate(p, "t", "run-longer")).rejects.toThrow(
			BatchIntegrityError,
		);
	});

	it("a batch without a manifest: computed from a local folder (npm start), refused on S3", async () => {
		const p = await def.make();
		await uploadTiny(p.store, "t", { manifest: false });
		if (p.store.localPath) {
			const { state } = await validate(p, "t", "run-nomanifest");
			expect(state.raw?.rawFiles).toMatchObject({
				count: 8,
				manifest: "computed",
			});
			expect(
				state.raw?.shards.flatMap((sh) => sh.pieces).every((pc) => pc.version),
			).toBe(true);
		} else
			await expect(validate(p, "t", "run-nomanifest")).rejects.toThrow(
				BatchManifestError,
			);
	});
});

it("locally a file replaced while ValidateRaw reads it in place is caught by its pin", async () => {
	const root = await mkdtemp(join(scratch, "inplace-"));
	const dir = join(root, "raw", "t");
	await writeTinyBatch(dir, { consumption: "parts" });
	await writeBatchManifest(dir);
	const store = new LocalObjectStore(root);
	const pinned = await store.head(PART(0));
	await writeFile(
		join(dir, "consumption_hourly_2024", "part-000.parquet"),
		await readFile(join(dir, "consumption_hourly_2024", "part-000.parquet")),
	);
	await expect(
		store.get(PART(0), { version: pinned?.version }),
	).rejects.toBeInstanceOf(ObjectChangedError);
});
