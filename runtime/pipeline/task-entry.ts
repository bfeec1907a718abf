/**
 * Container entry point of a pipeline stage run as an ECS/Fargate task
 * instead of a Lambda function (docs/scaling.md "The container entry
 * contract"). The task definition of the stage (components/stage-task.ts)
 * runs, in the report build's image:
 *
 *   node --import tsx runtime/pipeline/task-entry.ts
 *
 * Environment:
 * - STAGE: the Task state to run (set by the stage's task definition);
 * - STAGE_INPUT_KEY: lake key of the stage input (the state machine writes it
 *   per attempt), or STAGE_INPUT: the input as JSON text (runs by hand);
 * - STAGE_OUTPUT_KEY: lake key the result envelope is written to;
 * - the platform and run settings a stage Lambda has (LAKE_BUCKET,
 *   STATE_TABLE, REGISTRY_TABLE, ALERT_TOPIC_ARN, STACK_NAME, SHARD_COUNT,
 *   PROMOTION_GATE, SEED; see aws-platform.ts and lambda.ts).
 *
 * It runs `handle(STAGE, input)` — the very function a stage Lambda runs —
 * and writes the envelope `{"ok":true,"output":…}` or
 * `{"ok":false,"error":{"name":…,"message":…}}` to STAGE_OUTPUT_KEY (the
 * state machine reads it back: runTask.sync returns no container output), then
 * exits with TASK_EXIT: 0 on success, 1 when the stage failed (the envelope
 * carries the typed error), 2 on a configuration error, 3 when the envelope
 * could not be written.
 */
import { pathToFileURL } from "node:url";
import { awsPlatform } from "./aws-platform.ts";
import {
	ECS_CAPABLE_STAGES,
	type EcsCapableStage,
	type TaskStage,
} from "./definition.ts";
import { type StageEnvelope, TASK_ENV, TASK_EXIT } from "./task-contract.ts";

export { type StageEnvelope, TASK_ENV, TASK_EXIT } from "./task-contract.ts";

/** The task's environment is not the contract (a deployment error, never retried). */
export class StageTaskConfigError extends Error {
	override readonly name = "StageTaskConfigError";
}

/** Step Functions keeps at most 32,768 characters of an error's cause. */
const MAX_CAUSE = 32_000;

type Env = Record<string, string | undefined>;

export interface StageTaskResult {
	exitCode: number;
	envelope?: StageEnvelope;
}

/** The handler the task runs (lambda.ts `handle`; injectable for tests of the contract). */
export type StageRunner = (
	stage: TaskStage,
	event: unknown,
) => Promise<unknown>;

const defaultRunner: StageRunner = async (stage, event) =>
	(await import("./lambda.ts")).handle(stage, event);

function errorOf(e: unknown): { name: string; message: string } {
	const name = e instanceof Error ? e.name : "Error";
	const message = e instanceof Error ? e.message : String(e);
	return { name, message: message.slice(0, MAX_CAUSE) };
}

/**
 * Runs one stage as the container does: reads the input, runs the handler,
 * writes the envelope. Never throws; the result says how the process exits.
 */
export async function runStageTask(
	env: Env = process.env,
	run: StageRunner = defaultRunner,
	log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<StageTaskResult> {
	const stage = env[TASK_ENV.stage] ?? "";
	const outputKey = env[TASK_ENV.outputKey];
	let store: ReturnType<typeof awsPlatform>["store"];
	try {
		if (!outputKey)
			throw new StageTaskConfigError(
				`${TASK_ENV.outputKey} is not set: the task has nowhere to write its result`,
			);
		store = awsPlatform(env).store;
	} catch (e) {
		log(`${errorOf(e).name}: ${errorOf(e).message}`);
		return { exitCode: TASK_EXIT.config };
	}
	const finish = async (
		envelope: StageEnvelope,
		exitCode: number,
	): Promise<StageTaskResult> => {
		try {
			await store.put(outputKey, JSON.stringify(envelope), {
				contentType: "application/json",
			});
		} catch (e) {
			const err = errorOf(e);
			log(`could not write ${outputKey}: ${err.name}: ${err.message}`);
			return { exitCode: TASK_EXIT.outputNotWritten, envelope };
		}
		return { exitCode, envelope };
	};

	let input: unknown;
	try {
		if (!(ECS_CAPABLE_STAGES as readonly string[]).includes(stage))
			throw new StageTaskConfigError(
				`${TASK_ENV.stage}=${JSON.stringify(stage)}: expected one of ${ECS_CAPABLE_STAGES.join(", ")}`,
			);
		const inputKey = env[TASK_ENV.inputKey];
		const inline = env[TASK_ENV.input];
		if (!inputKey && inline === undefined)
			throw new StageTaskConfigError(
				`neither ${TASK_ENV.inputKey} nor ${TASK_ENV.input} is set: the task has no input`,
			);
		const text = inputKey ? await store.getText(inputKey) : (inline as string);
		try {
			input = JSON.parse(text);
		} catch {
			throw new StageTaskConfigError(
				`the stage input (${inputKey ?? TASK_ENV.input}) is not JSON: ${JSON.stringify(text.slice(0, 80))}…${JSON.stringify(text.slice(-200))} (${text.length} chars)`,
			);
		}
	} catch (e) {
		const error = errorOf(e);
		log(`${error.name}: ${error.message}`);
		// A transient read failure keeps its name (retried); anything else is a configuration error.
		return finish(
			{ ok: false, stage, error },
			e instanceof StageTaskConfigError
				? TASK_EXIT.config
				: TASK_EXIT.stageFailed,
		);
	}

	try {
		const output = await run(stage as EcsCapableStage, input);
		return finish(
			{ ok: true, stage: stage as TaskStage, output },
			TASK_EXIT.ok,
		);
	} catch (e) {
		const error = errorOf(e);
		log(`${error.name}: ${error.message}`);
		return finish({ ok: false, stage, error }, TASK_EXIT.stageFailed);
	}
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
	runStageTask().then((r) => {
		if (r.envelope)
			process.stdout.write(
				`${JSON.stringify({ stage: r.envelope.stage, ok: r.envelope.ok, exitCode: r.exitCode })}\n`,
			);
		// Exit now: SDK keep-alive sockets and DuckDB must not hold the task open.
		process.exit(r.exitCode);
	});
}
