/**
 * The Lambda entry points on the AWS platform, against loopback peers: the
 * lake in s3rver, the manifest and registry in dynalite. The local state
 * machine drives `handle(stage, event)` exactly as Step Functions drives the
 * stage functions (execution input from the trigger: run id and batch id
 * only, no local paths), and the outputs must equal those of the embedded
 * run of the same batch. Step Functions itself has no local peer, so the
 * trigger's StartExecution goes to aws-sdk-client-mock.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	createStateTable,
	DynamoDbRunManifest,
} from "../runtime/io/dynamodb-manifest.ts";
import { Lake, lakeKeys, readLatest } from "../runtime/io/lake.ts";
import { S3ObjectStore } from "../runtime/io/s3-object-store.ts";
import { TASK_STAGES } from "../runtime/pipeline/definition.ts";
import { executeRun } from "../runtime/pipeline/execute.ts";
import { handle, runDefaults, trigger } from "../runtime/pipeline/lambda.ts";
import {
	runStateMachineLocal,
	type StageHandler,
} from "../runtime/pipeline/run-local.ts";
import { generateBatch } from "../runtime/synth/generate.ts";
import {
	type DynamoPeer,
	type S3Peer,
	startDynamoPeer,
	startS3Peer,
} from "./support/peers.ts";
import { expectSameOutputs } from "./support/same-outputs.ts";

const BUCKET = "spanishgas-lake-test";
let s3: S3Peer;
let dynamo: DynamoPeer;
let root: string;
let store: S3ObjectStore;
const saved = { ...process.env };

async function upload(dir: string, prefix: string) {
	for (const entry of await readdir(dir, {
		recursive: true,
		withFileTypes: true,
	})) {
		if (!entry.isFile()) continue;
		const path = join(entry.parentPath, entry.name);
		await store.put(
			prefix + relative(dir, path).split("\\").join("/"),
			await readFile(path),
		);
	}
}

beforeAll(async () => {
	[s3, dynamo] = await Promise.all([startS3Peer(), startDynamoPeer()]);
	await s3.createBucket(BUCKET);
	await createStateTable(dynamo.client, "runs");
	await createStateTable(dynamo.client, "models");
	Object.assign(process.env, {
		LAKE_BUCKET: BUCKET,
		STATE_TABLE: "runs",
		REGISTRY_TABLE: "models",
		AWS_ENDPOINT_URL_S3: s3.endpoint,
		AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
		S3_FORCE_PATH_STYLE: "true",
		AWS_REGION: "eu-west-1",
		AWS_ACCESS_KEY_ID: "S3RVER",
		AWS_SECRET_ACCESS_KEY: "S3RVER",
		PROMOTION_GATE: "0",
		SHARD_COUNT: "3",
		STATE_MACHINE_ARN:
			"arn:aws:states:eu-west-1:123456789012:stateMachine:pipeline",
	});
	store = new S3ObjectStore({ bucket: BUCKET, client: s3.client });
	root = await mkdtemp(join(tmpdir(), "sg-lambda-"));
	await generateBatch({
		customers: 400,
		seed: 5,
		outDir: new Lake(root).rawDir("b1"),
		partCustomers: 100,
	});
	await upload(new Lake(root).rawDir("b1"), lakeKeys.rawPrefix("b1"));
}, 120_000);

afterAll(async () => {
	process.env = saved;
	await Promise.all([s3?.stop(), dynamo?.stop()]);
	await rm(root, { recursive: true, force: true });
});

describe("Lambda entry points on S3 + DynamoDB", () => {
	let runId = "";
	let input: Record<string, unknown> = {};

	it("the trigger claims the uploaded batch and starts one execution with the stack's run settings", async () => {
		const sfn = mockClient(SFNClient);
		try {
			sfn.on(StartExecutionCommand).resolves({ executionArn: "arn:exec:1" });
			const first = await trigger({
				Records: [{ s3: { object: { key: "raw/b1/_SUCCESS" } } }],
			});
			expect(first.started).toHaveLength(1);
			runId = first.started[0];
			const again = await trigger({
				Records: [{ s3: { object: { key: "raw/b1/churn_label.csv" } } }],
			});
			expect(again.started).toEqual([]);
			const calls = sfn.commandCalls(StartExecutionCommand);
			expect(calls).toHaveLength(1);
			input = JSON.parse(calls[0].args[0].input.input ?? "{}");
			expect(input).toEqual({ runId, batchId: "b1", ...runDefaults() });
			expect(input.gate).toBe(0);
			expect(input.shardCount).toBe(3);
		} finally {
			sfn.restore();
		}
	});

	it("runs every stage through handle() with only run id and batch id in the state, and matches the embedded run", async () => {
		const handlers = Object.fromEntries(
			TASK_STAGES.map((s) => [s, (event: never) => handle(s, event)]),
		) as Record<(typeof TASK_STAGES)[number], StageHandler>;
		const out = (await runStateMachineLocal(input, {
			handlers,
			maxConcurrency: 3,
		})) as Record<string, unknown>;
		expect(out.result).toEqual({ status: "succeeded" });

		const manifest = new DynamoDbRunManifest({
			table: "runs",
			client: dynamo.client,
		});
		const record = await manifest.get(runId);
		expect(record?.status).toBe("succeeded");
		expect(record?.stages.map((s) => s.stage)).toContain("BronzeReduce");
		expect((await readLatest(store))?.runId).toBe(runId);
		expect(await store.exists(lakeKeys.runReport(runId))).toBe(true);

		// The same batch through the embedded platform gives the same tables.
		const local = await executeRun({
			dataRoot: root,
			batchId: "b1",
			shardCount: 2,
			gate: 0,
		});
		expect(local.ok).toBe(true);
		expect(Object.keys(record?.summary?.quality ?? {})).toHaveLength(5);
		await expectSameOutputs({ store, record }, { root, record: local.record }, [
			["bronze", "bronze_customer_month"],
			["gold", "gold_customer"],
			["scored", "scores"],
			["scored", "recommendations"],
		]);
	});

	it("the weekly retrain re-runs the last successful batch in train mode", async () => {
		const sfn = mockClient(SFNClient);
		try {
			sfn.on(StartExecutionCommand).resolves({ executionArn: "arn:exec:2" });
			const r = await trigger({ rerun: true, mode: "train" });
			expect(r.started).toHaveLength(1);
			const sent = JSON.parse(
				sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input ?? "{}",
			);
			expect(sent).toMatchObject({ batchId: "b1", mode: "train" });
			expect(
				sfn.commandCalls(StartExecutionCommand)[0].args[0].input.name,
			).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
		} finally {
			sfn.restore();
		}
	});

	it("names a missing setting and an unknown stage clearly", async () => {
		expect(() => runDefaults({ PROMOTION_GATE: "1.5" })).toThrow(
			/PROMOTION_GATE="1.5"/,
		);
		await expect(handle("Nope" as never, {})).rejects.toThrow(
			/unknown stage "Nope"/,
		);
	});
});
