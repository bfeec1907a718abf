/**
 * The run lifecycle rule both manifests apply (docs/runbook.md "Run
 * lifecycle"). Dependency-free: the DynamoDB manifest, which the Pulumi
 * program imports for its key schema, needs it without the lake's table code.
 */
/**
 * started → succeeded | failed | aborted, once (docs/runbook.md "Run
 * lifecycle"). A finished status is final: a late MarkFailed, a reconciler
 * event or a second Ctrl-C never rewrites it.
 */
export type RunStatus = "started" | "succeeded" | "failed" | "aborted";
export type FinishedStatus = Exclude<RunStatus, "started">;

/** The process that runs a local run (a claim whose process is gone may be taken over). */
export interface RunOwner {
	host: string;
	pid: number;
}

/** A status change the lifecycle forbids (e.g. succeeding a run already marked failed). */
export class RunTransitionError extends Error {
	override readonly name = "RunTransitionError";
}

/**
 * The lifecycle rule shared by both manifests: may a run in `from` move to
 * `to`? Returns "apply", "noop" (already there: a retried MarkSucceeded, a
 * reconciler event after MarkFailed, any finish over a finished run that is
 * not a success) or throws RunTransitionError (a success over a failure or
 * abort, which would publish a run that did not complete).
 */
export function transition(
	runId: string,
	from: RunStatus,
	to: FinishedStatus,
): "apply" | "noop" {
	if (from === "started") return "apply";
	if (to === "succeeded" && from !== "succeeded")
		throw new RunTransitionError(
			`run ${runId} is already ${from}; it cannot be marked succeeded`,
		);
	return "noop";
}
