/**
 * The batch trigger against both storage stacks: local folder + local
 * manifest, and S3 (s3rver) + DynamoDB (dynalite). startExecution is a fake
 * with Step Functions' name semantics (a repeat with the same name and input
 * is the same execution; another input is ExecutionAlreadyExists): what is
 * under test is when it is called and how many executions exist. Faults are
 * injected into the real peers' path (docs/run-lifecycle.md lists them).
 */
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	BATCH_MANIFEST,
	BATCH_MANIFEST_FORMAT,
} from "../runtime/data/raw/batch-manifest.ts";
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
import type { LifecycleMetric } from "../runtime/monitoring/lifecycle-metrics.ts";
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
const ONE_FILE = [...SIX, "consumption_hourly_2024.parquet"];

let sequencer = 0;
/**
 * An S3 ObjectCreated notification for keys of the bucket (URL-encoded, as
 * S3 sends them), each with a new sequencer: a new upload. Deliver the same
 * object again to model a retried delivery.
 */
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
					sequencer: (++sequencer).toString(16).padStart(16, "0"),
				},
			},
		})),
	};
}
const manifestEvent = (batch: string) =>
	s3Event(`lake/raw/${batch}/${BATCH_MANIFEST}`);

/** Bodies by file name: "x" unless given. */
const bodies = (names: string[], body = "x") =>
	Object.fromEntries(names.map((n) => [n, body]));

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

function manifestOf(files: Record<string, string>): string {
	return JSON.stringify({
		format: BATCH_MANIFEST_FORMAT,
		createdAt: "2026-12-01T00:00:00.000Z",
		files: Object.entries(files).map(([path, body]) => ({
			path,
			bytes: Buffer.byteLength(body),
			sha256: sha256(body),
		})),
	});
}

async function put(
	store: ObjectStore,
	batch: string,
	files: Record<string, string>,
) {
	for (const [name, body] of Object.entries(files))
		await store.put(`raw/${batch}/${name}`, body);
}

/** Uploads the files, then their manifest (last, as docs/batch-manifest.md says). */
async function uploadBatch(
	store: ObjectStore,
	batch: string,
	files: Record<string, string>,
) {
	await put(store, batch, files);
	await store.put(`raw/${batch}/${BATCH_MANIFEST}`, manifestOf(files));
}

interface Recorded {
	metrics: Array<{
		metric: LifecycleMetric;
		value: number;
		dims: Record<string, string>;
	}>;
	lines: Array<{
		level: string;
		message: string;
		fields: Record<string, unknown>;
	}>;
}

/** Step Functions' StartExecution semantics by name, plus injectable failures. */
function fakeStepFunctions() {
	const executions = new Map<string, { input: string; arn: string }>();
	const calls: string[] = [];
	let failures: Error[] = [];
	return {
		executions,
		calls,
		/** The next calls throw these errors, in order. */
		failNext(...errors: Error[]) {
			failures = errors;
		},
		async start(input: { runId: string; batchId: string; mode?: string }) {
			calls.push(input.runId);
			const failure = failures.shift();
			if (failure) throw failure;
			const body = JSON.stringify(input);
			const existing = executions.get(input.runId);
			if (existing) {
				if (existing.input !== body)
					throw Object.assign(new Error("Execution Already Exists"), {
						name: "ExecutionAlreadyExists",
					});
				return existing.arn;
			}
			const arn = `arn:aws:states:eu-west-1:000000000000:execution:pipeline:${input.runId}`;
			executions.set(input.runId, { input: body, arn });
			return arn;
		},
	};
}

function harness(stack: Stack) {
	const sfn = fakeStepFunctions();
	const recorded: Recorded = { metrics: [], lines: [] };
	let clock = 0;
	const deps: TriggerDeps = {
		...stack,
		startExecution: (input) => sfn.start(input),
		// Distinct, readable run ids (the default is second-resolution).
		newRunId: (batchId) => `run-${++clock}_${batchId}`,
		log: (level, message, fields) =>
			recorded.lines.push({ level, message, fields }),
		metric: (metric, value, dims) =>
			recorded.metrics.push({ metric, value, dims }),
	};
	const skips = () =>
		recorded.metrics
			.filter((m) => m.metric === "SkippedUploads")
			.map((m) => m.dims.Reason);
	return { deps, sfn, recorded, skips };
}

const throttled = () =>
	Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });

describe.each(stacks)("trigger on $name", (stackDef) => {
	it("starts a batch only once its manifest is there and every listed file has the listed size", async () => {
		const stack = await stackDef.make();
		const { deps, sfn, recorded, skips } = harness(stack);
		const files = bodies(ONE_FILE, "data");
		// Files without a manifest: not a batch yet, however complete the names look.
		await put(stack.store, "2025-01", files);
		const early = await handleBatchUpload(
			s3Event("lake/raw/2025-01/consumption_hourly_2024.parquet"),
			deps,
		);
		expect(early.started).toEqual([]);
		expect(early.skipped).toEqual([
			{
				batchId: "2025-01",
				code: "no_manifest",
				reason:
					"incomplete batch: no _manifest.json yet (it is uploaded last: docs/batch-manifest.md)",
			},
		]);

		// The manifest arrives before a listed file (a hand upload out of order).
		await stack.store.delete("raw/2025-01/price_history.csv");
		await stack.store.put(`raw/2025-01/${BATCH_MANIFEST}`, manifestOf(files));
		const missing = await handleBatchUpload(manifestEvent("2025-01"), deps);
		expect(missing.skipped[0]).toMatchObject({
			code: "incomplete",
			reason: "incomplete batch: 1 listed file(s) missing: price_history.csv",
		});
		// A listed file still uploading (another size): not complete either.
		await stack.store.put("raw/2025-01/price_history.csv", "da");
		const partial = await handleBatchUpload(manifestEvent("2025-01"), deps);
		expect(partial.skipped[0].reason).toBe(
			"incomplete batch: 1 with another size: price_history.csv (2 bytes, listed 4)",
		);
		expect(sfn.executions.size).toBe(0);

		await stack.store.put("raw/2025-01/price_history.csv", "data");
		const done = await handleBatchUpload(manifestEvent("2025-01"), deps);
		expect(done).toEqual({
			started: ["run-1_2025-01"],
			resumed: [],
			skipped: [],
		});
		expect([...sfn.executions.keys()]).toEqual(["run-1_2025-01"]);
		const run = await stack.manifest.get("run-1_2025-01");
		expect(run?.status).toBe("started");
		expect(run?.requestKey).toMatch(
			/^s3:lake-bucket\/lake\/raw\/2025-01\/_manifest\.json@[0-9a-f]{16}$/,
		);
		expect(run?.stages[0]).toMatchObject({
			stage: "trigger",
			detail: {
				executionId:
					"arn:aws:states:eu-west-1:000000000000:execution:pipeline:run-1_2025-01",
				files: 7,
			},
		});
		// Every skip was logged and counted, with its reason.
		expect(skips()).toEqual(["no_manifest", "incomplete", "incomplete"]);
		expect(
			recorded.lines.filter((l) => l.fields.event === "trigger_skipped"),
		).toHaveLength(3);
	});

	it("rejects a malformed manifest or one that lists an incomplete batch", async () => {
		const stack = await stackDef.make();
		const { deps, sfn, recorded } = harness(stack);
		await put(stack.store, "bad", bodies(ONE_FILE));
		await stack.store.put(`raw/bad/${BATCH_MANIFEST}`, "{ not json");
		const broken = await handleBatchUpload(manifestEvent("bad"), deps);
		expect(broken.skipped[0].code).toBe("invalid_manifest");
		expect(broken.skipped[0].reason).toMatch(
			/raw\/bad\/_manifest\.json: not JSON/,
		);
		await stack.store.put(`raw/bad/${BATCH_MANIFEST}`, manifestOf(bodies(SIX)));
		const short = await handleBatchUpload(manifestEvent("bad"), deps);
		expect(short.skipped[0]).toMatchObject({
			code: "invalid_manifest",
			reason: "the batch manifest lists no consumption_hourly_2024",
		});
		expect(sfn.executions.size).toBe(0);
		// An operator's problem, not a wait: logged as errors.
		expect(
			recorded.lines
				.filter((l) => l.level === "error")
				.map((l) => l.fields.reason),
		).toEqual(["invalid_manifest", "invalid_manifest"]);
	});

	it("fault: a part arriving after the manifest is not in the run (ignored, logged and counted)", async () => {
		const stack = await stackDef.make();
		const { deps, sfn, recorded } = harness(stack);
		const files = bodies([
			...SIX,
			"consumption_hourly_2024/part-000.parquet",
			"consumption_hourly_2024/part-001.parquet",
		]);
		await uploadBatch(stack.store, "parts", files);
		// The late part lands between the manifest and its event being handled.
		await stack.store.put(
			"raw/parts/consumption_hourly_2024/part-002.parquet",
			"late",
		);
		const out = await handleBatchUpload(manifestEvent("parts"), deps);
		expect(out.started).toHaveLength(1);
		expect(sfn.executions.size).toBe(1);
		// No _SUCCESS marker needed: the manifest closes the folder.
		const run = await stack.manifest.get(out.started[0]);
		expect(run?.stages[0].detail).toMatchObject({ files: 8, unlistedFiles: 1 });
		const warning = recorded.lines.find(
			(l) => l.fields.event === "trigger_unlisted_files",
		);
		expect(warning).toMatchObject({
			level: "warn",
			fields: { files: ["consumption_hourly_2024/part-002.parquet"], count: 1 },
		});
		expect(recorded.metrics).toContainEqual({
			metric: "UnlistedRawFiles",
			value: 1,
			dims: {},
		});
		// Its own upload event (were it delivered) starts nothing.
		const late = await handleBatchUpload(
			s3Event("raw/parts/consumption_hourly_2024/part-002.parquet"),
			deps,
		);
		expect(late.started).toEqual([]);
		expect(late.skipped[0].code).toBe("run_in_progress");
		expect(sfn.executions.size).toBe(1);
	});

	it("fault: concurrent deliveries — the same event three times and two batches at once start exactly one execution per batch", async () => {
		const stack = await stackDef.make();
		const { deps, sfn } = harness(stack);
		await uploadBatch(
			stack.store,
			"b 7",
			bodies([...SIX, "consumption_hourly_2024.csv.gz"]),
		);
		await uploadBatch(stack.store, "b8", bodies(ONE_FILE));
		const e7 = manifestEvent("b 7");
		const e8 = manifestEvent("b8");
		const results = await Promise.all(
			[e7, e7, e7, e8, e8].map((e) => handleBatchUpload(e, deps)),
		);
		// Redeliveries of one request are that request: they resume its run.
		const started = results.flatMap((r) => r.started);
		expect(new Set(started).size).toBe(2);
		expect(results.flatMap((r) => r.skipped)).toEqual([]);
		expect(sfn.executions.size).toBe(2);
		expect(
			[...sfn.executions.keys()].map((id) => id.split("_")[1]).sort(),
		).toEqual(["b 7", "b8"]);
		expect((await stack.manifest.list()).map((r) => r.status)).toEqual([
			"started",
			"started",
		]);

		// Two different uploads of one batch's manifest at once: one run, the other skipped.
		await uploadBatch(stack.store, "b9", bodies(ONE_FILE));
		const [a, b] = await Promise.all([
			handleBatchUpload(manifestEvent("b9"), deps),
			handleBatchUpload(manifestEvent("b9"), deps),
		]);
		expect([...a.started, ...b.started]).toHaveLength(1);
		expect([...a.skipped, ...b.skipped].map((s) => s.code)).toEqual([
			"run_in_progress",
		]);
		expect(sfn.executions.size).toBe(3);
	});

	it("fault: the trigger crashes right after its claim; Lambda's retry resumes the same run id and starts exactly one execution", async () => {
		const stack = await stackDef.make();
		const { deps, sfn } = harness(stack);
		await uploadBatch(stack.store, "crash", bodies(ONE_FILE));
		let crash = true;
		const crashing: TriggerDeps = {
			...deps,
			manifest: Object.assign(Object.create(stack.manifest), {
				start: async (...a: Parameters<RunManifest["start"]>) => {
					const won = await stack.manifest.start(...a);
					if (won && crash) {
						crash = false;
						throw new Error("Runtime exited: the container was killed");
					}
					return won;
				},
			}) as RunManifest,
		};
		const event = manifestEvent("crash");
		await expect(handleBatchUpload(event, crashing)).rejects.toThrow(/killed/);
		const [claimed] = await stack.manifest.list();
		expect(claimed.status).toBe("started");
		expect(sfn.calls).toEqual([]);
		// The retry (same event, same sequencer).
		const retry = await handleBatchUpload(event, crashing);
		expect(retry).toEqual({
			started: [claimed.runId],
			resumed: [claimed.runId],
			skipped: [],
		});
		expect([...sfn.executions.keys()]).toEqual([claimed.runId]);
		expect(await stack.manifest.list()).toHaveLength(1);
		// A further redelivery after the start: still the one execution.
		await handleBatchUpload(event, deps);
		expect(sfn.executions.size).toBe(1);
	});

	it("fault: StartExecution fails (throttled); the run stays started and the retry starts it under the same run id", async () => {
		const stack = await stackDef.make();
		const { deps, sfn } = harness(stack);
		await uploadBatch(stack.store, "b", bodies(ONE_FILE));
		sfn.failNext(throttled(), throttled());
		const event = manifestEvent("b");
		await expect(handleBatchUpload(event, deps)).rejects.toThrow(
			/Rate exceeded/,
		);
		await expect(handleBatchUpload(event, deps)).rejects.toThrow(
			/Rate exceeded/,
		);
		const [run] = await stack.manifest.list();
		// Not failed: a failed run with a new id per retry could never start.
		expect(run.status).toBe("started");
		const third = await handleBatchUpload(event, deps);
		expect(third.started).toEqual([run.runId]);
		expect(sfn.calls).toEqual([run.runId, run.runId, run.runId]);
		expect(sfn.executions.size).toBe(1);
		expect(
			(await stack.manifest.get(run.runId))?.stages.map((s) => s.stage),
		).toEqual(["trigger"]);
		// Another upload of the manifest meanwhile is a re-upload during a run: skipped.
		const reupload = await handleBatchUpload(manifestEvent("b"), deps);
		expect(reupload.skipped[0].code).toBe("run_in_progress");
	});

	it("skips re-uploads (counted): during the run, and of a finished batch", async () => {
		const stack = await stackDef.make();
		const { deps, sfn, skips } = harness(stack);
		await uploadBatch(stack.store, "b", bodies(ONE_FILE));
		const [runId] = (await handleBatchUpload(manifestEvent("b"), deps)).started;
		await uploadBatch(stack.store, "b", bodies(ONE_FILE, "changed"));
		const during = await handleBatchUpload(manifestEvent("b"), deps);
		expect(during.skipped[0]).toMatchObject({
			code: "run_in_progress",
			reason: `batch has a run in progress (${runId}); this upload is not run: the run reads the versions it pinned`,
		});
		await stack.manifest.succeed(runId, {});
		const after = await handleBatchUpload(manifestEvent("b"), deps);
		expect(after.skipped[0]).toMatchObject({
			code: "has_run",
			reason: `batch already has a run (${runId}, succeeded); send a rerun request to run it again`,
		});
		expect(skips()).toEqual(["run_in_progress", "has_run"]);
		expect(sfn.executions.size).toBe(1);
	});

	it("re-runs a batch on request once its run has finished; force takes over a stuck run; a retried request resumes its own run", async () => {
		const stack = await stackDef.make();
		const { deps, sfn } = harness(stack);
		await uploadBatch(
			stack.store,
			"b",
			bodies([...SIX, "consumption_hourly_2024.csv"]),
		);
		const first = await handleBatchUpload(manifestEvent("b"), deps);
		const [runId] = first.started;

		const tooEarly = await handleBatchUpload(
			{ rerun: true, batchId: "b" },
			{ ...deps, requestId: "req-1" },
		);
		expect(tooEarly.started).toEqual([]);
		expect(tooEarly.skipped[0].reason).toMatch(/still marked started/);

		await stack.manifest.succeed(runId, {});
		const rerun = await handleBatchUpload(
			{ rerun: true, batchId: "b" },
			{ ...deps, requestId: "req-2" },
		);
		expect(rerun.started).toHaveLength(1);
		expect(rerun.started[0]).not.toBe(runId);
		expect((await stack.manifest.get(rerun.started[0]))?.requestKey).toBe(
			"lambda:req-2",
		);

		// The re-run's execution died without reporting: force takes the batch over…
		const forceReq = { rerun: true as const, batchId: "b", force: true };
		const forced = await handleBatchUpload(forceReq, {
			...deps,
			requestId: "req-3",
		});
		expect(forced.started).toHaveLength(1);
		// …and Lambda's retry of that forced request resumes it rather than forcing again.
		const forcedRetry = await handleBatchUpload(forceReq, {
			...deps,
			requestId: "req-3",
		});
		expect(forcedRetry.resumed).toEqual(forced.started);
		expect([...sfn.executions.keys()]).toEqual([
			runId,
			rerun.started[0],
			forced.started[0],
		]);

		// A re-run of a batch that was never uploaded is refused.
		const ghost = await handleBatchUpload(
			{ rerun: true, batchId: "never-uploaded" },
			deps,
		);
		expect(ghost.skipped[0].code).toBe("no_manifest");
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
		const { deps, sfn } = harness({
			store,
			manifest: new LocalRunManifest(store.root),
		});
		expect(
			await handleBatchUpload(s3Event("runs/r1/gold/gold.parquet"), deps),
		).toEqual({ started: [], resumed: [], skipped: [] });
		expect(await handleBatchUpload({}, deps)).toEqual({
			started: [],
			resumed: [],
			skipped: [],
		});
		await expect(
			handleBatchUpload({ rerun: true, batchId: "../etc" }, deps),
		).rejects.toThrow(/invalid batchId/);
		expect(sfn.calls).toEqual([]);
	});

	it("missingDatasets accepts every format of docs/data-contract.md §1", () => {
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
		// A manifest's list closes a folder of parts without the marker.
		expect(
			missingDatasets(
				[...gz.slice(0, 6), "consumption_hourly_2024/part-0.parquet"],
				{ partsClosed: true },
			),
		).toEqual([]);
		expect(
			missingDatasets([
				...gz.slice(0, 6),
				"consumption_hourly_2024/part-0.parquet",
			]),
		).toEqual(["consumption_hourly_2024/_SUCCESS"]);
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
