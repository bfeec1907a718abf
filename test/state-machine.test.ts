import aslValidator from "asl-validator";
import { StateMachine as LocalStateMachine } from "aws-local-stepfunctions";
import { describe, expect, it } from "vitest";
import { RawContractError, TransientIOError } from "../runtime/errors.ts";
import {
	buildDefinition,
	ECS_CAPABLE_STAGES,
	type EcsCapableStage,
	localResource,
	STAGE_TASK_FAILED,
	TASK_STAGES,
	type TaskStage,
} from "../runtime/pipeline/definition.ts";
import {
	runStateMachineLocal,
	type StageHandler,
} from "../runtime/pipeline/run-local.ts";
import type { StageEnvelope } from "../runtime/pipeline/task-contract.ts";
import { inListOrder, TRAINING_RUN_STAGES } from "./support/stage-order.ts";

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
			// Exactly the transient errors, written out here: a retried permanent
			// error would only delay MarkFailed.
			expect(state.Retry, name).toEqual([
				{
					ErrorEquals: [
						"TransientIOError",
						"Lambda.ServiceException",
						"Lambda.AWSLambdaException",
						"Lambda.SdkClientException",
						"Lambda.TooManyRequestsException",
					],
					IntervalSeconds: 2,
					MaxAttempts: 3,
					BackoffRate: 2,
					JitterStrategy: "FULL",
				},
			]);
			if (name === "MarkFailed") {
				expect(state.Catch, name).toBeUndefined();
				continue;
			}
			expect(state.Catch, name).toEqual([
				{
					ErrorEquals: ["States.ALL"],
					ResultPath: "$.error",
					Next: "MarkFailed",
				},
			]);
		}
	});

	it("retries no state of any variant on States.ALL or States.TaskFailed", () => {
		const t = {
			parameters: { Cluster: "c", TaskDefinition: "t" },
			containerName: "stage",
		};
		const variants = [
			buildDefinition(),
			buildDefinition({
				resourceFor: localResource,
				mapMode: "DISTRIBUTED",
				lakeBucket: "lake",
				ecsStages: Object.fromEntries(ECS_CAPABLE_STAGES.map((s) => [s, t])),
				publishReport: { resource: "arn:aws:states:::ecs:runTask.sync" },
			}),
		];
		let retries = 0;
		const walk = (states: Record<string, Record<string, unknown>>) => {
			for (const [name, s] of Object.entries(states)) {
				for (const r of (s.Retry ?? []) as Array<{ ErrorEquals: string[] }>) {
					retries++;
					expect(r.ErrorEquals, name).not.toContain("States.ALL");
					expect(r.ErrorEquals, name).not.toContain("States.TaskFailed");
				}
				const inner = [
					...((s.Branches ?? []) as Array<{ States: never }>),
					...(s.ItemProcessor ? [s.ItemProcessor as { States: never }] : []),
				];
				for (const b of inner) walk(b.States);
			}
		};
		for (const v of variants)
			walk((v as { States: Record<string, Record<string, unknown>> }).States);
		expect(retries).toBeGreaterThan(TASK_STAGES.length);
	});

	it("runs every stage in order with the bronze Map over the shards", async () => {
		const calls: string[] = [];
		const out = (await runStateMachineLocal(
			{ runId: "r1", dataRoot: "/x" },
			{ handlers: recordingHandlers(calls) },
		)) as Record<string, unknown>;
		// Train and the ladder beside it may be called in either order.
		expect(inListOrder(calls.filter((c) => c !== "BronzeShard"))).toEqual(
			TRAINING_RUN_STAGES,
		);
		// Hand-written, so that a reordered list shows here.
		const train = TRAINING_RUN_STAGES.indexOf("Train");
		expect(TRAINING_RUN_STAGES.slice(train, train + 3)).toEqual([
			"Train",
			"Ladder",
			"Score",
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

/**
 * The ECS variant of a stage (definition.ts ecsStage), run by
 * aws-local-stepfunctions with its S3 and ECS Task states overridden by a
 * lake in memory and a "container" that runs the stage's handler on the
 * input it reads and writes the envelope, as runtime/pipeline/task-entry.ts
 * does (that entry point itself, as a child process against S3 and DynamoDB
 * peers, is test/infra-stage-runners.test.ts).
 */
describe("stages as ECS tasks", () => {
	const LAKE = "lake-bucket";
	const target = (s: string) => ({
		parameters: {
			Cluster: "arn:aws:ecs:eu-west-1:123456789012:cluster/tasks",
			TaskDefinition: `arn:aws:ecs:eu-west-1:123456789012:task-definition/spanishgas-dev-${s}:1`,
			LaunchType: "FARGATE",
		},
		containerName: "stage",
	});
	const ecsStages = (stages: readonly EcsCapableStage[]) =>
		Object.fromEntries(stages.map((s) => [s, target(s)]));
	// biome-ignore lint/suspicious/noExplicitAny: ASL and execution state are untyped JSON here
	type Json = Record<string, any>;
	type Def = { States: Record<string, Json> };
	const lambdaArn = (s: string) =>
		`arn:aws:lambda:eu-west-1:123456789012:function:${s}`;

	/** An ECS task's failure as runTask.sync reports it: the container exited non-zero. */
	class TaskFailed extends Error {
		override readonly name = "States.TaskFailed";
	}

	/** What the container does with its stage and input: the envelope it writes, or undefined when it dies without one. */
	type Container = (
		stage: string,
		input: unknown,
	) => Promise<StageEnvelope | undefined>;

	/** Runs a definition locally: Lambda stages in-process, ECS stages through the in-memory lake and `container`. */
	async function runEcsVariant(
		def: unknown,
		handlers: Record<TaskStage, StageHandler>,
		container: Container,
		lake = new Map<string, string>(),
	) {
		const overrides: Record<string, (i: Json) => Promise<unknown>> = {};
		for (const s of TASK_STAGES)
			overrides[s] = (i) => handlers[s](i as never) as Promise<unknown>;
		const retryIntervalOverrides: Record<string, number> = {};
		for (const s of [...TASK_STAGES, ...ECS_CAPABLE_STAGES]) {
			retryIntervalOverrides[s] = 1;
			retryIntervalOverrides[`${s}Run`] = 1;
			overrides[`${s}PutInput`] = async (i) => {
				expect(i.Bucket).toBe(LAKE);
				lake.set(i.Key, i.Body);
				return {};
			};
			const get = async (i: Json) => {
				const body = lake.get(i.Key);
				if (body === undefined)
					throw Object.assign(new Error(`no ${i.Key}`), {
						name: "S3.NoSuchKeyException",
					});
				return { Body: body };
			};
			overrides[`${s}GetOutput`] = get;
			overrides[`${s}GetError`] = get;
			overrides[`${s}Run`] = async (i) => {
				expect(i.TaskDefinition).toBe(target(s).parameters.TaskDefinition);
				const env = Object.fromEntries(
					i.Overrides.ContainerOverrides[0].Environment.map(
						(e: { Name: string; Value: string }) => [e.Name, e.Value],
					),
				);
				const input = JSON.parse(lake.get(env.STAGE_INPUT_KEY) as string);
				const envelope = await container(s, input);
				if (envelope) lake.set(env.STAGE_OUTPUT_KEY, JSON.stringify(envelope));
				if (!envelope?.ok)
					throw new TaskFailed(
						JSON.stringify({ StopCode: "EssentialContainerExited" }),
					);
				return { Containers: [{ ExitCode: 0 }] };
			};
		}
		const machine = new LocalStateMachine(def as never, {
			validationOptions: { checkArn: true },
		});
		const execution = machine.run({ runId: "r1", batchId: "b1" } as never, {
			overrides: {
				taskResourceLocalHandlers: overrides as never,
				retryIntervalOverrides,
			},
		});
		return execution.result;
	}

	/** The container of a healthy stage: the handler's result in the envelope. */
	const handlerContainer =
		(handlers: Record<TaskStage, StageHandler>): Container =>
		async (stage, input) => {
			try {
				const output = await handlers[stage as TaskStage](input as never);
				return { ok: true, stage: stage as TaskStage, output };
			} catch (e) {
				const err = e as Error;
				return {
					ok: false,
					stage,
					error: { name: err.name, message: err.message },
				};
			}
		};

	/** Handlers whose outputs depend on their input, so a broken data flow shows. */
	function echoHandlers(calls: string[]) {
		return recordingHandlers(calls, {
			Silver: async (i: never) => {
				calls.push("Silver");
				const s = i as Json;
				return { sawBronze: s.bronze, runId: s.runId };
			},
			Gold: async (i: never) => {
				calls.push("Gold");
				const s = i as Json;
				return { sawSilver: s.silver, keys: Object.keys(s).sort() };
			},
			Train: async (i: never) => {
				calls.push("Train");
				return { sawPlan: (i as Json).plan };
			},
		});
	}

	it("is valid ASL, and the stage keeps its name, ResultPath and Catch with the task inside", () => {
		for (const mapMode of ["INLINE", "DISTRIBUTED"] as const) {
			const def = buildDefinition({
				resourceFor: lambdaArn,
				mapMode,
				lakeBucket: LAKE,
				ecsStages: ecsStages(ECS_CAPABLE_STAGES),
				// Train's own shape; beside the ladder it is the first branch of TrainParallel (below).
				without: ["Ladder"],
			}) as Def;
			// The validator annotates what it checks: give it a copy.
			const { isValid, errors } = aslValidator(structuredClone(def));
			expect(errors, mapMode).toEqual([]);
			expect(isValid).toBe(true);
			const train = def.States.Train;
			expect(train).toMatchObject({
				Type: "Parallel",
				ResultPath: "$.train",
				Next: "TrainResult",
				Catch: [
					{
						ErrorEquals: ["States.ALL"],
						ResultPath: "$.error",
						Next: "MarkFailed",
					},
				],
			});
			expect(def.States.TrainResult).toEqual({
				Type: "Pass",
				InputPath: "$.train[0]",
				ResultPath: "$.train",
				Next: "Score",
			});
			const branch = train.Branches[0].States;
			expect(Object.keys(branch).sort()).toEqual(
				[
					"TrainPrepare",
					"TrainPutInput",
					"TrainRun",
					"TrainGetOutput",
					"TrainOutput",
					"TrainGetError",
					"TrainRaise",
					"TrainCrashed",
				].sort(),
			);
			expect(branch.TrainRun.Resource).toBe(
				"arn:aws:states:::ecs:runTask.sync",
			);
			expect(branch.TrainRun.Parameters).toMatchObject(
				target("Train").parameters,
			);
			expect(branch.TrainRun.Parameters.Overrides.ContainerOverrides).toEqual([
				{
					Name: "stage",
					Environment: [
						{
							Name: "STAGE_INPUT_KEY",
							"Value.$":
								"States.Format('runs/{}/stage-io/Train/{}/input.json', $.input.runId, $.attempt)",
						},
						{
							Name: "STAGE_OUTPUT_KEY",
							"Value.$":
								"States.Format('runs/{}/stage-io/Train/{}/output.json', $.input.runId, $.attempt)",
						},
					],
				},
			]);
			expect(branch.TrainRun.TimeoutSeconds).toBe(14_400);
			expect(branch.TrainPutInput).toMatchObject({
				Resource: "arn:aws:states:::aws-sdk:s3:putObject",
				Parameters: { Bucket: LAKE, "Body.$": "States.JsonToString($.input)" },
				ResultPath: null,
			});
			expect(branch.TrainRaise).toEqual({
				Type: "Fail",
				ErrorPath: "$.result.envelope.error.name",
				CausePath: "$.result.envelope.error.message",
			});
			expect(branch.TrainCrashed).toMatchObject({
				Type: "Fail",
				Error: STAGE_TASK_FAILED,
			});
			// The plan's Choice still reaches Train by its name.
			expect(def.States.ModelMode.Choices[0].Next).toBe("Train");
			// Lambda stages stay Lambda tasks.
			expect(def.States.PlanModel.Resource).toBe(lambdaArn("PlanModel"));
		}
		// In a Distributed Map run, ValidateRaw's (long) shard list stays out of the state either way.
		const dist = buildDefinition({
			resourceFor: lambdaArn,
			mapMode: "DISTRIBUTED",
			lakeBucket: LAKE,
			ecsStages: ecsStages(["ValidateRaw"]),
		}) as Def;
		expect(dist.States.ValidateRawResult.Parameters).toEqual(
			(
				buildDefinition({
					resourceFor: lambdaArn,
					mapMode: "DISTRIBUTED",
					lakeBucket: LAKE,
				}) as Def
			).States.ValidateRaw.ResultSelector,
		);
	});

	it("refuses stages that cannot be tasks and ECS stages without the lake", () => {
		expect(() =>
			buildDefinition({
				resourceFor: lambdaArn,
				lakeBucket: LAKE,
				ecsStages: { BronzeShard: target("BronzeShard") } as never,
			}),
		).toThrow(/BronzeShard cannot run as an ECS task/);
		expect(() =>
			buildDefinition({
				resourceFor: lambdaArn,
				ecsStages: ecsStages(["Train"]),
			}),
		).toThrow(/lakeBucket/);
	});

	it("retries exactly: Lambda names on Lambda tasks, ECS names on ECS tasks, the handler's TransientIOError on an ECS stage; all with full jitter", () => {
		const def = buildDefinition({
			resourceFor: lambdaArn,
			lakeBucket: LAKE,
			ecsStages: ecsStages(["Silver"]),
			publishReport: {
				resource: "arn:aws:states:::ecs:runTask.sync",
				parameters: target("report").parameters,
			},
		}) as Def;
		const lambdaRetry = [
			{
				ErrorEquals: [
					"TransientIOError",
					"Lambda.ServiceException",
					"Lambda.AWSLambdaException",
					"Lambda.SdkClientException",
					"Lambda.TooManyRequestsException",
				],
				IntervalSeconds: 2,
				MaxAttempts: 3,
				BackoffRate: 2,
				JitterStrategy: "FULL",
			},
		];
		const ecsRetry = [
			{
				ErrorEquals: [
					"ECS.AmazonECSException",
					"ECS.ServerException",
					"ECS.InvalidParameterException",
					"AmazonECS.Unknown",
				],
				IntervalSeconds: 10,
				MaxAttempts: 3,
				BackoffRate: 2,
				MaxDelaySeconds: 300,
				JitterStrategy: "FULL",
			},
		];
		for (const s of ["ValidateRaw", "Gold", "MarkSucceeded", "MarkFailed"])
			expect(def.States[s].Retry, s).toEqual(lambdaRetry);
		expect(
			def.States.BronzeShards.ItemProcessor.States.BronzeShard.Retry,
		).toEqual(lambdaRetry);
		expect(def.States.PublishReport.Retry).toEqual(ecsRetry);
		expect(def.States.Silver.Branches[0].States.SilverRun.Retry).toEqual(
			ecsRetry,
		);
		expect(def.States.Silver.Retry).toEqual([
			{
				ErrorEquals: ["TransientIOError"],
				IntervalSeconds: 2,
				MaxAttempts: 3,
				BackoffRate: 2,
				JitterStrategy: "FULL",
			},
		]);
		// No ECS state retries on a Lambda name, none on the catch-all of a failed container.
		const ecsStates: Json[] = [
			def.States.PublishReport,
			def.States.Silver,
			...(Object.values(def.States.Silver.Branches[0].States) as Json[]),
		];
		for (const s of ecsStates)
			for (const r of (s.Retry ?? []) as Array<{ ErrorEquals: string[] }>)
				for (const e of r.ErrorEquals) {
					expect(e).not.toMatch(/^Lambda\./);
					expect(["States.TaskFailed", "States.ALL"]).not.toContain(e);
				}
		// The local report handler (no container) keeps the Lambda retry.
		expect((buildDefinition() as Def).States.PublishReport.Retry).toEqual(
			lambdaRetry,
		);
	});

	it("the local runner still runs the jittered definition (Lambda variant) and retries", async () => {
		const calls: string[] = [];
		let attempts = 0;
		await runStateMachineLocal(
			{ runId: "r1", dataRoot: "/x" },
			{
				handlers: recordingHandlers(calls, {
					Drift: async () => {
						attempts++;
						if (attempts < 2) throw new TransientIOError("reset");
						return { ok: true };
					},
				}),
				retryIntervalMs: 1,
			},
		);
		expect(attempts).toBe(2);
		expect(calls).toContain("MarkSucceeded");
	});

	it("gives every later state the same data whether the stages run on Lambda or as ECS tasks", async () => {
		const lambdaCalls: string[] = [];
		const lambdaHandlers = echoHandlers(lambdaCalls);
		const viaLambda = await runEcsVariant(
			buildDefinition({ resourceFor: localResource, lakeBucket: LAKE }),
			lambdaHandlers,
			handlerContainer(lambdaHandlers),
		);
		const ecsCalls: string[] = [];
		const ecsHandlers = echoHandlers(ecsCalls);
		const lake = new Map<string, string>();
		const viaEcs = await runEcsVariant(
			buildDefinition({
				resourceFor: localResource,
				lakeBucket: LAKE,
				ecsStages: ecsStages(ECS_CAPABLE_STAGES),
			}),
			ecsHandlers,
			handlerContainer(ecsHandlers),
			lake,
		);
		expect(viaEcs).toEqual(viaLambda);
		expect(inListOrder(ecsCalls)).toEqual(inListOrder(lambdaCalls));
		expect((viaEcs as Json).gold.sawSilver).toEqual({
			sawBronze: { ok: true },
			runId: "r1",
		});
		// Each ECS stage went through the lake: one input and one output under its own attempt.
		for (const s of ECS_CAPABLE_STAGES) {
			const keys = [...lake.keys()].filter((k) =>
				k.startsWith(`runs/r1/stage-io/${s}/`),
			);
			expect(
				keys.map((k) => k.replace(/\/[^/]+\/([a-z]+\.json)$/, "/*/$1")).sort(),
				s,
			).toEqual([
				`runs/r1/stage-io/${s}/*/input.json`,
				`runs/r1/stage-io/${s}/*/output.json`,
			]);
		}
	});

	it("a stage error inside the container reaches Catch with its own name; a transient one is retried with a fresh attempt", async () => {
		const calls: string[] = [];
		let failureInput: { error?: { Error: string; Cause: string } } = {};
		const handlers = recordingHandlers(calls, {
			Gold: async () => {
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
		const def = buildDefinition({
			resourceFor: localResource,
			lakeBucket: LAKE,
			ecsStages: ecsStages(["Silver", "Gold"]),
		});
		await expect(
			runEcsVariant(def, handlers, handlerContainer(handlers)),
		).rejects.toThrow();
		expect(failureInput.error?.Error).toBe("RawContractError");
		expect(failureInput.error?.Cause).toContain("churn_label.csv, row 3");

		// TransientIOError in the container: the stage runs again, under a new attempt id.
		let attempts = 0;
		const retrying = recordingHandlers([], {
			Silver: async () => {
				attempts++;
				if (attempts < 3) throw new TransientIOError("socket hang up");
				return { ok: true };
			},
		});
		const lake = new Map<string, string>();
		const out = (await runEcsVariant(
			def,
			retrying,
			handlerContainer(retrying),
			lake,
		)) as Record<string, unknown>;
		expect(attempts).toBe(3);
		expect(out.silver).toEqual({ ok: true });
		expect(
			[...lake.keys()].filter(
				(k) =>
					k.startsWith("runs/r1/stage-io/Silver/") && k.endsWith("input.json"),
			),
		).toHaveLength(3);
	});

	it("a container that dies without its envelope fails the stage as StageTaskFailed with ECS's cause; ECS API errors are retried", async () => {
		let failureInput: { error?: { Error: string; Cause: string } } = {};
		const handlers = recordingHandlers([], {
			MarkFailed: async (input: never) => {
				failureInput = input;
				return { marked: true };
			},
		});
		const def = buildDefinition({
			resourceFor: localResource,
			lakeBucket: LAKE,
			ecsStages: ecsStages(["Train"]),
		});
		const oom: Container = async () => undefined;
		await expect(runEcsVariant(def, handlers, oom)).rejects.toThrow();
		expect(failureInput.error?.Error).toBe(STAGE_TASK_FAILED);
		expect(failureInput.error?.Cause).toContain("EssentialContainerExited");

		let runs = 0;
		const flaky: Container = async (stage, input) => {
			runs++;
			if (runs < 3)
				throw Object.assign(new Error("Capacity is unavailable at this time"), {
					name: "ECS.AmazonECSException",
				});
			return handlerContainer(handlers)(stage, input);
		};
		const out = (await runEcsVariant(def, handlers, flaky)) as Record<
			string,
			unknown
		>;
		expect(runs).toBe(3);
		expect(out.result).toEqual({ ok: true });
	});
});
