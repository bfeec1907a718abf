/**
 * The two Step Functions calls of the run lifecycle (docs/run-lifecycle.md):
 * an idempotent StartExecution (the run id is the execution name) for the
 * trigger, and DescribeExecution for the reconciler's sweep.
 */
import {
	DescribeExecutionCommand,
	type SFNClient,
	StartExecutionCommand,
} from "@aws-sdk/client-sfn";

/** Step Functions execution names: ≤ 80 characters of [A-Za-z0-9-_]. */
export function executionName(runId: string): string {
	return runId.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 80);
}

/** The ARN of a state machine's execution of that name. */
export function executionArnOf(stateMachineArn: string, name: string): string {
	const m = /^(arn:[^:]+:states:[^:]+:[^:]+):stateMachine:([^:]+)$/.exec(
		stateMachineArn,
	);
	if (!m) throw new TypeError(`not a state machine ARN: ${stateMachineArn}`);
	return `${m[1]}:execution:${m[2]}:${name}`;
}

/** An execution of that name exists with another input: not a retry of this start. */
export class ExecutionConflictError extends Error {
	override readonly name = "ExecutionConflictError";
}

const errorName = (e: unknown) => (e as { name?: string } | undefined)?.name;

const sameJson = (a: string | undefined, b: string) => {
	try {
		return (
			a !== undefined &&
			JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b))
		);
	} catch {
		return false;
	}
};

/**
 * StartExecution named for the run. Step Functions answers a repeat with the
 * same name and input with the original execution while it runs; once it
 * has closed, or for another input, it says ExecutionAlreadyExists: then the
 * existing execution is described and, when its input is this input, it is
 * the same start (returned); otherwise ExecutionConflictError.
 */
export async function startRunExecution(
	sfn: SFNClient,
	stateMachineArn: string,
	runId: string,
	input: Record<string, unknown>,
): Promise<string> {
	const name = executionName(runId);
	const body = JSON.stringify(input);
	try {
		const out = await sfn.send(
			new StartExecutionCommand({ stateMachineArn, name, input: body }),
		);
		if (!out.executionArn)
			throw new Error("StartExecution returned no execution ARN");
		return out.executionArn;
	} catch (e) {
		if (errorName(e) !== "ExecutionAlreadyExists") throw e;
		const executionArn = executionArnOf(stateMachineArn, name);
		const existing = await sfn.send(
			new DescribeExecutionCommand({ executionArn }),
		);
		if (sameJson(existing.input, body)) return executionArn;
		throw new ExecutionConflictError(
			`execution ${name} of ${stateMachineArn} already exists with another input (run ${runId}): not started again`,
			{ cause: e },
		);
	}
}

export type ExecutionStatus =
	| "RUNNING"
	| "SUCCEEDED"
	| "FAILED"
	| "TIMED_OUT"
	| "ABORTED"
	| "PENDING_REDRIVE";

/** The status of the run's execution; undefined when there is none (ExecutionDoesNotExist). */
export async function describeRunExecution(
	sfn: SFNClient,
	executionArn: string,
): Promise<{ status: ExecutionStatus; cause?: string } | undefined> {
	try {
		const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
		return {
			status: (out.status ?? "RUNNING") as ExecutionStatus,
			...(out.cause || out.error
				? { cause: [out.error, out.cause].filter(Boolean).join(": ") }
				: {}),
		};
	} catch (e) {
		if (errorName(e) === "ExecutionDoesNotExist") return undefined;
		throw e;
	}
}
