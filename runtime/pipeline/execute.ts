/**
 * One local run of the pipeline: claim the batch in the manifest, run the
 * state machine with the stage handlers, and return the run record. Shared
 * by the CLI, the benchmark and the tests.
 */
import { join } from "node:path";
import { RUN_DEFAULTS } from "../contract.ts";
import { Lake } from "../io/lake.ts";
import type { RunRecord } from "../io/manifest.ts";
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
	gate?: number;
	seed?: number;
	/** Judgement thresholds of the quality contracts (defaults: DEFAULT_TOLERANCES). */
	quality?: RunInput["quality"];
	/** Run even over a run of this batch still marked started (e.g. after a crash). */
	force?: boolean;
	onEvent?: (e: EventLog) => void;
	/** Replace some handlers (tests inject failures this way). */
	handlers?: Partial<Record<TaskStage, StageHandler>>;
	runId?: string;
	/** Builds the report site in PublishReport (the CLI's default); tests leave it out. */
	publishReport?: ReportPublisher;
}

export interface ExecuteResult {
	runId: string;
	ok: boolean;
	record: RunRecord | undefined;
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
	if (
		!(await manifest.start(o.batchId, runId, { rerun: true, force: o.force }))
	) {
		const claim = await manifest.claimOf(o.batchId);
		throw new RunRefusedError(
			`batch ${o.batchId} has a run still marked started (${claim?.runId}); if no other process is running it, use --force`,
		);
	}
	const input: RunInput = {
		runId,
		batchId: o.batchId,
		dataRoot: lake.root,
		mode: o.mode ?? RUN_DEFAULTS.mode,
		shardCount: o.shardCount ?? RUN_DEFAULTS.shardCount,
		gate: o.gate ?? RUN_DEFAULTS.gate,
		seed: o.seed ?? RUN_DEFAULTS.seed,
		...(o.quality ? { quality: o.quality } : {}),
	};
	const removeSink = rootLogger.addSink(
		fileSink(join(lake.runDir(runId), "pipeline.log")),
	);
	let ok = true;
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
			onEvent: o.onEvent,
		});
	} catch {
		ok = false;
	} finally {
		removeSink();
	}
	return { runId, ok, record: await manifest.get(runId) };
}
