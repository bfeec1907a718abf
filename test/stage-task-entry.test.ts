/**
 * A stage run as a Fargate task, locally: the container command of the
 * stage's task definition (runtime/pipeline/task-entry.ts) as a real child
 * process with the environment the task definition sets, against s3rver and
 * dynalite as test/lambda.test.ts uses them. Its result must equal the
 * in-process handler's (the one a stage Lambda runs); its failures must
 * carry the handler's typed error; and a whole run whose ECS variant sends
 * Silver, Train and Drift to such processes must give the same tables as the
 * embedded run of the same batch.
 */
import "core-js/actual/promise/with-resolvers.js";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { StateMachine as LocalStateMachine } from "aws-local-stepfunctions";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STAGE_CONTAINER } from "../components/stage-task.ts";
import { stageTaskParameters } from "../components/state-machine.ts";
import {
	createStateTable,
	DynamoDbRunManifest,
} from "../runtime/io/dynamodb-manifest.ts";
import { Lake, lakeKeys } from "../runtime/io/lake.ts";
import { S3ObjectStore } from "../runtime/io/s3-object-store.ts";
import {
	buildDefinition,
	type EcsCapableStage,
	localResource,
	TASK_STAGES,
} from "../runtime/pipeline/definition.ts";
import { executeRun } from "../runtime/pipeline/execute.ts";
import { handle, trigger } from "../runtime/pipeline/lambda.ts";
import {
	type StageEnvelope,
	TASK_EXIT,
} from "../runtime/pipeline/task-contract.ts";
import { generateBatch } from "../runtime/synth/generate.ts";
import {
	type DynamoPeer,
	type S3Peer,
	startDynamoPeer,
	startS3Peer,
} from "./support/peers.ts";
import { expectSameOutputs } from "./support/same-outputs.ts";
import {
	ecsStageOverrides,
	runStageTaskProcess,
	type StageTaskWorld,
	type TaskRun,
	taskEnvironment,
} from "./support/stage-task-local.ts";

const BUCKET = "spanishgas-lake-tasks";
let s3: S3Peer;
let dynamo: DynamoPeer;
let root: string;
let store: S3ObjectStore;
let world: StageTaskWorld;
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

/** Starts a run of batch b1 through the trigger (StartExecution mocked: Step Functions has no peer); its execution input. */
async function startRun(
	request: Record<string, unknown>,
): Promise<Record<string, unknown>> {
	const sfn = mockClient(SFNClient);
	try {
		sfn.on(StartExecutionCommand).resolves({ executionArn: "arn:exec" });
		const r = await trigger(request as never);
		expect(r.started).toHaveLength(1);
		return JSON.parse(
			sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input ?? "{}",
		);
	} finally {
		sfn.restore();
	}
}

const envelopeAt = async (key: string) =>
	JSON.parse(await store.getText(key)) as StageEnvelope;

beforeAll(async () => {
	[s3, dynamo] = await Promise.all([startS3Peer(), startDynamoPeer()]);
	await s3.createBucket(BUCKET);
	await createStateTable(dynamo.client, "runs");
	await createStateTable(dynamo.client, "models");
	const settings = {
		STACK_NAME: "test",
		SHARD_COUNT: "3",
		PROMOTION_GATE: "0",
		SEED: "42",
	};
	// The in-process handler (what a stage Lambda runs) sees the same configuration as the container.
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
		STATE_MACHINE_ARN:
			"arn:aws:states:eu-west-1:123456789012:stateMachine:pipeline",
		...settings,
	});
	world = {
		s3,
		dynamo,
		lakeBucket: BUCKET,
		manifestTable: "runs",
		registryTable: "models",
		environment: settings,
	};
	store = new S3ObjectStore({ bucket: BUCKET, client: s3.client });
	root = await mkdtemp(join(tmpdir(), "sg-tasks-"));
	await generateBatch({
		customers: 400,
		seed: 7,
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

describe("a stage through the container entry point", () => {
	let state: Record<string, unknown> = {};
	let runId = "";
	const io = (stage: string, attempt: string) => ({
		STAGE_INPUT_KEY: `runs/${runId}/stage-io/${stage}/${attempt}/input.json`,
		STAGE_OUTPUT_KEY: `runs/${runId}/stage-io/${stage}/${attempt}/output.json`,
	});

	beforeAll(async () => {
		state = await startRun({
			Records: [{ s3: { object: { key: "raw/b1/_SUCCESS" } } }],
		});
		runId = state.runId as string;
		// The stages before Silver, in-process, as their Lambdas would run them.
		const raw = (await handle("ValidateRaw", state)) as {
			shards: unknown[];
		};
		state = { ...state, raw };
		const bronzeShards = [];
		for (const [index, shard] of raw.shards.entries())
			bronzeShards.push(await handle("BronzeShard", { runId, shard, index }));
		state = { ...state, bronzeShards };
		state = { ...state, bronze: await handle("BronzeReduce", state) };
	}, 180_000);

	it("gives the in-process handler's result and the same tables, read from and written to the lake", async () => {
		const silverKeys = [
			lakeKeys.table(runId, "silver", "silver_customer"),
			lakeKeys.table(runId, "silver", "silver_customer_month"),
		];
		const inProcess = await handle("Silver", state);
		const recordedInProcess = (
			await new DynamoDbRunManifest({
				table: "runs",
				client: dynamo.client,
			}).get(runId)
		)?.stages.filter((s) => s.stage === "Silver");
		const tablesInProcess = await Promise.all(
			silverKeys.map((k) => store.get(k)),
		);
		// Gone before the task runs, so what it leaves is its own (one at a time: s3rver).
		for (const k of silverKeys) await store.delete(k);
		expect(await Promise.all(silverKeys.map((k) => store.exists(k)))).toEqual([
			false,
			false,
		]);

		const keys = io("Silver", "attempt-1");
		await store.put(keys.STAGE_INPUT_KEY, JSON.stringify(state));
		const run = await runStageTaskProcess(
			taskEnvironment(world, "Silver", keys),
		);
		expect(run.exitCode, run.stderr).toBe(TASK_EXIT.ok);
		const envelope = await envelopeAt(keys.STAGE_OUTPUT_KEY);
		expect(envelope).toEqual({ ok: true, stage: "Silver", output: inProcess });
		expect(JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}")).toEqual({
			stage: "Silver",
			ok: true,
			exitCode: 0,
		});
		// The tables the task wrote are the ones the handler wrote in-process, byte for byte.
		const tablesByTask = await Promise.all(silverKeys.map((k) => store.get(k)));
		expect(tablesByTask.map((b) => Buffer.from(b).toString("base64"))).toEqual(
			tablesInProcess.map((b) => Buffer.from(b).toString("base64")),
		);
		// And it recorded the stage in the run's manifest (in place of the in-process record), as the Lambda does.
		const silverRecord = async () =>
			(
				await new DynamoDbRunManifest({
					table: "runs",
					client: dynamo.client,
				}).get(runId)
			)?.stages.filter((s) => s.stage === "Silver");
		const recorded = await silverRecord();
		expect(recorded?.map((s) => s.rows)).toEqual([
			(inProcess as { rows: unknown }).rows,
		]);
		expect(recorded?.[0].seconds).not.toBe(recordedInProcess?.[0].seconds);
	}, 180_000);

	it("a failing stage exits 1 and leaves the handler's typed error in the envelope", async () => {
		// No model is registered yet: Score fails with NoChampionError in-process…
		await expect(handle("Score", state)).rejects.toMatchObject({
			name: "NoChampionError",
		});
		// …and so does the task.
		const keys = io("Score", "attempt-1");
		await store.put(keys.STAGE_INPUT_KEY, JSON.stringify(state));
		const run = await runStageTaskProcess(
			taskEnvironment(world, "Score", keys),
		);
		expect(run.exitCode).toBe(TASK_EXIT.stageFailed);
		const envelope = await envelopeAt(keys.STAGE_OUTPUT_KEY);
		expect(envelope).toMatchObject({
			ok: false,
			stage: "Score",
			error: { name: "NoChampionError" },
		});
		expect(run.stderr).toContain("NoChampionError");
	}, 120_000);

	it("a task outside the contract exits 2: a stage that cannot be a task, no output key, no input", async () => {
		const keys = io("BronzeShard", "attempt-1");
		const wrongStage = await runStageTaskProcess({
			...taskEnvironment(world, "Silver", keys),
			STAGE: "BronzeShard",
			STAGE_INPUT: "{}",
		});
		expect(wrongStage.exitCode).toBe(TASK_EXIT.config);
		expect(await envelopeAt(keys.STAGE_OUTPUT_KEY)).toMatchObject({
			ok: false,
			error: { name: "StageTaskConfigError" },
		});

		const { STAGE_OUTPUT_KEY: _, ...noOutput } = taskEnvironment(
			world,
			"Silver",
			io("Silver", "attempt-2"),
		);
		const nowhere = await runStageTaskProcess(noOutput);
		expect(nowhere.exitCode).toBe(TASK_EXIT.config);
		expect(nowhere.stderr).toContain("STAGE_OUTPUT_KEY is not set");

		const noInput = io("Gold", "attempt-1");
		const env = taskEnvironment(world, "Gold", noInput);
		delete env.STAGE_INPUT_KEY;
		const run = await runStageTaskProcess(env);
		expect(run.exitCode).toBe(TASK_EXIT.config);
		expect(await envelopeAt(noInput.STAGE_OUTPUT_KEY)).toMatchObject({
			ok: false,
			error: { name: "StageTaskConfigError" },
		});
	}, 120_000);
});

describe("a whole run with stages as tasks", () => {
	it("runs the ECS variant of Silver, Train and Drift through their container processes and gives the embedded run's tables", async () => {
		const input = await startRun({ rerun: true, batchId: "b1", force: true });
		const ecs: EcsCapableStage[] = ["Silver", "Train", "Drift"];
		const definition = buildDefinition({
			resourceFor: localResource,
			lakeBucket: BUCKET,
			maxConcurrency: 3,
			ecsStages: Object.fromEntries(
				ecs.map((s) => [
					s,
					{
						parameters: stageTaskParameters(
							{
								clusterArn:
									"arn:aws:ecs:eu-west-1:123456789012:cluster/spanishgas-tasks",
								subnetIds: ["subnet-a", "subnet-b"],
								securityGroupIds: ["sg-tasks"],
							},
							`arn:aws:ecs:eu-west-1:123456789012:task-definition/spanishgas-test-${s}:1`,
						),
						containerName: STAGE_CONTAINER,
					},
				]),
			),
		});
		const runs: Array<{ stage: string; run: TaskRun }> = [];
		const lambdaStages = Object.fromEntries(
			TASK_STAGES.map((s) => [s, (event: never) => handle(s, event)]),
		);
		const machine = new LocalStateMachine(definition as never, {
			validationOptions: { checkArn: true },
		});
		const out = (await machine.run(input as never, {
			overrides: {
				taskResourceLocalHandlers: {
					...lambdaStages,
					...ecsStageOverrides(world, ecs, runs),
				} as never,
			},
		}).result) as Record<string, unknown>;
		expect(out.result).toEqual({ status: "succeeded" });
		expect(runs.map((r) => [r.stage, r.run.exitCode])).toEqual([
			["Silver", 0],
			["Train", 0],
			["Drift", 0],
		]);
		// The tasks' results landed where the Lambda stages' would.
		expect(out.train).toMatchObject({ status: expect.any(String) });
		expect(Object.keys(out.silver as object)).toEqual(["rows"]);
		expect(out.drift).toMatchObject({ anyDrift: false });

		const record = await new DynamoDbRunManifest({
			table: "runs",
			client: dynamo.client,
		}).get(input.runId as string);
		expect(record?.status).toBe("succeeded");
		const local = await executeRun({
			dataRoot: root,
			batchId: "b1",
			shardCount: 2,
			gate: 0,
		});
		expect(local.ok).toBe(true);
		await expectSameOutputs({ store, record }, { root, record: local.record }, [
			["silver", "silver_customer_month"],
			["gold", "gold_customer"],
			["scored", "scores"],
			["scored", "recommendations"],
		]);
	}, 300_000);
});
