/**
 * The handler of each Task state: a stage module's `run`
 * (runtime/pipeline/stages/) wrapped to time, log, emit metrics and record
 * the stage in the manifest. Each takes and returns small JSON (run id,
 * keys, counts, metrics — never tables): tables go to the lake under the run
 * id. The same functions run in-process locally and as Lambda handlers in
 * AWS.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { rootLogger } from "../log.ts";
import { emitStageMetrics } from "../monitoring/stage-metrics.ts";
import { localPlatform, type Platform } from "./platform.ts";
import {
	recordOf,
	STAGES,
	type StageNamed,
	TASK_STAGES,
	type TaskStage,
} from "./stages/index.ts";
import type {
	AnyStage,
	ReportPublisher,
	StageInput,
	StageOutput,
	StagePlatform,
	StageProgress,
} from "./stages/stage.ts";

export type {
	BronzeOutput,
	PlanOutput,
	ReportPublisher,
	RunInput,
	RunState,
	ShardInput,
	ShardOutput,
	StageProgress,
	ValidateOutput,
} from "./stages/stage.ts";

/** Resolves the platform a stage input runs on. */
export type PlatformResolver = (input: { dataRoot?: string }) => Platform;

/** The embedded default: the local platform on the input's data folder. */
export const localResolver: PlatformResolver = (input) => {
	if (!input.dataRoot)
		throw new Error(
			"the local platform needs dataRoot in the execution input (in Lambda the platform comes from the environment)",
		);
	return localPlatform(input.dataRoot);
};

export interface HandlerOptions {
	/** Where each input's state lives (default: the local platform on its dataRoot). */
	platform?: PlatformResolver;
	/** Builds and publishes the report; without one, PublishReport records that it was skipped. */
	publishReport?: ReportPublisher;
}

/** The handler of a stage module: its input to its output. */
export type StageHandler<S extends AnyStage> = (
	input: StageInput<S>,
) => Promise<StageOutput<S>>;

/** One handler per Task state, typed by its stage module. */
export type StageHandlers = {
	readonly [N in TaskStage]: StageHandler<StageNamed<N>>;
};

/**
 * Times a stage, logs it, emits its metrics and records it in the manifest —
 * a failed one too (outcome, error, and what it had counted), so a failed
 * run's summary lists every stage that ran.
 */
export function stageHandler<S extends AnyStage>(
	stage: S,
	o: HandlerOptions = {},
): StageHandler<S> {
	const resolve = o.platform ?? localResolver;
	const name = stage.name;
	return async (input) => {
		const log = rootLogger.child({ runId: input.runId, stage: name });
		const platform = resolve(input);
		// A scratch folder of this invocation only, removed at the end: a warm
		// Lambda keeps /tmp, and concurrent iterations must not share files.
		await mkdir(platform.scratchDir, { recursive: true });
		const scratchDir = await mkdtemp(join(platform.scratchDir, `${name}-`));
		const p: StagePlatform = {
			...platform,
			scratchDir,
			...(o.publishReport ? { publishReport: o.publishReport } : {}),
		};
		const t0 = performance.now();
		const progress: StageProgress = {};
		log.info("stage started");
		try {
			const { output, record } = await stage.run(input, p, progress);
			const seconds = (performance.now() - t0) / 1000;
			log.info("stage succeeded", { seconds, ...record });
			await emitStageMetrics({
				runId: input.runId,
				stage: name,
				seconds,
				rows: record?.rows,
				faults: record?.faults,
				localPath: p.metricsPath?.(input.runId),
			});
			// Map iterations report through the reduce, which records the whole bronze.
			if (name !== "BronzeShard")
				await p.manifest.recordStage(input.runId, {
					stage: name,
					seconds,
					outcome: "succeeded",
					...record,
				});
			return output;
		} catch (e) {
			const err = e as Error;
			const error = { name: err.name, message: err.message };
			log.error("stage failed", { error });
			// A failing shard fails the whole Map: it is recorded as BronzeShards.
			await p.manifest
				.recordStage(input.runId, {
					stage: name === "BronzeShard" ? "BronzeShards" : name,
					seconds: (performance.now() - t0) / 1000,
					outcome: "failed",
					error,
					...progress,
				})
				.catch((re: unknown) =>
					log.error("could not record the failed stage", {
						error: String(re),
					}),
				);
			throw e;
		} finally {
			await rm(scratchDir, { recursive: true, force: true });
		}
	};
}

/** The handler of every stage of the list (runtime/pipeline/stages/index.ts). */
export function createHandlers(o: HandlerOptions = {}): StageHandlers {
	return recordOf(
		TASK_STAGES,
		STAGES.map((s) => [s.name, stageHandler(s, o)] as const),
	);
}
