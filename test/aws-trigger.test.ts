/**
 * The batch trigger against both storage stacks: local folder + local
 * manifest, and S3 (s3rver) + DynamoDB (dynalite). startExecution is a
 * recording fake: what is under test is when it is called.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATASETS } from "../runtime/data/raw/schemas.ts";
import {
	createStateTable,
	DynamoDbRunManifest,
} from "../runtime/io/dynamodb-manifest.ts";
import { LocalRunManifest, type RunManifest } from "../runtime/io/manifest.ts";
import {
	LocalObjectStore,
	type ObjectStore,
} from "../runtime/io/object-store.ts";
import { S3ObjectStore } from "../runtime/io/s3-object-store.ts";
import {
	batchIdFromKey,
	handleBatchUpload,
	missingDatasets,
	type S3UploadEvent,
	SMALL_DATASET_FILES,
	type TriggerDeps,
} from "../runtime/pipeline/trigger.ts";
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
	scratch = await mkdtemp(join(tmpdir(), "trigger-"));
});
afterAll(async () => {
	await Promise.all([dynamo?.stop(), s3?.stop()]);
	await rm(scratch, { recursive: true, force: true });
});

interface Stack {
	store: ObjectStore;
	manifest: RunManifest;
}

const stacks: Array<{ name: string; make(): Promise<Stack> }> = [
	{
		name: "local folder + LocalRunManifest",
		make: async () => {
			const root = await mkdtemp(join(scratch, "lake-"));
			return {
				store: new LocalObjectStore(root),
				manifest: new LocalRunManifest(root),
			};
		},
	},
	{
		name: "S3 (s3rver) + DynamoDB (dynalite)",
		make: async () => {
			const id = ++n;
			await s3.createBucket(`lake-trigger-${id}`);
			await createStateTable(dynamo.client, `spanishgas-trigger-${id}`);
			return {
				store: new S3ObjectStore({
					bucket: `lake-trigger-${id}`,
					prefix: "lake",
					client: s3.client,
				}),
				manifest: new DynamoDbRunManifest({
					table: `spanishgas-trigger-${id}`,
					client: dynamo.client,
				}),
			};
		},
	},
];

const SIX = [
	"churn_label.csv",
	"customer_attributes.csv",
	"customer_contracts.csv.gz",
	"customer_interactions.json",
	"price_history.csv",
	"costs_by_province_month.csv",
];

/** An S3 ObjectCreated notification for keys of the bucket (URL-encoded, as S3 sends them). */
function s3Event(...keys: string[]): S3UploadEvent {
	return {
		Records: keys.map((key) => ({
			eventName: "ObjectCreated:Put",
			s3: {
				bucket: { name: "lake-bucket" },
				object: {
					key: encodeURIComponent(key)
						.replace(/%2F/g, "/")
						.replace(/%20/g, "+"),
				},
			},
		})),
	};
}

function harness(stack: Stack) {
	const executions: Array<{ runId: string; batchId: string }> = [];
	let clock = 0;
	const deps: TriggerDeps = {
		...stack,
		startExecution: async (input) => {
			executions.push(input);
			return `arn:aws:states:eu-west-1:000000000000:execution:pipeline:${input.runId}`;
		},
		// Distinct, readable run ids (the default is second-resolution).
		newRunId: (batchId) => `run-${++clock}_${batchId}`,
	};
	return { deps, executions };
}

async function upload(store: ObjectStore, batch: string, names: string[]) {
	for (const name of names) await store.put(`raw/${batch}/${name}`, "x");
}

describe.each(stacks)("trigger on $name", (stackDef) => {
	it("does not start an incomplete batch, starts it once the last file lands", async () => {
		const stack = await stackDef.make();
		const { deps, executions } = harness(stack);
		await upload(stack.store, "2025-01", SIX.slice(0, 5));
		const early = await handleBatchUpload(
			s3Event("lake/raw/2025-01/price_history.csv"),
			deps,
		);
		expect(early.started).toEqual([]);
		expect(early.skipped).toEqual([
			{
				batchId: "2025-01",
				reason:
					"incomplete batch: missing costs_by_province_month, consumption_hourly_2024",
			},
		]);
		expect(executions).toEqual([]);

		await upload(stack.store, "2025-01", [
			"costs_by_province_month.csv",
			"consumption_hourly_2024.parquet",
		]);
		const done = await handleBatchUpload(
			s3Event("lake/raw/2025-01/consumption_hourly_2024.parquet"),
			deps,
		);
		expect(done).toEqual({ started: ["run-1_2025-01"], skipped: [] });
		expect(executions).toEqual([
			{ runId: "run-1_2025-01", batchId: "2025-01" },
		]);
		const run = await stack.manifest.get("run-1_2025-01");
		expect(run?.status).toBe("started");
		expect(run?.stages[0]).toMatchObject({
			stage: "trigger",
			detail: {
				executionId:
					"arn:aws:states:eu-west-1:000000000000:execution:pipeline:run-1_2025-01",
			},
		});
	});

	it("skips duplicate events and re-uploads; starts one execution for concurrent last-file events", async () => {
		const stack = await stackDef.make();
		const { deps, executions } = harness(stack);
		const names = [...SIX, "consumption_hourly_2024.csv.gz"];
		await upload(stack.store, "b 7", names);
		// Seven notifications (one per file), delivered concurrently as separate invocations.
		const results = await Promise.all(
			names.map((f) => handleBatchUpload(s3Event(`raw/b 7/${f}`), deps)),
		);
		expect(results.flatMap((r) => r.started)).toHaveLength(1);
		expect(results.flatMap((r) => r.skipped)).toHaveLength(6);
		expect(executions).toHaveLength(1);
		expect(executions[0].batchId).toBe("b 7");

		// The same event delivered again, and a re-upload of one file: skipped.
		const again = await handleBatchUpload(
			s3Event("raw/b 7/churn_label.csv", "raw/b 7/price_history.csv"),
			deps,
		);
		expect(again.started).toEqual([]);
		expect(again.skipped).toEqual([
			{
				batchId: "b 7",
				reason:
					"batch already has a run (send a rerun request to run it again)",
			},
		]);
		expect(executions).toHaveLength(1);
	});

	it("re-runs a batch on request once its run has finished; force takes over a stuck run", async () => {
		const stack = await stackDef.make();
		const { deps, executions } = harness(stack);
		await upload(stack.store, "b", [...SIX, "consumption_hourly_2024.csv"]);
		const first = await handleBatchUpload(
			s3Event("raw/b/churn_label.csv"),
			deps,
		);
		const [runId] = first.started;

		const tooEarly = await handleBatchUpload(
			{ rerun: true, batchId: "b" },
			deps,
		);
		expect(tooEarly.started).toEqual([]);
		expect(tooEarly.skipped[0].reason).toMatch(/still marked started/);

		await stack.manifest.succeed(runId, {});
		const rerun = await handleBatchUpload({ rerun: true, batchId: "b" }, deps);
		expect(rerun.started).toHaveLength(1);
		expect(rerun.started[0]).not.toBe(runId);

		// The re-run's execution died without reporting: force takes the batch over.
		const forced = await handleBatchUpload(
			{ rerun: true, batchId: "b", force: true },
			deps,
		);
		expect(forced.started).toHaveLength(1);
		expect(executions.map((e) => e.runId)).toEqual([
			runId,
			rerun.started[0],
			forced.started[0],
		]);

		// A re-run of a batch whose files are gone is refused.
		const ghost = await handleBatchUpload(
			{ rerun: true, batchId: "never-uploaded" },
			deps,
		);
		expect(ghost.skipped[0].reason).toMatch(
			/^incomplete batch: missing churn_label/,
		);
	});

	it("waits for the _SUCCESS marker of a folder of consumption parts", async () => {
		const stack = await stackDef.make();
		const { deps, executions } = harness(stack);
		await upload(stack.store, "parts", [
			...SIX,
			"consumption_hourly_2024/part-000.parquet",
			"consumption_hourly_2024/part-001.parquet",
		]);
		const open = await handleBatchUpload(
			s3Event("raw/parts/consumption_hourly_2024/part-001.parquet"),
			deps,
		);
		expect(open.skipped[0].reason).toBe(
			"incomplete batch: missing consumption_hourly_2024/_SUCCESS",
		);
		await upload(stack.store, "parts", ["consumption_hourly_2024/_SUCCESS"]);
		const closed = await handleBatchUpload(
			s3Event("raw/parts/consumption_hourly_2024/_SUCCESS"),
			deps,
		);
		expect(closed.started).toHaveLength(1);
		expect(executions).toHaveLength(1);
	});

	it("marks the run failed when the execution cannot be started", async () => {
		const stack = await stackDef.make();
		const { deps } = harness(stack);
		await upload(stack.store, "b", [...SIX, "consumption_hourly_2024.parquet"]);
		const failing: TriggerDeps = {
			...deps,
			startExecution: async () => {
				throw Object.assign(new Error("Rate exceeded"), {
					name: "ThrottlingException",
				});
			},
		};
		await expect(
			handleBatchUpload(s3Event("raw/b/churn_label.csv"), failing),
		).rejects.toThrow(/Rate exceeded/);
		const [run] = await stack.manifest.list();
		expect(run.status).toBe("failed");
		expect(run.history.at(-1)?.error).toEqual({
			name: "ThrottlingException",
			message: "could not start the execution: Rate exceeded",
		});
		// Not stuck: a rerun request can start it again.
		expect(
			(await handleBatchUpload({ rerun: true, batchId: "b" }, deps)).started,
		).toHaveLength(1);
	});
});

describe("trigger helpers", () => {
	it("batchIdFromKey finds raw/<batch>/ at the root or under a prefix", () => {
		expect(batchIdFromKey("raw/2025-01/churn_label.csv")).toBe("2025-01");
		expect(
			batchIdFromKey("lake/raw/2025-01/consumption_hourly_2024/part-1.parquet"),
		).toBe("2025-01");
		expect(batchIdFromKey("raw/2025-01/")).toBe("2025-01");
		expect(batchIdFromKey("raw/churn_label.csv")).toBeUndefined();
		expect(batchIdFromKey("runs/r1/raw/x")).toBeUndefined();
		expect(batchIdFromKey("draw/b/x.csv")).toBeUndefined();
		expect(batchIdFromKey("raw/../x.csv")).toBeUndefined();
		expect(batchIdFromKey("models/v0001/model.json")).toBeUndefined();
	});

	it("ignores events for keys outside raw/ and S3 test events", async () => {
		const store = new LocalObjectStore(await mkdtemp(join(scratch, "ignore-")));
		const { deps, executions } = harness({
			store,
			manifest: new LocalRunManifest(store.root),
		});
		expect(
			await handleBatchUpload(s3Event("runs/r1/gold/gold.parquet"), deps),
		).toEqual({ started: [], skipped: [] });
		expect(await handleBatchUpload({}, deps)).toEqual({
			started: [],
			skipped: [],
		});
		await expect(
			handleBatchUpload({ rerun: true, batchId: "../etc" }, deps),
		).rejects.toThrow(/invalid batchId/);
		expect(executions).toEqual([]);
	});

	it("missingDatasets accepts every format of DATA_SPEC §1", () => {
		const csv = [
			"churn_label",
			"customer_attributes",
			"customer_contracts",
			"price_history",
			"costs_by_province_month",
		];
		const gz = [
			...csv.map((b) => `${b}.csv.gz`),
			"customer_interactions.json.gz",
			"consumption_hourly_2024.csv.gz",
		];
		expect(missingDatasets(gz)).toEqual([]);
		expect(
			missingDatasets([
				...csv.map((b) => `${b}.csv`),
				"customer_interactions.json",
				"consumption_hourly_2024.csv",
			]),
		).toEqual([]);
		// Names are exact: a stray suffix or a nested file does not count.
		expect(
			missingDatasets(["churn_label.csv.bak", "sub/churn_label.csv"]),
		).toEqual([
			"churn_label",
			"customer_attributes",
			"customer_contracts",
			"customer_interactions",
			"price_history",
			"costs_by_province_month",
			"consumption_hourly_2024",
		]);
		// A marker without parts is no consumption.
		expect(
			missingDatasets([...gz.slice(0, 6), "consumption_hourly_2024/_SUCCESS"]),
		).toEqual(["consumption_hourly_2024"]);
	});

	it("accepts exactly the file names the raw loader reads", () => {
		for (const [name, spec] of Object.entries(DATASETS))
			expect(SMALL_DATASET_FILES[name], name).toEqual(spec.files);
		expect(Object.keys(SMALL_DATASET_FILES).sort()).toEqual(
			Object.keys(DATASETS).sort(),
		);
	});
});
