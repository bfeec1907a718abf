import aslValidator from "asl-validator";
import { describe, expect, it } from "vitest";
import { RawContractError, TransientIOError } from "../runtime/errors.ts";
import {
	buildDefinition,
	TASK_STAGES,
	type TaskStage,
} from "../runtime/pipeline/definition.ts";
import {
	runStateMachineLocal,
	type StageHandler,
} from "../runtime/pipeline/run-local.ts";

/** Handlers that only record the order they ran in: this suite tests the state machine's wiring. */
function recordingHandlers(
	calls: string[],
	overrides: Partial<Record<TaskStage, StageHandler>> = {},
) {
	const h = {} as Record<TaskStage, StageHandler>;
	for (const s of TASK_STAGES) {
		h[s] =
			overrides[s] ??
			(async (input: never) => {
				calls.push(s);
				if (s === "ValidateRaw")
					return { shards: [{ id: "a" }, { id: "b" }, { id: "c" }] };
				if (s === "PlanModel") return { action: "train" };
				if (s === "BronzeShard")
					return { index: (input as { index: number }).index };
				return { ok: true };
			});
	}
	return h;
}

describe("state machine definition", () => {
	it("is valid Amazon States Language", () => {
		const { isValid, errors } = aslValidator(buildDefinition());
		expect(errors).toEqual([]);
		expect(isValid).toBe(true);
	});

	it("has a Distributed Map variant that reads the shard list from the lake and writes results there", () => {
		const def = buildDefinition({
			resourceFor: (s) => `arn:aws:lambda:eu-west-1:123456789012:function:${s}`,
			mapMode: "DISTRIBUTED",
			lakeBucket: "lake-bucket",
		}) as { States: Record<string, Record<string, unknown>> };
		const { isValid, errors } = aslValidator(def);
		expect(errors).toEqual([]);
		expect(isValid).toBe(true);
		const map = def.States.BronzeShards;
		expect(map.ItemsPath).toBeUndefined();
		expect(map.ItemReader).toMatchObject({
			Parameters: { Bucket: "lake-bucket", "Key.$": "$.raw.shardsKey" },
		});
		expect(map.ResultWriter).toMatchObject({
			Parameters: { Bucket: "lake-bucket" },
		});
		expect(
			(map.ItemProcessor as { ProcessorConfig: unknown }).ProcessorConfig,
		).toEqual({ Mode: "DISTRIBUTED", ExecutionType: "STANDARD" });
		// The long shard list stays out of the state.
		expect(def.States.ValidateRaw.ResultSelector).toEqual({
			"shardCount.$": "$.shardCount",
			"shardsKey.$": "$.shardsKey",
			"rows.$": "$.rows",
		});
		expect(() =>
			buildDefinition({ resourceFor: String, mapMode: "DISTRIBUTED" }),
		).toThrow(/lakeBucket/);
	});

	it("lets the report publication be another kind of task (the report build container in AWS)", () => {
		const parameters = {
			Cluster: "c",
			TaskDefinition: "t",
			LaunchType: "FARGATE",
		};
		const def = buildDefinition({
			resourceFor: (s) => `arn:aws:lambda:eu-west-1:123456789012:function:${s}`,
			publishReport: {
				resource: "arn:aws:states:::ecs:runTask.sync",
				parameters,
			},
		}) as { States: Record<string, Record<string, unknown>> };
		expect(aslValidator(def).errors).toEqual([]);
		expect(def.States.PublishReport).toMatchObject({
			Type: "Task",
			Resource: "arn:aws:states:::ecs:runTask.sync",
			Parameters: parameters,
			Next: "MarkSucceeded",
			Catch: [{ Next: "MarkFailed" }],
		});
		expect(def.States.Drift.Next).toBe("PublishReport");
	});

	it("gives every Task a Retry on transient errors and a Catch to MarkFailed", () => {
		const def = buildDefinition() as {
			States: Record<string, Record<string, unknown>>;
		};
		for (const [name, state] of Object.entries(def.States)) {
			if (state.Type !== "Task") continue;
			// Explicit limits: none by default in AWS, 60 s in the local runner.
			expect(state.TimeoutSeconds, name).toBe(
				name === "PublishReport" ? 1800 : 900,
			);
			if (name === "MarkFailed") continue;
			expect(state.Retry, name).toBeDefined();
			expect((state.Catch as Array<{ Next: string }>)[0].Next, name).toBe(
				"MarkFailed",
			);
		}
	});

	it("runs every stage in order with the bronze Map over the shards", async () => {
		const calls: string[] = [];
		const out = (await runStateMachineLocal(
			{ runId: "r1", dataRoot: "/x" },
			{ handlers: recordingHandlers(calls) },
		)) as Record<string, unknown>;
		expect(calls.filter((c) => c !== "BronzeShard")).toEqual([
			"ValidateRaw",
			"BronzeReduce",
			"Silver",
			"Gold",
			"PlanModel",
			"Train",
			"Score",
			"Recommend",
			"Drift",
			"PublishReport",
			"MarkSucceeded",
		]);
		expect(calls.filter((c) => c === "BronzeShard")).toHaveLength(3);
		expect(out.bronzeShards).toEqual([
			{ index: 0 },
			{ index: 1 },
			{ index: 2 },
		]);
	});

	it("skips training when the plan says score", async () => {
		const calls: string[] = [];
		const handlers = recordingHandlers(calls, {
			PlanModel: async () => ({ action: "score" }),
		});
		await runStateMachineLocal({ runId: "r1", dataRoot: "/x" }, { handlers });
		expect(calls).not.toContain("Train");
		expect(calls).toContain("Score");
	});

	it("retries a transient error and then succeeds", async () => {
		const calls: string[] = [];
		let attempts = 0;
		const handlers = recordingHandlers(calls, {
			Silver: async () => {
				attempts++;
				if (attempts < 3) throw new TransientIOError("socket hang up");
				return { ok: true };
			},
		});
		await runStateMachineLocal(
			{ runId: "r1", dataRoot: "/x" },
			{ handlers, retryIntervalMs: 1 },
		);
		expect(attempts).toBe(3);
		expect(calls).toContain("MarkSucceeded");
		expect(calls).not.toContain("MarkFailed");
	});

	it("routes a permanent error to MarkFailed with the error, without retrying, and fails the execution", async () => {
		const calls: string[] = [];
		let attempts = 0;
		let failureInput: { error?: { Error: string; Cause: string } } = {};
		const handlers = recordingHandlers(calls, {
			Gold: async () => {
				attempts++;
				throw new RawContractError(
					{ file: "churn_label.csv", row: 3, column: "churn" },
					"not 0/1",
				);
			},
			MarkFailed: async (input: never) => {
				failureInput = input;
				return { marked: true };
			},
		});
		await expect(
			runStateMachineLocal(
				{ runId: "r1", dataRoot: "/x" },
				{ handlers, retryIntervalMs: 1 },
			),
		).rejects.toThrow();
		expect(attempts).toBe(1);
		expect(failureInput.error?.Error).toBe("RawContractError");
		expect(String(failureInput.error?.Cause)).toContain(
			"churn_label.csv, row 3",
		);
		expect(calls).not.toContain("MarkSucceeded");
	});
});
