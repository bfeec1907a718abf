/**
 * The one Amazon States Language definition (docs/architecture.md "The one state
 * machine"), generated from the list of stages. AWS Step Functions runs it
 * with Lambda ARNs; the local runner runs the very same JSON with every Task
 * overridden by the in-process handler of the same name.
 */

import { TASK_ENV } from "../contract.ts";
import {
	ECS_CAPABLE_STAGES,
	type EcsCapableStage,
	STAGES,
	TASK_STAGES,
	type TaskStage,
} from "./stages/index.ts";
import type { AnyStage } from "./stages/stage.ts";

export {
	ECS_CAPABLE_STAGES,
	type EcsCapableStage,
	TASK_STAGES,
	type TaskStage,
} from "./stages/index.ts";

/** Errors that are worth a retry (typed errors of runtime/errors.ts and Lambda's own). */
export const TRANSIENT_ERRORS = [
	"TransientIOError",
	"Lambda.ServiceException",
	"Lambda.AWSLambdaException",
	"Lambda.SdkClientException",
	"Lambda.TooManyRequestsException",
];

/**
 * Errors of an `ecs:runTask.sync` Task that are worth a retry: the ECS API
 * failing or throttling the RunTask call (`ECS.AmazonECSException`, e.g. no
 * capacity; `ECS.ServerException`, HTTP 5xx; `ECS.InvalidParameterException`,
 * which ECS also returns when it is throttled looking up the network
 * configuration) and RunTask answering 200 with a non-empty `failures` list
 * (`AmazonECS.Unknown`, Step Functions' name for it). Not `States.TaskFailed`:
 * that is the container exiting non-zero, which an ECS stage turns into its
 * typed error instead (see ecsStage below and docs/scaling.md).
 */
export const ECS_TRANSIENT_ERRORS = [
	"ECS.AmazonECSException",
	"ECS.ServerException",
	"ECS.InvalidParameterException",
	"AmazonECS.Unknown",
];

/** Errors a stage running as an ECS task retries (from its envelope: the handler's own typed errors). */
export const ECS_STAGE_TRANSIENT_ERRORS = ["TransientIOError"];

/**
 * The error an ECS stage raises when its container stopped without writing
 * its result (it did not start, was killed for memory, or crashed). Its Cause
 * is ECS's description of the stopped task.
 */
export const STAGE_TASK_FAILED = "StageTaskFailed";

/** Lake folder of one stage's input and output documents (runs/<runId>/stage-io/<Stage>/<attempt>/). */
export const STAGE_IO_PREFIX = "stage-io";

/** How an ECS stage's task is started (runtime/pipeline/task-entry.ts runs in it). */
export interface EcsStageTarget {
	/**
	 * runTask.sync parameters besides the overrides: Cluster, TaskDefinition,
	 * LaunchType, NetworkConfiguration.
	 */
	parameters: Record<string, unknown>;
	/** The container that runs the stage (gets STAGE_INPUT_KEY and STAGE_OUTPUT_KEY). */
	containerName: string;
	/** Time limit of the task. Default 14,400 s (4 h). */
	timeoutSeconds?: number;
}

export interface DefinitionOptions {
	/** Resource (ARN) of the task for a stage. */
	resourceFor(stage: TaskStage): string;
	/** Parallel shard iterations (Map MaxConcurrency). */
	maxConcurrency?: number;
	/** Seconds before the first retry of a transient error. */
	retryIntervalSeconds?: number;
	/** Time limit of each Lambda Task (default 900 s, Lambda's own maximum). */
	taskTimeoutSeconds?: number;
	/** Time limit of the report publication (default 1,800 s: a site build takes minutes). */
	reportTimeoutSeconds?: number;
	/**
	 * INLINE (default, and the only mode the local runner has): the shard list
	 * travels in the state. DISTRIBUTED: a Distributed Map reads the list from
	 * the lake (ValidateRaw's `shardsKey`) and writes its results there, for
	 * shard counts beyond an inline Map's limits (40 concurrent iterations,
	 * 256 KB of state, 25,000 history events).
	 */
	mapMode?: "INLINE" | "DISTRIBUTED";
	/** The lake bucket (DISTRIBUTED only: where the Map reads items and writes results). */
	lakeBucket?: string;
	/**
	 * The report publication task. Default: a Task on resourceFor("PublishReport")
	 * (the local handler). In AWS, the report build container, e.g.
	 * `{ resource: "arn:aws:states:::ecs:runTask.sync", parameters: {...} }`.
	 */
	publishReport?: { resource: string; parameters?: Record<string, unknown> };
	/**
	 * Stages that run as ECS tasks (the rest stay on resourceFor). Needs
	 * lakeBucket: the stage's input and output go through the lake.
	 */
	ecsStages?: Partial<Record<EcsCapableStage, EcsStageTarget>>;
	/**
	 * Branch stages (flow "branch", e.g. Ladder) left out of the machine: the
	 * stage they run beside is then a plain Task again. Stack configuration
	 * `ladder: false`, `npm start -- --no-ladder`.
	 */
	without?: readonly TaskStage[];
}

type State = Record<string, unknown>;

/** Placeholder ARNs for the local run; the deployed definition gets real ones. */
export function localResource(stage: TaskStage): string {
	return `arn:aws:lambda:eu-west-1:000000000000:function:spanishgas-${stage}`;
}

export function buildDefinition(
	o: DefinitionOptions = { resourceFor: localResource },
): State {
	const distributed = o.mapMode === "DISTRIBUTED";
	if (distributed && !o.lakeBucket)
		throw new Error(
			"buildDefinition: mapMode DISTRIBUTED needs lakeBucket (the Map reads its items from the lake)",
		);
	const ecsStages = o.ecsStages ?? {};
	for (const stage of Object.keys(ecsStages))
		if (!(ECS_CAPABLE_STAGES as readonly string[]).includes(stage))
			throw new Error(
				`buildDefinition: ${stage} cannot run as an ECS task; one of ${ECS_CAPABLE_STAGES.join(", ")}`,
			);
	if (Object.keys(ecsStages).length > 0 && !o.lakeBucket)
		throw new Error(
			"buildDefinition: ecsStages need lakeBucket (an ECS stage's input and output go through the lake)",
		);
	const interval = o.retryIntervalSeconds ?? 2;
	// Full jitter: retries of concurrent iterations (the Map) or executions do
	// not come back in lock-step.
	const retry = [
		{
			ErrorEquals: TRANSIENT_ERRORS,
			IntervalSeconds: interval,
			MaxAttempts: 3,
			BackoffRate: 2,
			JitterStrategy: "FULL",
		},
	];
	// ECS API errors: capacity and throttling need longer waits than a Lambda hiccup.
	const ecsRetry = [
		{
			ErrorEquals: ECS_TRANSIENT_ERRORS,
			IntervalSeconds: interval * 5,
			MaxAttempts: 3,
			BackoffRate: 2,
			MaxDelaySeconds: 300,
			JitterStrategy: "FULL",
		},
	];
	const stageRetry = [
		{
			ErrorEquals: ECS_STAGE_TRANSIENT_ERRORS,
			IntervalSeconds: interval,
			MaxAttempts: 3,
			BackoffRate: 2,
			JitterStrategy: "FULL",
		},
	];
	const toFailure = [
		{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: failure.name },
	];
	// An explicit limit on every Task: Step Functions has none by default (a
	// hung task would hold the run for a year), aws-local-stepfunctions 60 s.
	const timeout = o.taskTimeoutSeconds ?? 900;
	const task = (
		stage: TaskStage,
		next: string,
		resultPath: string | null,
	): State => ({
		Type: "Task",
		Resource: o.resourceFor(stage),
		TimeoutSeconds: timeout,
		ResultPath: resultPath,
		Retry: retry,
		Catch: toFailure,
		Next: next,
	});
	/**
	 * A stage's states: its Lambda Task, or its ECS variant (ecsStage) under
	 * the same name with the same input and the same result at `resultPath`.
	 */
	const stageStates = (
		stage: TaskStage,
		next: string,
		resultPath: string | null,
	): Record<string, State> => {
		const target = isEcsCapable(stage) ? ecsStages[stage] : undefined;
		if (!target || !isEcsCapable(stage))
			return { [stage]: task(stage, next, resultPath) };
		return ecsStage(stage, next, resultPath ?? "$", target, {
			lakeBucket: o.lakeBucket as string,
			ecsRetry,
			stageRetry,
			toFailure,
		});
	};

	/** The Map over the previous stage's list (`shards` inline, `shardsKey` in the lake). */
	const mapStates = (
		stage: AnyStage,
		listPath: string,
		next: string,
	): Record<string, State> => ({
		[stage.mapState ?? `${stage.name}s`]: {
			Type: "Map",
			...(distributed
				? {
						ItemReader: {
							Resource: "arn:aws:states:::s3:getObject",
							ReaderConfig: { InputType: "JSON" },
							Parameters: {
								Bucket: o.lakeBucket,
								"Key.$": `${listPath}.shardsKey`,
							},
						},
						ResultWriter: {
							Resource: "arn:aws:states:::s3:putObject",
							Parameters: { Bucket: o.lakeBucket, Prefix: "map-results" },
						},
					}
				: { ItemsPath: `${listPath}.shards` }),
			ItemSelector: {
				"runId.$": "$.runId",
				"shard.$": "$$.Map.Item.Value",
				"index.$": "$$.Map.Item.Index",
			},
			MaxConcurrency: o.maxConcurrency ?? 2,
			ItemProcessor: {
				ProcessorConfig: distributed
					? { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" }
					: { Mode: "INLINE" },
				StartAt: stage.name,
				States: {
					[stage.name]: {
						Type: "Task",
						Resource: o.resourceFor(taskStage(stage.name)),
						TimeoutSeconds: timeout,
						Retry: retry,
						End: true,
					},
				},
			},
			ResultPath: stage.resultPath,
			Catch: toFailure,
			Next: next,
		},
	});

	const reportStates = (
		stage: TaskStage,
		next: string,
		resultPath: string | null,
	): Record<string, State> => ({
		[stage]: {
			...task(stage, next, resultPath),
			TimeoutSeconds: o.reportTimeoutSeconds ?? 1800,
			...(o.publishReport
				? {
						Resource: o.publishReport.resource,
						...(o.publishReport.parameters
							? { Parameters: o.publishReport.parameters }
							: {}),
						// The report build container: ECS's own errors, not Lambda's.
						...(o.publishReport.resource.startsWith(ECS_RESOURCE_PREFIX)
							? { Retry: ecsRetry }
							: {}),
					}
				: {}),
		},
	});

	// The chain: every stage but the failure handler, in the list's order.
	const list: readonly AnyStage[] = STAGES;
	const chain = list.filter(
		(s) => flowOf(s) !== "failure" && flowOf(s) !== "branch",
	);
	const without = new Set<string>(o.without ?? []);
	const branchesBeside = (name: string) =>
		list.filter(
			(b) =>
				flowOf(b) === "branch" && b.alongside === name && !without.has(b.name),
		);
	const entry = (s: AnyStage) => s.runsIf?.choiceState ?? start(s);
	/** The state a stage begins with (after its Choice, if any). */
	const start = (s: AnyStage) =>
		flowOf(s) === "map"
			? (s.mapState ?? `${s.name}s`)
			: branchesBeside(s.name).length > 0
				? `${s.name}${PARALLEL_SUFFIX}`
				: s.name;
	const states: Record<string, State> = {};
	chain.forEach((s, i) => {
		const name = taskStage(s.name);
		const next = chain[i + 1] ? entry(chain[i + 1]) : SUCCEEDED;
		if (s.runsIf) {
			const after = chain[i + 1] ? entry(chain[i + 1]) : SUCCEEDED;
			states[s.runsIf.choiceState] = {
				Type: "Choice",
				Choices: [
					{
						Variable: s.runsIf.variable,
						StringEquals: s.runsIf.equals,
						Next: start(s),
					},
				],
				Default: after,
			};
		}
		const branches = branchesBeside(name);
		if (branches.length > 0) {
			Object.assign(
				states,
				parallelStates(
					name,
					next,
					stageStates(name, BRANCH_END, s.resultPath),
					branches.map((b) =>
						branchStates(
							b.name as TaskStage,
							stageStates(b.name as TaskStage, BRANCH_END, b.resultPath),
						),
					),
					toFailure,
				),
			);
			return;
		}
		const flow = flowOf(s);
		const before = chain[i - 1];
		const feedsMap = chain[i + 1] && flowOf(chain[i + 1]) === "map";
		if (flow === "map") {
			if (!before?.resultPath)
				throw new Error(
					`buildDefinition: the map stage ${name} needs a stage before it that returns its list`,
				);
			Object.assign(states, mapStates(s, before.resultPath, next));
		} else if (flow === "report")
			Object.assign(states, reportStates(name, next, s.resultPath));
		else if (feedsMap && distributed)
			// Keep the (possibly long) list out of the state: the Map reads it from S3.
			Object.assign(
				states,
				withResultSelector(
					stageStates(name, next, s.resultPath),
					name,
					DISTRIBUTED_RAW_SELECTOR,
				),
			);
		else Object.assign(states, stageStates(name, next, s.resultPath));
		if (flow === "success") states[SUCCEEDED] = { Type: "Succeed" };
	});
	states[failure.name] = {
		Type: "Task",
		Resource: o.resourceFor(failure.name),
		TimeoutSeconds: timeout,
		ResultPath: failure.resultPath,
		Retry: retry,
		Next: FAILED,
	};
	states[FAILED] = {
		Type: "Fail",
		Error: "PipelineFailed",
		Cause: "A stage failed; see the run manifest for the error.",
	};

	return {
		Comment:
			"SpanishGas churn pipeline: raw → bronze → silver → gold → model → scoring → recommendations → drift → report",
		StartAt: entry(STAGES[0]),
		States: states,
	};
}

const SUCCEEDED = "Done";
/** Placeholder `Next` of a branch's last state (made `End: true`). */
const BRANCH_END = "#branch-end";
const PARALLEL_SUFFIX = "Parallel";

/**
 * A stage and the branch stages beside it as one Parallel state,
 * `<stage>Parallel` (the stage's own states keep their names inside it, so
 * local handler overrides and the progress display still find them); its
 * branches get the same state, and its output is the first branch's: the
 * state with the stage's result at its ResultPath, exactly as without the
 * branches (the others record their results in the lake and the manifest).
 * A failure in the stage's own branch fails the Parallel state, which goes
 * to the failure stage like any Task; inside the branches, a Catch may only
 * name states of its branch, so the stage's own catches are left to the
 * Parallel state.
 */
function parallelStates(
	stage: TaskStage,
	next: string,
	own: Record<string, State>,
	others: Array<{ startAt: string; states: Record<string, State> }>,
	toFailure: State[],
): Record<string, State> {
	return {
		[`${stage}${PARALLEL_SUFFIX}`]: {
			Type: "Parallel",
			Branches: [
				{ StartAt: stage, States: closeBranch(own) },
				...others.map((b) => ({ StartAt: b.startAt, States: b.states })),
			],
			OutputPath: "$[0]",
			Catch: toFailure,
			Next: next,
		},
	};
}

/**
 * A branch stage's states (its Lambda Task or ECS variant) whose catches to
 * the failure stage end the branch quietly instead, with the error at
 * `$.<stage>Error` of the branch's state.
 */
function branchStates(
	stage: TaskStage,
	states: Record<string, State>,
): { startAt: string; states: Record<string, State> } {
	const skipped = `${stage}Skipped`;
	const errorPath = `$.${stage.charAt(0).toLowerCase()}${stage.slice(1)}Error`;
	const quiet: Record<string, State> = {
		[skipped]: { Type: "Pass", End: true },
	};
	for (const [k, v] of Object.entries(states)) {
		const catches = (v as { Catch?: Array<{ Next: string }> }).Catch;
		quiet[k] = catches
			? {
					...v,
					Catch: catches.map((c) =>
						c.Next === failure.name
							? { ...c, ResultPath: errorPath, Next: skipped }
							: c,
					),
				}
			: v;
	}
	return { startAt: stage, states: closeBranch(quiet) };
}

/** Ends the branch where states pointed at BRANCH_END, and drops catches that leave the branch. */
function closeBranch(states: Record<string, State>): Record<string, State> {
	const names = new Set(Object.keys(states));
	const out: Record<string, State> = {};
	for (const [k, v] of Object.entries(states)) {
		const { Next, Catch, ...rest } = v as State & {
			Next?: string;
			Catch?: Array<{ Next: string }>;
		};
		const state: State = { ...rest };
		if (Next === BRANCH_END) state.End = true;
		else if (Next !== undefined) state.Next = Next;
		const catches = (Catch ?? []).filter((c) => names.has(c.Next));
		if (catches.length > 0) state.Catch = catches;
		out[k] = state;
	}
	return out;
}
const FAILED = "Failed";

const flowOf = (s: AnyStage) => s.flow ?? "task";

/** A name of the list as a TaskStage (checked, so the definition names no state the list lacks). */
function taskStage(name: string): TaskStage {
	const found = TASK_STAGES.find((s) => s === name);
	if (!found) throw new Error(`buildDefinition: ${name} is not a stage`);
	return found;
}

const isEcsCapable = (s: string): s is EcsCapableStage =>
	(ECS_CAPABLE_STAGES as readonly string[]).includes(s);

/** The stage every Catch goes to (flow "failure"; exactly one in the list). */
const failure = (() => {
	const fs = STAGES.filter((s) => flowOf(s) === "failure");
	if (fs.length !== 1)
		throw new Error(
			`the stage list needs exactly one failure stage, has ${fs.length}`,
		);
	return fs[0];
})();

const ECS_RESOURCE_PREFIX = "arn:aws:states:::ecs:";
const S3_PUT_OBJECT = "arn:aws:states:::aws-sdk:s3:putObject";
const S3_GET_OBJECT = "arn:aws:states:::aws-sdk:s3:getObject";

const DISTRIBUTED_RAW_SELECTOR = {
	"shardCount.$": "$.shardCount",
	"shardsKey.$": "$.shardsKey",
	"rows.$": "$.rows",
};

/** Adds a ResultSelector to the state that places a stage's result (the Lambda Task or the ECS variant's unwrap step). */
function withResultSelector(
	states: Record<string, State>,
	stage: string,
	selector: Record<string, string>,
): Record<string, State> {
	const unwrap = `${stage}Result`;
	if (!states[unwrap])
		return {
			...states,
			[stage]: { ...states[stage], ResultSelector: selector },
		};
	// A Pass state has no ResultSelector: select with Parameters from its (unwrapped) input.
	return {
		...states,
		[unwrap]: { ...states[unwrap], Parameters: selector },
	};
}

/**
 * The ECS variant of a stage, in the place of its Lambda Task and with the
 * same data flow: a Parallel state named after the stage (so Choice targets,
 * Retry, Catch and the execution history read the same) whose one branch
 *
 *   1. `<Stage>Prepare`: keeps the stage input and draws an attempt id
 *      (each retry of the stage gets its own input/output keys);
 *   2. `<Stage>PutInput`: writes the input to the lake,
 *      runs/<runId>/stage-io/<Stage>/<attempt>/input.json (an environment
 *      override is limited to 8 KB and the state to 256 KB);
 *   3. `<Stage>Run`: runTask.sync of the stage's task definition, told the
 *      input and output keys (STAGE_INPUT_KEY, STAGE_OUTPUT_KEY); retried
 *      on ECS API errors;
 *   4. `<Stage>GetOutput` → `<Stage>Output`: reads the envelope
 *      runtime/pipeline/task-entry.ts wrote, `{ok: true, output}`, and ends
 *      the branch with `output`;
 *   5. on the container exiting non-zero, `<Stage>GetError` reads the
 *      envelope `{ok: false, error: {name, message}}` and `<Stage>Raise`
 *      fails the branch with the handler's own error name, so the stage's
 *      Retry (TransientIOError) and Catch (→ MarkFailed) see what a Lambda
 *      stage would; without an envelope (not started, out of memory,
 *      killed) `<Stage>Crashed` fails with StageTaskFailed and ECS's cause.
 *
 * `<Stage>Result` then moves the branch's output from `[output]` to the
 * stage's ResultPath, which is where the Lambda Task puts its result.
 */
export function ecsStage(
	stage: EcsCapableStage,
	next: string,
	resultPath: string,
	target: EcsStageTarget,
	o: {
		lakeBucket: string;
		ecsRetry: unknown[];
		stageRetry: unknown[];
		toFailure: unknown[];
	},
): Record<string, State> {
	const key = (file: "input" | "output") =>
		`States.Format('runs/{}/${STAGE_IO_PREFIX}/${stage}/{}/${file}.json', $.input.runId, $.attempt)`;
	const envelope = { "envelope.$": "States.StringToJson($.Body)" };
	const branch = {
		StartAt: `${stage}Prepare`,
		States: {
			[`${stage}Prepare`]: {
				Type: "Pass",
				Parameters: { "input.$": "$", "attempt.$": "States.UUID()" },
				Next: `${stage}PutInput`,
			},
			[`${stage}PutInput`]: {
				Type: "Task",
				Resource: S3_PUT_OBJECT,
				Parameters: {
					Bucket: o.lakeBucket,
					"Key.$": key("input"),
					"Body.$": "States.JsonToString($.input)",
					ContentType: "application/json",
				},
				ResultPath: null,
				Next: `${stage}Run`,
			},
			[`${stage}Run`]: {
				Type: "Task",
				Resource: `${ECS_RESOURCE_PREFIX}runTask.sync`,
				Parameters: {
					...target.parameters,
					Overrides: {
						ContainerOverrides: [
							{
								Name: target.containerName,
								Environment: [
									{ Name: TASK_ENV.inputKey, "Value.$": key("input") },
									{ Name: TASK_ENV.outputKey, "Value.$": key("output") },
								],
							},
						],
					},
				},
				TimeoutSeconds: target.timeoutSeconds ?? 14_400,
				ResultPath: null,
				Retry: o.ecsRetry,
				Catch: [
					{
						ErrorEquals: ["States.TaskFailed"],
						ResultPath: "$.taskFailure",
						Next: `${stage}GetError`,
					},
				],
				Next: `${stage}GetOutput`,
			},
			[`${stage}GetOutput`]: {
				Type: "Task",
				Resource: S3_GET_OBJECT,
				Parameters: { Bucket: o.lakeBucket, "Key.$": key("output") },
				ResultSelector: envelope,
				ResultPath: "$.result",
				Next: `${stage}Output`,
			},
			[`${stage}Output`]: {
				Type: "Pass",
				InputPath: "$.result.envelope.output",
				End: true,
			},
			[`${stage}GetError`]: {
				Type: "Task",
				Resource: S3_GET_OBJECT,
				Parameters: { Bucket: o.lakeBucket, "Key.$": key("output") },
				ResultSelector: envelope,
				ResultPath: "$.result",
				Catch: [
					{
						ErrorEquals: ["States.ALL"],
						ResultPath: "$.readFailure",
						Next: `${stage}Crashed`,
					},
				],
				Next: `${stage}Raise`,
			},
			[`${stage}Raise`]: {
				Type: "Fail",
				ErrorPath: "$.result.envelope.error.name",
				CausePath: "$.result.envelope.error.message",
			},
			[`${stage}Crashed`]: {
				Type: "Fail",
				Error: STAGE_TASK_FAILED,
				CausePath: "$.taskFailure.Cause",
			},
		},
	};
	return {
		[stage]: {
			Type: "Parallel",
			Branches: [branch],
			ResultPath: resultPath,
			Retry: o.stageRetry,
			Catch: o.toFailure,
			Next: `${stage}Result`,
		},
		[`${stage}Result`]: {
			Type: "Pass",
			InputPath: `${resultPath}[0]`,
			ResultPath: resultPath,
			Next: next,
		},
	};
}
