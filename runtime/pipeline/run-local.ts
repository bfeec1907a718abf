/**
 * Local execution of the one state machine: aws-local-stepfunctions runs the
 * ASL definition and every Task state is overridden by the in-process handler
 * of the same name — the same handlers Lambda runs.
 */
// aws-local-stepfunctions uses Promise.withResolvers (Node 22) in its Map state.
import "core-js/actual/promise/with-resolvers.js";
import { StateMachine } from "aws-local-stepfunctions";
import {
	buildDefinition,
	localResource,
	TASK_STAGES,
	type TaskStage,
} from "./definition.ts";

/** The library's execution event (it does not export the type by name). */
export type EventLog =
	ReturnType<StateMachine["run"]>["eventLogs"] extends AsyncGenerator<infer E>
		? E
		: never;

export type StageHandler = (input: never) => Promise<unknown>;

export interface LocalRunOptions {
	handlers: Record<TaskStage, StageHandler>;
	maxConcurrency?: number;
	/** Milliseconds between retries locally (the deployed machine uses IntervalSeconds). */
	retryIntervalMs?: number;
	onEvent?: (e: EventLog) => void;
	/** Branch stages left out of the definition (e.g. ["Ladder"]). */
	without?: readonly TaskStage[];
	/** Aborts the execution (Ctrl-C): the result rejects with ExecutionAbortedError, as an aborted Step Functions execution ends. */
	signal?: AbortSignal;
}

export class PipelineExecutionError extends Error {
	override readonly name = "PipelineExecutionError";
	constructor(
		message: string,
		readonly output: unknown,
	) {
		super(message);
	}
}

/** Runs the definition to completion; resolves with the final state or rejects with the failure. */
export async function runStateMachineLocal(
	input: Record<string, unknown>,
	o: LocalRunOptions,
): Promise<unknown> {
	const definition = buildDefinition({
		resourceFor: localResource,
		maxConcurrency: o.maxConcurrency,
		without: o.without,
	});
	const machine = new StateMachine(definition as never, {
		validationOptions: { checkArn: true },
	});
	const handlers = Object.fromEntries(
		Object.entries(o.handlers).map(([name, h]) => [
			name,
			(i: unknown) => h(i as never) as Promise<never>,
		]),
	);
	const execution = machine.run(input as never, {
		overrides: {
			taskResourceLocalHandlers: handlers,
			retryIntervalOverrides: Object.fromEntries(
				TASK_STAGES.map((s) => [s, o.retryIntervalMs ?? 200]),
			),
		},
	});
	const abort = () => execution.abort();
	if (o.signal?.aborted) abort();
	o.signal?.addEventListener("abort", abort, { once: true });
	const pump = (async () => {
		for await (const e of execution.eventLogs) o.onEvent?.(e);
	})();
	try {
		return await execution.result;
	} finally {
		o.signal?.removeEventListener("abort", abort);
		await pump.catch(() => undefined);
	}
}
