/**
 * One local run of the pipeline: claim the batch in the manifest, run the
 * state machine with the stage handlers, and return the run record. Shared
 * by the CLI, the benchmark and the tests.
 */
import { hostname } from "node:os";
import { join } from "node:path";
import { RUN_DEFAULTS } from "../contract.ts";
import { Lake } from "../io/lake.ts";
import type { RunManifest, RunOwner, RunRecord } from "../io/manifest.ts";
import { fileSink, rootLogger } from "../log.ts";
import type { TaskStage } from "./definition.ts";
import {
	createHandlers,
	type ReportPublisher,
	type RunInput,
} from "./handlers.ts";
import { localPlatform } from "./platform.ts";
import { newRunId } from "./run-id.ts";
import {
	type EventLog,
	runStateMachineLocal,
	type StageHandler,
} from "./run-local.ts";

export interface ExecuteOptions {
	dataRoot: string;
	batchId: string;
	mode?: RunInput["mode"];
	shardCount?: number;
	concurrency?: number;
	/** Run the experiment ladder beside Train (default true; docs/models.md "Experiments"). */
	ladder?: boolean;
	gate?: number;
	/** Margin over the champion's test PR-AUC (default RUN_DEFAULTS.promotionMargin; docs/models.md "Promotion"). */
	promotionMargin?: number;
	seed?: number;
	/** Judgement thresholds of the quality contracts (defaults: DEFAULT_TOLERANCES). */
	quality?: RunInput["quality"];
	/** Drift thresholds (defaults: DEFAULT_DRIFT_THRESHOLDS, docs/drift.md). */
	drift?: RunInput["drift"];
	/** Run even over a run of this batch still marked started (e.g. after a crash). */
	force?: boolean;
	onEvent?: (e: EventLog) => void;
	/** Replace some handlers (tests inject failures this way). */
	handlers?: Partial<Record<TaskStage, StageHandler>>;
	runId?: string;
	/** Builds the report site in PublishReport (the CLI's default); tests leave it out. */
	publishReport?: ReportPublisher;
	/**
	 * Stops the run (the CLI aborts it on SIGINT/SIGTERM): the execution is
	 * aborted and the run marked aborted with the stages it ran, which
	 * releases the batch. The abort reason (e.g. "SIGINT") names the cause.
	 */
	signal?: AbortSignal;
	/** Told when this run takes over a batch whose previous run's process is gone. */
	onTakeOver?: (line: string) => void;
}

export interface ExecuteResult {
	runId: string;
	ok: boolean;
	/** Stopped by `signal`. */
	aborted: boolean;
	record: RunRecord | undefined;
}

/** Whether a process of this machine is still running (EPERM: it is, under another user). */
export function processAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (e) {
		return (e as NodeJS.ErrnoException).code === "EPERM";
	}
}

/**
 * A run still marked started whose process, on this machine, is gone (killed,
 * crashed, the laptop slept through a reboot): mark it aborted so the batch
 * is free. Runs of another host or without an owner are left alone (only
 * --force takes those over). Returns the line that says so, or undefined.
 */
async function abortOrphan(
	manifest: RunManifest,
	batchId: string,
	me: RunOwner,
	runId: string,
): Promise<string | undefined> {
	const holder = await manifest.claimOf(batchId);
	const owner = holder?.owner;
	if (
		holder?.status !== "started" ||
		!owner ||
		owner.host !== me.host ||
		owner.pid === me.pid ||
		processAlive(owner.pid)
	)
		return undefined;
	await manifest.abort(holder.runId, {
		name: "RunAborted",
		message: `its process ${owner.pid} on ${owner.host} is gone (stages done: ${stagesDone(holder)}); taken over by run ${runId}`,
	});
	return `Run ${holder.runId} of batch ${batchId} was left started by process ${owner.pid}, which is gone: marked it aborted and took the batch over.`;
}

/** The stages a run had finished, for the abort message. */
function stagesDone(record: RunRecord | undefined): string {
	const done = (record?.stages ?? [])
		.filter((s) => s.outcome !== "failed")
		.map((s) => s.stage);
	return done.length ? done.join(", ") : "none";
}

/** A batch already has a run in progress. */
export class RunRefusedError extends Error {
	override readonly name = "RunRefusedError";
}

export async function executeRun(o: ExecuteOptions): Promise<ExecuteResult> {
	const lake = new Lake(o.dataRoot);
	const runId = o.runId ?? newRunId(o.batchId);
	const platform = localPlatform(lake.root);
	const manifest = platform.manifest;
	const owner: RunOwner = { host: hostname(), pid: process.pid };
	const startOpts = { rerun: true, force: o.force, owner };
	let claimed = await manifest.start(o.batchId, runId, startOpts);
	if (!claimed) {
		const line = await abortOrphan(manifest, o.batchId, owner, runId);
		if (line) {
			o.onTakeOver?.(line);
			claimed = await manifest.start(o.batchId, runId, startOpts);
		}
	}
	if (!claimed) {
		const claim = await manifest.claimOf(o.batchId);
		throw new RunRefusedError(
			`batch ${o.batchId} has a run still marked started (${claim?.runId}${claim?.owner ? `, process ${claim.owner.pid} on ${claim.owner.host}` : ""}); if no other process is running it, use --force`,
		);
	}
	const input: RunInput = {
		runId,
		batchId: o.batchId,
		dataRoot: lake.root,
		mode: o.mode ?? RUN_DEFAULTS.mode,
		shardCount: o.shardCount ?? RUN_DEFAULTS.shardCount,
		gate: o.gate ?? RUN_DEFAULTS.gate,
		promotionMargin: o.promotionMargin ?? RUN_DEFAULTS.promotionMargin,
		seed: o.seed ?? RUN_DEFAULTS.seed,
		...(o.quality ? { quality: o.quality } : {}),
		...(o.drift && Object.keys(o.drift).length > 0 ? { drift: o.drift } : {}),
	};
	const removeSink = rootLogger.addSink(
		fileSink(join(lake.runDir(runId), "pipeline.log")),
	);
	let ok = true;
	let aborted = false;
	try {
		await runStateMachineLocal(input as unknown as Record<string, unknown>, {
			handlers: {
				...createHandlers({
					platform: () => platform,
					publishReport: o.publishReport,
				}),
				...o.handlers,
			},
			maxConcurrency: o.concurrency ?? 2,
			without: o.ladder === false ? ["Ladder"] : [],
			onEvent: o.onEvent,
			signal: o.signal,
		});
	} catch (e) {
		ok = false;
		// The local twin of the execution-status reconciler: an execution that
		// failed without MarkFailed marking the run (MarkFailed itself failed)
		// must not leave it started. A no-op on a run already finished.
		if (!o.signal?.aborted)
			await manifest
				.fail(runId, {
					name: "ExecutionFailed",
					message: `the state machine failed without marking the run: ${(e as Error).message}`,
				})
				.catch((fe: unknown) =>
					rootLogger
						.child({ runId })
						.error("could not mark the failed run", { error: String(fe) }),
				);
	} finally {
		if (o.signal?.aborted) {
			aborted = true;
			ok = false;
			const reason = String(o.signal.reason ?? "abort");
			// A no-op when MarkSucceeded/MarkFailed got there first (the status is final).
			await manifest.abort(runId, {
				name: "RunAborted",
				message: `stopped by ${reason}; stages done: ${stagesDone(await manifest.get(runId))}`,
			});
		}
		removeSink();
	}
	return { runId, ok, aborted, record: await manifest.get(runId) };
}
