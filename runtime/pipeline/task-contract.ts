/**
 * The contract between a stage's task definition (components/stage-task.ts),
 * the state machine's ECS variant of a stage (definition.ts ecsStage) and the
 * container entry point (task-entry.ts): environment variable names, exit
 * codes and the result envelope. A module of its own so that the Pulumi
 * program imports these names without the runtime behind them.
 */
import type { TaskStage } from "./definition.ts";

/** The environment variables of the contract (besides the platform's): runtime/contract.ts. */
export { TASK_ENV } from "../contract.ts";

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
