/**
 * The contract between a stage's task definition (components/stage-task.ts),
 * the state machine's ECS variant of a stage (definition.ts ecsStage) and the
 * container entry point (task-entry.ts): environment variable names, exit
 * codes and the result envelope. A module of its own so that the Pulumi
 * program imports these names without the runtime behind them.
 */
import type { TaskStage } from "./definition.ts";

/** The environment variables of the contract (besides the platform's). */
export const TASK_ENV = {
	/** The Task state to run; set by the stage's task definition. */
	stage: "STAGE",
	/** Lake key of the stage input; set by the state machine for each attempt. */
	inputKey: "STAGE_INPUT_KEY",
	/** The stage input as JSON text (instead of STAGE_INPUT_KEY, for runs by hand). */
	input: "STAGE_INPUT",
	/** Lake key the result envelope is written to; set by the state machine. */
	outputKey: "STAGE_OUTPUT_KEY",
} as const;

/** Exit codes of the container. */
export const TASK_EXIT = {
	ok: 0,
	/** The stage failed; the envelope carries its typed error. */
	stageFailed: 1,
	/** The task's environment or input is not the contract. */
	config: 2,
	/** The envelope could not be written (the state machine reports StageTaskFailed). */
	outputNotWritten: 3,
} as const;

/** What the task writes to STAGE_OUTPUT_KEY. */
export type StageEnvelope =
	| { ok: true; stage: TaskStage; output: unknown }
	| { ok: false; stage: string; error: { name: string; message: string } };
