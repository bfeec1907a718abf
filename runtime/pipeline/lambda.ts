/**
 * Lambda entry points. Each stage function's inline handler (components/)
 * calls `handle(<its stage>, event)`; the batch trigger and the weekly
 * retrain call `trigger(event)`. The handlers are the very functions the
 * local run uses; only the platform differs (runtime/pipeline/aws-platform.ts).
 */
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { RUN_DEFAULTS, RUN_ENV } from "../contract.ts";
import { awsPlatform, PlatformConfigError } from "./aws-platform.ts";
import { TASK_STAGES, type TaskStage } from "./definition.ts";
import { createHandlers, type RunInput } from "./handlers.ts";
import type { Platform } from "./platform.ts";
import {
	handleBatchUpload,
	type S3EventLike,
	type TriggerResult,
} from "./trigger.ts";

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

/** Step Functions execution names: ≤ 80 characters of [A-Za-z0-9-_]. */
export function executionName(runId: string): string {
	return runId.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 80);
}

/** S3 upload events on raw/<batch>/… and rerun/retrain requests. */
export async function trigger(event: S3EventLike): Promise<TriggerResult> {
	const arn = process.env[RUN_ENV.stateMachineArn];
	if (!arn)
		throw new PlatformConfigError(
			`environment variable ${RUN_ENV.stateMachineArn} is not set: the trigger needs the state machine to start`,
		);
	const p = currentPlatform();
	const sfn = new SFNClient({});
	const defaults = runDefaults();
	return handleBatchUpload(event, {
		store: p.store,
		manifest: p.manifest,
		startExecution: async ({ runId, batchId, mode }) => {
			const out = await sfn.send(
				new StartExecutionCommand({
					stateMachineArn: arn,
					// The run id as the execution name: Step Functions refuses a second one.
					name: executionName(runId),
					input: JSON.stringify({
						runId,
						batchId,
						...defaults,
						...(mode ? { mode } : {}),
					}),
				}),
			);
			if (!out.executionArn)
				throw new Error("StartExecution returned no execution ARN");
			return out.executionArn;
		},
	});
}
