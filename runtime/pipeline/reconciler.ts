/**
 * The run reconciler (docs/run-lifecycle.md): no run stays "started" — and
 * its batch claimed — after its execution has ended.
 *
 * - Execution status events (EventBridge "Step Functions Execution Status
 *   Change", FAILED / TIMED_OUT / ABORTED, this state machine): the run
 *   (the execution's input names it; its name is the run id made a valid
 *   execution name) is marked failed, or aborted, with the cause, and a
 *   run_failed alert is raised. When MarkFailed got there first the status
 *   is final and nothing happens (fail() returns false).
 * - A sweep (scheduled): runs still started past a lease whose execution is
 *   not RUNNING are closed the same way; an execution that does not exist
 *   means the trigger died (or its retries ran out) before StartExecution.
 *   The lease must outlast the trigger's retries (components/run-reconciler.ts).
 */
import type { RunManifest, RunRecord } from "../io/manifest.ts";
import { rootLogger } from "../log.ts";
import type { Alerts } from "../monitoring/alerts.ts";
import { emfSink, type MetricSink } from "../monitoring/lifecycle-metrics.ts";
import {
	DEFAULT_LEASE_MINUTES,
	EXECUTION_STATUS_CHANGE,
	FINAL_FAILURE_STATUSES,
} from "./lifecycle-contract.ts";
import type { ExecutionStatus } from "./sfn-executions.ts";

export {
	DEFAULT_LEASE_MINUTES,
	EXECUTION_STATUS_CHANGE,
	FINAL_FAILURE_STATUSES,
} from "./lifecycle-contract.ts";

/** The part of the EventBridge event the reconciler reads. */
export interface ExecutionStatusEvent {
	source?: string;
	"detail-type"?: string;
	detail?: {
		executionArn?: string;
		stateMachineArn?: string;
		name?: string;
		status?: string;
		input?: string | null;
		cause?: string | null;
		error?: string | null;
	};
}

/** The scheduled sweep's event (the schedule's constant input). */
export interface SweepRequest {
	sweep: true;
}

export interface ReconcilerDeps {
	manifest: RunManifest;
	alerts: Alerts;
	/** The run's execution status; undefined when the execution does not exist. */
	describeExecution: (
		runId: string,
		executionArn: string | undefined,
	) => Promise<{ status: ExecutionStatus; cause?: string } | undefined>;
	/** Only events of this state machine are acted on (when set). */
	stateMachineArn?: string;
	/** Minutes a started run may go without a running execution. Default 15. */
	leaseMinutes?: number;
	now?: () => Date;
	log?: (
		level: "info" | "warn" | "error",
		message: string,
		fields: Record<string, unknown>,
	) => void;
	metric?: MetricSink;
}

export type ReconcileOutcome =
	| "marked_failed"
	| "marked_aborted"
	/** The run had already finished (MarkFailed, MarkSucceeded, an abort): nothing changed. */
	| "already_finished"
	| "unknown_run"
	| "ignored"
	| "running"
	| "within_lease";

export interface Reconciled {
	runId?: string;
	outcome: ReconcileOutcome;
	detail?: string;
}

const defaults = (deps: ReconcilerDeps) => ({
	log:
		deps.log ??
		((level, message, fields) => rootLogger.log(level, message, fields)),
	metric: deps.metric ?? emfSink,
	now: deps.now ?? (() => new Date()),
});

/** The run id of an execution: its input's runId, else its name. */
export function runIdOf(
	detail: ExecutionStatusEvent["detail"],
): string | undefined {
	if (detail?.input) {
		try {
			const input = JSON.parse(detail.input) as { runId?: unknown };
			if (typeof input.runId === "string" && input.runId) return input.runId;
		} catch {
			// not JSON: fall back to the name
		}
	}
	return detail?.name || undefined;
}

/** Marks the run failed (or aborted) and raises run_failed when that changed it. */
async function close(
	deps: ReconcilerDeps,
	run: RunRecord,
	status: string,
	cause: string,
	via: "event" | "sweep",
): Promise<Reconciled> {
	const { log, metric } = defaults(deps);
	const aborted = status === "ABORTED";
	const error = {
		name: `Execution${status
			.toLowerCase()
			.replace(/(^|_)(\w)/g, (_, __, c: string) => c.toUpperCase())}`,
		message: cause,
	};
	const changed = aborted
		? await deps.manifest.abort(run.runId, error)
		: await deps.manifest.fail(run.runId, error);
	if (!changed) {
		log("info", "run already finished: nothing to reconcile", {
			event: "reconciler_noop",
			runId: run.runId,
			executionStatus: status,
			via,
		});
		return { runId: run.runId, outcome: "already_finished" };
	}
	const outcome = aborted ? "marked_aborted" : "marked_failed";
	log(
		"warn",
		`run marked ${aborted ? "aborted" : "failed"} by the reconciler`,
		{
			event: "reconciler_closed",
			runId: run.runId,
			batchId: run.batchId,
			executionStatus: status,
			cause,
			via,
		},
	);
	metric("RunsReconciled", 1, { Reason: status }, { runId: run.runId });
	await deps.alerts.raise({
		kind: "run_failed",
		runId: run.runId,
		batchId: run.batchId,
		message: `run ${run.runId} ${aborted ? "aborted" : "failed"}: execution ${status}${cause ? ` (${cause})` : ""}; the batch is free for a rerun request`,
		detail: { executionStatus: status, via },
	});
	return { runId: run.runId, outcome, detail: cause };
}

/** One execution status event. */
export async function reconcileExecutionEvent(
	event: ExecutionStatusEvent,
	deps: ReconcilerDeps,
): Promise<Reconciled> {
	const { log } = defaults(deps);
	const d = event.detail;
	const status = d?.status ?? "";
	if (
		event["detail-type"] !== EXECUTION_STATUS_CHANGE ||
		!(FINAL_FAILURE_STATUSES as readonly string[]).includes(status) ||
		(deps.stateMachineArn !== undefined &&
			d?.stateMachineArn !== deps.stateMachineArn)
	)
		return { outcome: "ignored" };
	const runId = runIdOf(d);
	const run = runId ? await deps.manifest.get(runId) : undefined;
	if (!run) {
		log("warn", "execution of no known run", {
			event: "reconciler_unknown_run",
			executionArn: d?.executionArn,
			runId,
		});
		return { runId, outcome: "unknown_run" };
	}
	const cause = [d?.error, d?.cause].filter(Boolean).join(": ");
	return close(
		deps,
		run,
		status,
		cause || `execution ${d?.executionArn ?? runId} ended ${status}`,
		"event",
	);
}

/** The execution ARN the trigger recorded for the run, if it got that far. */
const recordedExecution = (run: RunRecord): string | undefined => {
	const id = run.stages.find((s) => s.stage === "trigger")?.detail?.executionId;
	return typeof id === "string" ? id : undefined;
};

/** Closes every run started longer ago than the lease whose execution is not running. */
export async function sweepStartedRuns(
	deps: ReconcilerDeps,
): Promise<Reconciled[]> {
	const { now } = defaults(deps);
	const leaseMs = (deps.leaseMinutes ?? DEFAULT_LEASE_MINUTES) * 60_000;
	const out: Reconciled[] = [];
	for (const run of await deps.manifest.list()) {
		if (run.status !== "started") continue;
		const age = now().getTime() - Date.parse(run.startedAt);
		if (!(age >= leaseMs)) {
			out.push({ runId: run.runId, outcome: "within_lease" });
			continue;
		}
		const arn = recordedExecution(run);
		const execution = await deps.describeExecution(run.runId, arn);
		const minutes = Math.round(age / 60_000);
		if (
			execution?.status === "RUNNING" ||
			execution?.status === "PENDING_REDRIVE"
		) {
			out.push({ runId: run.runId, outcome: "running" });
			continue;
		}
		if (!execution) {
			out.push(
				await close(
					deps,
					run,
					"FAILED",
					`no execution exists ${minutes} min after the batch was claimed: the trigger failed before StartExecution (see the trigger's dead-letter queue)`,
					"sweep",
				),
			);
			continue;
		}
		out.push(
			await close(
				deps,
				run,
				execution.status === "ABORTED"
					? "ABORTED"
					: execution.status === "TIMED_OUT"
						? "TIMED_OUT"
						: "FAILED",
				`the execution is ${execution.status}${execution.cause ? ` (${execution.cause})` : ""} but the run was still started ${minutes} min after its claim (its status event was lost)`,
				"sweep",
			),
		);
	}
	return out;
}

function isSweep(event: unknown): event is SweepRequest {
	return (event as SweepRequest | undefined)?.sweep === true;
}

/** The reconciler function's entry: a status event, or the schedule's sweep. */
export async function reconcile(
	event: ExecutionStatusEvent | SweepRequest,
	deps: ReconcilerDeps,
): Promise<Reconciled[]> {
	if (isSweep(event)) return sweepStartedRuns(deps);
	return [await reconcileExecutionEvent(event, deps)];
}
