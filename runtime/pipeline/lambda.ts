/**
 * Lambda entry points. Each stage function's inline handler (components/)
 * calls `handle(<its stage>, event)`; the batch trigger and the weekly
 * retrain call `trigger(event)`. The handlers are the very functions the
 * local run uses; only the platform differs (runtime/pipeline/aws-platform.ts).
 */
import { SFNClient } from "@aws-sdk/client-sfn";
import { RUN_DEFAULTS, RUN_ENV } from "../contract.ts";
import { awsPlatform, PlatformConfigError } from "./aws-platform.ts";
import { TASK_STAGES, type TaskStage } from "./definition.ts";
import { createHandlers, type RunInput } from "./handlers.ts";
import type { Platform } from "./platform.ts";
import {
	DEFAULT_LEASE_MINUTES,
	type ExecutionStatusEvent,
	type Reconciled,
	reconcile as reconcileRuns,
	type SweepRequest,
} from "./reconciler.ts";
import {
	describeRunExecution,
	executionArnOf,
	executionName,
	startRunExecution,
} from "./sfn-executions.ts";
import {
	handleBatchUpload,
	type S3EventLike,
	type TriggerResult,
} from "./trigger.ts";

export { executionName } from "./sfn-executions.ts";

/** Run settings from the environment (stack configuration): runtime/contract.ts. */
export { RUN_ENV };

type Env = Record<string, string | undefined>;

function numberFrom(
	env: Env,
	name: string,
	fallback: number,
	valid: (n: number) => boolean,
	expected: string,
): number {
	const raw = env[name];
	if (raw === undefined || raw === "") return fallback;
	const n = Number(raw);
	if (!valid(n))
		throw new PlatformConfigError(
			`environment variable ${name}=${JSON.stringify(raw)}: expected ${expected}`,
		);
	return n;
}

/** The run settings an execution starts with. */
export function runDefaults(
	env: Env = process.env,
): Pick<RunInput, "mode" | "shardCount" | "gate" | "promotionMargin" | "seed"> {
	return {
		mode: RUN_DEFAULTS.mode,
		shardCount: numberFrom(
			env,
			RUN_ENV.shardCount,
			RUN_DEFAULTS.shardCount,
			(n) => Number.isInteger(n) && n >= 1 && n <= 10_000,
			"an integer from 1 to 10000",
		),
		gate: numberFrom(
			env,
			RUN_ENV.gate,
			RUN_DEFAULTS.gate,
			(n) => n >= 0 && n <= 1,
			"a PR-AUC between 0 and 1",
		),
		promotionMargin: numberFrom(
			env,
			RUN_ENV.promotionMargin,
			RUN_DEFAULTS.promotionMargin,
			(n) => n >= 0 && n <= 1,
			"a PR-AUC margin between 0 and 1",
		),
		seed: numberFrom(
			env,
			RUN_ENV.seed,
			RUN_DEFAULTS.seed,
			Number.isInteger,
			"an integer",
		),
	};
}

// One platform per container: SDK clients keep their connections across warm invocations.
let platform: Platform | undefined;
const currentPlatform = () => {
	platform ??= awsPlatform();
	return platform;
};

const handlers = createHandlers({ platform: currentPlatform });

/** Runs one stage on the event the state machine passes to its Task. */
export async function handle(
	stage: TaskStage,
	event: unknown,
): Promise<unknown> {
	if (!(TASK_STAGES as readonly string[]).includes(stage))
		throw new TypeError(
			`unknown stage ${JSON.stringify(stage)}; one of ${TASK_STAGES.join(", ")}`,
		);
	if (typeof event !== "object" || event === null)
		throw new TypeError(`stage ${stage}: the event must be a JSON object`);
	return handlers[stage]({ ...runDefaults(), ...event } as never);
}

/** The part of the Lambda context the entry points read. */
export interface InvocationContext {
	awsRequestId?: string;
}

function stateMachineArnFromEnv(who: string): string {
	const arn = process.env[RUN_ENV.stateMachineArn];
	if (!arn)
		throw new PlatformConfigError(
			`environment variable ${RUN_ENV.stateMachineArn} is not set: the ${who} needs the state machine`,
		);
	return arn;
}

let sfnClient: SFNClient | undefined;
const sfn = () => {
	sfnClient ??= new SFNClient({});
	return sfnClient;
};

/**
 * S3 upload events on raw/<batch>/_manifest.json and rerun/retrain requests.
 * The request id keys a rerun request: Lambda's async retries keep it.
 */
export async function trigger(
	event: S3EventLike,
	context?: InvocationContext,
): Promise<TriggerResult> {
	const arn = stateMachineArnFromEnv("trigger");
	const p = currentPlatform();
	const defaults = runDefaults();
	return handleBatchUpload(event, {
		store: p.store,
		manifest: p.manifest,
		...(context?.awsRequestId ? { requestId: context.awsRequestId } : {}),
		// The run id as the execution name: a resumed run's repeat is the same start.
		startExecution: ({ runId, batchId, mode }) =>
			startRunExecution(sfn(), arn, runId, {
				runId,
				batchId,
				...defaults,
				...(mode ? { mode } : {}),
			}),
	});
}

/** Execution status events of the state machine and the scheduled sweep (runtime/pipeline/reconciler.ts). */
export async function reconcile(
	event: ExecutionStatusEvent | SweepRequest,
): Promise<Reconciled[]> {
	const arn = stateMachineArnFromEnv("reconciler");
	const p = currentPlatform();
	return reconcileRuns(event, {
		manifest: p.manifest,
		alerts: p.alerts,
		stateMachineArn: arn,
		leaseMinutes: numberFrom(
			process.env,
			RUN_ENV.leaseMinutes,
			DEFAULT_LEASE_MINUTES,
			(n) => Number.isFinite(n) && n >= 1,
			"minutes (≥ 1)",
		),
		describeExecution: (runId, recorded) =>
			describeRunExecution(
				sfn(),
				recorded ?? executionArnOf(arn, executionName(runId)),
			),
	});
}
