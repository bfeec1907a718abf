/**
 * The run reconciler (runtime/pipeline/reconciler.ts) against both manifests
 * (local files, DynamoDB on dynalite): execution status events close the run
 * and free its batch, a late event after MarkFailed changes nothing, and the
 * sweep closes runs whose execution never started or ended unseen. The Step
 * Functions calls (runtime/pipeline/sfn-executions.ts) against
 * aws-sdk-client-mock, the one peer there is no local server for.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
	DescribeExecutionCommand,
	SFNClient,
	StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	createStateTable,
	DynamoDbRunManifest,
} from "../runtime/io/dynamodb-manifest.ts";
import { LocalRunManifest, type RunManifest } from "../runtime/io/manifest.ts";
import type { Alert } from "../runtime/monitoring/alerts.ts";
import {
	type ExecutionStatusEvent,
	type ReconcilerDeps,
	reconcile,
	runIdOf,
} from "../runtime/pipeline/reconciler.ts";
import {
	describeRunExecution,
	ExecutionConflictError,
	type ExecutionStatus,
	executionArnOf,
	executionName,
	startRunExecution,
} from "../runtime/pipeline/sfn-executions.ts";
import { type DynamoPeer, startDynamoPeer } from "./support/peers.ts";

const SM = "arn:aws:states:eu-west-1:123456789012:stateMachine:spanishgas-dev";

let dynamo: DynamoPeer;
let scratch: string;
let n = 0;
beforeAll(async () => {
	dynamo = await startDynamoPeer();
	scratch = await mkdtemp(join(tmpdir(), "reconciler-"));
});
afterAll(async () => {
	await dynamo?.stop();
	await rm(scratch, { recursive: true, force: true });
});

const manifests: Array<{ name: string; make(): Promise<RunManifest> }> = [
	{
		name: "LocalRunManifest",
		make: async () => new LocalRunManifest(await mkdtemp(join(scratch, "m-"))),
	},
	{
		name: "DynamoDbRunManifest (dynalite)",
		make: async () => {
			const table = `spanishgas-reconciler-${++n}`;
			await createStateTable(dynamo.client, table);
			return new DynamoDbRunManifest({ table, client: dynamo.client });
		},
	},
];

function statusEvent(
	runId: string,
	status: string,
	extra: Partial<NonNullable<ExecutionStatusEvent["detail"]>> = {},
): ExecutionStatusEvent {
	return {
		source: "aws.states",
		"detail-type": "Step Functions Execution Status Change",
		detail: {
			executionArn: executionArnOf(SM, executionName(runId)),
			stateMachineArn: SM,
			name: executionName(runId),
			status,
			input: JSON.stringify({ runId, batchId: "b" }),
			error: "States.Timeout",
			cause: "the state machine timed out",
			...extra,
		},
	};
}

function harness(
	manifest: RunManifest,
	executions: Record<string, ExecutionStatus> = {},
	minutesLater = 0,
) {
	const alerts: Alert[] = [];
	const described: Array<[string, string | undefined]> = [];
	const deps: ReconcilerDeps = {
		manifest,
		alerts: { raise: async (a) => void alerts.push(a) },
		stateMachineArn: SM,
		describeExecution: async (runId, arn) => {
			described.push([runId, arn]);
			const status = executions[runId];
			return status ? { status } : undefined;
		},
		now: () => new Date(Date.now() + minutesLater * 60_000),
		log: () => {},
		metric: () => {},
	};
	return { deps, alerts, described };
}

describe.each(manifests)("reconciler on $name", (m) => {
	it("an execution that FAILED or TIMED_OUT marks its run failed with the cause, raises run_failed and frees the batch", async () => {
		const manifest = await m.make();
		await manifest.start("b", "r1_b", { requestKey: "s3:x" });
		const { deps, alerts } = harness(manifest);
		const out = await reconcile(statusEvent("r1_b", "TIMED_OUT"), deps);
		expect(out).toEqual([
			{
				runId: "r1_b",
				outcome: "marked_failed",
				detail: "States.Timeout: the state machine timed out",
			},
		]);
		const run = await manifest.get("r1_b");
		expect(run?.status).toBe("failed");
		expect(run?.history.at(-1)?.error).toEqual({
			name: "ExecutionTimedOut",
			message: "States.Timeout: the state machine timed out",
		});
		expect(alerts).toMatchObject([
			{ kind: "run_failed", runId: "r1_b", batchId: "b" },
		]);
		// The batch is free: a rerun request may claim it.
		expect(await manifest.start("b", "r2_b", { rerun: true })).toBe(true);
	});

	it("ABORTED marks the run aborted; events of another state machine or of a success are ignored", async () => {
		const manifest = await m.make();
		await manifest.start("b", "r1_b");
		const { deps, alerts } = harness(manifest);
		expect(
			await reconcile(
				statusEvent("r1_b", "FAILED", {
					stateMachineArn: `${SM}-other`,
				}),
				deps,
			),
		).toEqual([{ outcome: "ignored" }]);
		expect(await reconcile(statusEvent("r1_b", "SUCCEEDED"), deps)).toEqual([
			{ outcome: "ignored" },
		]);
		expect((await manifest.get("r1_b"))?.status).toBe("started");
		const out = await reconcile(
			statusEvent("r1_b", "ABORTED", { error: null, cause: null }),
			deps,
		);
		expect(out[0].outcome).toBe("marked_aborted");
		expect((await manifest.get("r1_b"))?.status).toBe("aborted");
		expect(alerts).toHaveLength(1);
	});

	it("after MarkFailed the event is a no-op: the status and its cause stay MarkFailed's, no second alert", async () => {
		const manifest = await m.make();
		await manifest.start("b", "r1_b");
		await manifest.fail("r1_b", {
			name: "DataQualityError",
			message: "gold_customer: 3 errors",
		});
		const { deps, alerts } = harness(manifest);
		const out = await reconcile(statusEvent("r1_b", "FAILED"), deps);
		expect(out).toEqual([{ runId: "r1_b", outcome: "already_finished" }]);
		const run = await manifest.get("r1_b");
		expect(run?.history.at(-1)?.error?.name).toBe("DataQualityError");
		expect(run?.history).toHaveLength(2);
		expect(alerts).toEqual([]);
		// An execution of no run (started by hand): logged, nothing else.
		expect(await reconcile(statusEvent("nobody", "FAILED"), deps)).toEqual([
			{ runId: "nobody", outcome: "unknown_run" },
		]);
	});

	it("the sweep fails runs past the lease with no execution (the trigger died before StartExecution) or a finished one, and leaves the rest", async () => {
		const manifest = await m.make();
		await manifest.start("never", "r-never_never");
		await manifest.start("lost", "r-lost_lost");
		await manifest.recordStage("r-lost_lost", {
			stage: "trigger",
			seconds: 0.1,
			detail: { executionId: "arn:recorded:lost" },
		});
		await manifest.start("busy", "r-busy_busy");
		await manifest.start("done", "r-done_done");
		await manifest.succeed("r-done_done", {});
		const executions = {
			"r-lost_lost": "FAILED",
			"r-busy_busy": "RUNNING",
		} as const;

		// Within the lease (the trigger may still be retrying): nothing is touched.
		const early = harness(manifest, executions, 5);
		const first = await reconcile({ sweep: true }, early.deps);
		expect(first.map((r) => r.outcome).sort()).toEqual([
			"within_lease",
			"within_lease",
			"within_lease",
		]);
		expect(early.described).toEqual([]);

		const late = harness(manifest, executions, 16);
		const out = await reconcile({ sweep: true }, late.deps);
		const by = Object.fromEntries(out.map((r) => [r.runId, r.outcome]));
		expect(by).toEqual({
			"r-never_never": "marked_failed",
			"r-lost_lost": "marked_failed",
			"r-busy_busy": "running",
		});
		// The recorded execution ARN is the one described; else the run's own name.
		expect(late.described).toContainEqual(["r-lost_lost", "arn:recorded:lost"]);
		expect(late.described).toContainEqual(["r-never_never", undefined]);
		const never = await manifest.get("r-never_never");
		expect(never?.status).toBe("failed");
		expect(never?.history.at(-1)?.error?.message).toMatch(
			/^no execution exists 16 min after the batch was claimed: the trigger failed before StartExecution/,
		);
		expect(late.alerts.map((a) => a.runId).sort()).toEqual([
			"r-lost_lost",
			"r-never_never",
		]);
		expect((await manifest.get("r-busy_busy"))?.status).toBe("started");
		// A second sweep finds nothing more to do.
		const again = harness(manifest, executions, 16);
		await reconcile({ sweep: true }, again.deps);
		expect(again.alerts).toEqual([]);
		// Both batches are free again.
		expect(await manifest.start("never", "r2", { rerun: true })).toBe(true);
		expect(await manifest.start("lost", "r3", { rerun: true })).toBe(true);
	});
});

describe("reconciler helpers", () => {
	it("runIdOf reads the execution input's run id, else its name", () => {
		expect(
			runIdOf({ name: "r-b-7", input: JSON.stringify({ runId: "r_b 7" }) }),
		).toBe("r_b 7");
		expect(runIdOf({ name: "r_b", input: "not json" })).toBe("r_b");
		expect(runIdOf({ name: "r_b", input: null })).toBe("r_b");
	});

	it("executionArnOf names the execution of the state machine", () => {
		expect(executionArnOf(SM, "r1")).toBe(
			"arn:aws:states:eu-west-1:123456789012:execution:spanishgas-dev:r1",
		);
		expect(() => executionArnOf("arn:aws:lambda:x", "r1")).toThrow(
			/not a state machine ARN/,
		);
	});
});

describe("Step Functions calls (aws-sdk-client-mock)", () => {
	it("StartExecution is idempotent per run: ExecutionAlreadyExists with the same input is the same start, another input an error", async () => {
		const sfn = mockClient(SFNClient);
		try {
			const exists = Object.assign(new Error("Execution Already Exists"), {
				name: "ExecutionAlreadyExists",
			});
			sfn.on(StartExecutionCommand).rejects(exists);
			const input = { runId: "r 1", batchId: "b" };
			const arn = executionArnOf(SM, "r-1");
			sfn
				.on(DescribeExecutionCommand, { executionArn: arn })
				.resolves({ input: '{ "runId": "r 1", "batchId": "b" }' });
			const client = new SFNClient({ region: "eu-west-1" });
			expect(await startRunExecution(client, SM, "r 1", input)).toBe(arn);
			expect(
				sfn.commandCalls(StartExecutionCommand)[0].args[0].input,
			).toMatchObject({ name: "r-1", stateMachineArn: SM });
			await expect(
				startRunExecution(client, SM, "r 1", { ...input, mode: "train" }),
			).rejects.toBeInstanceOf(ExecutionConflictError);
			// Any other failure is passed on (the trigger's retry resumes the run).
			sfn.on(StartExecutionCommand).rejects(
				Object.assign(new Error("Rate exceeded"), {
					name: "ThrottlingException",
				}),
			);
			await expect(startRunExecution(client, SM, "r 1", input)).rejects.toThrow(
				/Rate exceeded/,
			);
		} finally {
			sfn.restore();
		}
	});

	it("DescribeExecution: ExecutionDoesNotExist is undefined, a status is passed on", async () => {
		const sfn = mockClient(SFNClient);
		try {
			sfn
				.on(DescribeExecutionCommand, { executionArn: "arn:a" })
				.rejects(
					Object.assign(new Error("no"), { name: "ExecutionDoesNotExist" }),
				)
				.on(DescribeExecutionCommand, { executionArn: "arn:b" })
				.resolves({ status: "FAILED", error: "E", cause: "C" });
			const client = new SFNClient({ region: "eu-west-1" });
			expect(await describeRunExecution(client, "arn:a")).toBeUndefined();
			expect(await describeRunExecution(client, "arn:b")).toEqual({
				status: "FAILED",
				cause: "E: C",
			});
		} finally {
			sfn.restore();
		}
	});
});
