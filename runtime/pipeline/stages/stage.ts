/**
 * What a pipeline stage is (docs/architecture.md, "Stages"): one module under
 * runtime/pipeline/stages/ exporting a `StageModule` — its Task state name,
 * where its result goes in the execution state, the lake prefixes and tables
 * it may touch, its Lambda and task sizes, and `run`.
 *
 * This file and the stage modules are light on purpose: the Pulumi program
 * (components/) imports them for the access table and the sizes, so a stage
 * module imports nothing at the top but this file and types; `run` loads the
 * runtime it needs with `await import(…)` when it runs.
 */
import type { ConsumptionShard } from "../../data/bronze/consumption-shards.ts";
import type { StageRecord } from "../../io/manifest.ts";
import type { DriftThresholds } from "../../monitoring/drift.ts";
import type { QualityTolerances } from "../../monitoring/quality.ts";
import type { Platform } from "../platform.ts";
import type { TrainOutput } from "./Train.ts";

/**
 * none; read (get, query, scan); update (get + update existing items: the
 * stages' manifest records); readwrite (also put and delete: claiming a
 * batch, registering a model).
 */
export type TableAccess = "none" | "read" | "update" | "readwrite";

/**
 * What a stage may touch. Prefix patterns are S3 key patterns (`*` matches
 * within and across `/`, as IAM resource ARNs do) of the lake layout:
 * `raw/<batch>/…`, `runs/<runId>/<layer>/…`, `models/<version>/…`,
 * `latest.json`, `reports/…`. components/access.ts turns it into IAM.
 */
export interface StageAccess {
	/**
	 * Lake key patterns the stage reads (s3:GetObject), and the only prefixes
	 * it may list (s3:ListBucket with an s3:prefix condition).
	 */
	readonly reads: readonly string[];
	/**
	 * Of `reads`, the patterns it reads at a pinned object version
	 * (s3:GetObjectVersion: the raw files ValidateRaw pinned,
	 * docs/batch-manifest.md). Default none.
	 */
	readonly pinnedReads?: readonly string[];
	/**
	 * Lake key prefixes the stage lists without reading the objects (added to
	 * the s3:prefix condition of its s3:ListBucket). Default none.
	 */
	readonly lists?: readonly string[];
	/** Lake key patterns the stage writes (s3:PutObject, s3:PutObjectTagging). */
	readonly writes: readonly string[];
	/**
	 * Lake key patterns the stage deletes (s3:DeleteObject). Default none: no
	 * stage deletes from the lake (runs write new keys; only the report
	 * publisher deletes, and only in the site bucket).
	 */
	readonly deletes?: readonly string[];
	/** Run manifest table. */
	readonly manifest: TableAccess;
	/**
	 * Also Scan the manifest (RunManifest.list()) at a level without it
	 * ("update": the run reconciler's sweep). Default false.
	 */
	readonly manifestScan?: boolean;
	/**
	 * Partition-key patterns of the manifest items the stage touches
	 * (dynamodb:LeadingKeys). Default RUN_ITEMS of components/access.ts: a
	 * stage only reads and updates run records; claims (`BATCH#…`) are the
	 * trigger's.
	 */
	readonly manifestKeys?: readonly string[];
	/** Model registry table. */
	readonly registry: TableAccess;
	/** Publishes alerts (SNS + the metric namespace of runtime/contract.ts). */
	readonly alerts: boolean;
}

/**
 * Every stage updates its run's manifest record (the trigger created it) and
 * may raise alerts.
 */
export const BASE_ACCESS = {
	manifest: "update",
	registry: "none",
	alerts: true,
} as const satisfies Partial<StageAccess>;

/** Size of a stage's Lambda function. */
export interface LambdaSizing {
	/** Memory in MB (128–10240; vCPUs scale with it: 1769 MB = 1 vCPU). */
	memoryMb: number;
	/** Timeout in seconds (1–900). */
	timeoutSeconds: number;
	/** /tmp size in MB (512–10240). */
	ephemeralStorageMb: number;
}

/** Size of a stage run as an ECS/Fargate task (docs/scaling.md). */
export interface TaskSizing {
	/** CPU units: 1024 (1 vCPU) … 16384. */
	cpu: 1024 | 2048 | 4096 | 8192 | 16384;
	/** Memory in MB (within Fargate's range for the CPU). */
	memoryMb: number;
	/** Task storage in GiB (21–200; the stage's scratch folder is under /tmp). */
	ephemeralStorageGiB: number;
	/** Time limit of the stage's runTask.sync state in seconds. */
	timeoutSeconds: number;
}

/** The execution input: what a run is about. */
export interface RunInput {
	runId: string;
	batchId: string;
	/** The local data folder (embedded default); absent in AWS, where the platform comes from the environment. */
	dataRoot?: string;
	/** auto: train when there is no champion, otherwise score with it. */
	mode: "auto" | "train" | "score";
	shardCount: number;
	/** Absolute gate on the candidate's test PR-AUC (default DEFAULT_GATE of runtime/model/registry.ts). */
	gate: number;
	/**
	 * How much the candidate's test PR-AUC must beat the champion's on the
	 * same rows (default DEFAULT_PROMOTION_MARGIN; docs/models.md "Promotion").
	 */
	promotionMargin?: number;
	seed: number;
	/** Judgement thresholds of the quality contracts (defaults: DEFAULT_TOLERANCES, docs/data-quality.md). */
	quality?: Partial<QualityTolerances>;
	/** Drift thresholds (defaults: DEFAULT_DRIFT_THRESHOLDS, docs/drift.md). */
	drift?: Partial<DriftThresholds>;
}

export interface ValidateOutput {
	/** The shards, inline (an inline Map iterates over them). */
	shards: ConsumptionShard[];
	shardCount: number;
	/** Lake key of the same list as a JSON array (a Distributed Map's ItemReader). */
	shardsKey: string;
	rows: Record<string, number>;
	/** The raw files read, with their pinned versions, in the lake (runtime/pipeline/stages/raw-pinning.ts). */
	rawFiles?: { key: string; count: number; manifest: "uploaded" | "computed" };
}
export interface ShardInput {
	runId: string;
	dataRoot?: string;
	shard: ConsumptionShard;
	index: number;
}
export interface ShardOutput {
	index: number;
	seconds: number;
	/** Lake key of the shard's partial aggregate. */
	key: string;
	rowsRead: number;
	customerMonths: number;
}
export interface BronzeOutput {
	rows: Record<string, number>;
	asOfDate: string;
}
export interface PlanOutput {
	action: "train" | "score";
	/** The champion when the run planned: what a candidate must beat, and what scores if none is approved. */
	champion: string | null;
}

/** The state as it grows along the execution (each Task writes its ResultPath). */
export interface RunState extends RunInput {
	raw?: ValidateOutput;
	bronzeShards?: ShardOutput[];
	bronze?: BronzeOutput;
	plan?: PlanOutput;
	train?: TrainOutput;
	error?: { Error: string; Cause: string };
}

/**
 * The model version that scores this run (Score, Drift): decided by
 * PlanModel and Train, read from the state — never "the champion now",
 * which a concurrent run may have moved.
 */
export function plannedVersion(s: RunState): string | null {
	if (s.train) return s.train.scoringVersion;
	return s.plan?.champion ?? null;
}

export type StageCounts = Pick<StageRecord, "rows" | "faults" | "detail">;

/** What `run` returns: the Task's output and what the manifest records of it. */
export interface StageResult<O> {
	output: O;
	record?: StageCounts;
}

/**
 * What a stage has counted so far: a body fills it before a step that may
 * fail (e.g. the quality gate), so a failed stage still reports its rows and
 * faults.
 */
export type StageProgress = StageCounts;

/** What PublishReport does: build the site for a run and put it where it is served. */
export type ReportPublisher = (
	p: Platform,
	run: { runId: string; batchId: string },
) => Promise<Record<string, unknown>>;

/** The platform a stage body sees: the run's state, its own scratch folder, and the run's options. */
export interface StagePlatform extends Platform {
	/** Builds and publishes the report (PublishReport); absent: the stage records that it skipped. */
	publishReport?: ReportPublisher;
}

/** One stage: see the file comment. */
export interface StageModule<
	N extends string = string,
	I = never,
	O = unknown,
> {
	/** The Task state's name (and the Lambda function's stage). */
	readonly name: N;
	/** Where the state machine puts the stage's output in the execution state. */
	readonly resultPath: string | null;
	/**
	 * Runs as a Lambda function: its least-privilege access and its size.
	 * Absent for a stage that never runs as a Lambda (PublishReport: the report build task).
	 */
	readonly lambda?: {
		readonly access: StageAccess;
		readonly sizing: LambdaSizing;
	};
	/** May run as an ECS/Fargate task (stageRunners in the stack configuration): its default size. */
	readonly task?: TaskSizing;
	/**
	 * Its place in the state machine (runtime/pipeline/definition.ts). Default
	 * "task": a Task state between the previous stage and the next. "map":
	 * one iteration of a Map state over the list the previous stage returned
	 * (`shards`, or the lake document at `shardsKey`). "report": the report
	 * publication (in AWS the report build task, with a longer time limit).
	 * "success": the last stage, then the Succeed state. "failure": the Catch
	 * target of every stage, then the Fail state; not in the chain. "branch":
	 * not in the chain either: a parallel branch beside the stage named by
	 * `alongside`, whose failure is caught in the branch (it never fails the
	 * run; the manifest records it).
	 */
	readonly flow?: "task" | "map" | "report" | "success" | "failure" | "branch";
	/** For a "branch" stage: the stage it runs beside (a Parallel state named `<that stage>Parallel`). */
	readonly alongside?: string;
	/** The Map state's name, for a "map" stage. */
	readonly mapState?: string;
	/**
	 * Runs only when the state says so: a Choice state of this name before the
	 * stage goes to it when `variable` equals `equals`, and past it otherwise.
	 */
	readonly runsIf?: {
		readonly choiceState: string;
		readonly variable: string;
		readonly equals: string;
	};
	/**
	 * The stage's line in the run summary (run_report.json, the manifest's
	 * summary, the report's pipeline status), in the list's order: `key`, and
	 * its value (default: the detail the stage recorded, or null).
	 */
	readonly summary?: {
		readonly key: string;
		value?(state: RunState, detail: StageRecord["detail"]): unknown;
	};
	/** The stage's work; the handler wrapper (runtime/pipeline/handlers.ts) times, logs and records it. */
	run(
		input: I,
		platform: StagePlatform,
		progress: StageProgress,
	): Promise<StageResult<O>>;
}

/** Any stage module (what the list holds). */
// biome-ignore lint/suspicious/noExplicitAny: the list holds stages of every input type; `never` would make `run` uncallable in the wrapper.
export type AnyStage = StageModule<string, any, unknown>;

/** The input and output types of a stage module. */
export type StageInput<S extends AnyStage> = Parameters<S["run"]>[0];
export type StageOutput<S extends AnyStage> = Awaited<
	ReturnType<S["run"]>
>["output"];

/**
 * Declares a stage. The `const` type parameter keeps its literal name and
 * whether it has `lambda` and `task` in its type, from which the list
 * (stages/index.ts) derives the stage names, the Lambda stages and the ECS
 * stages. `run`'s parameters are annotated in each module.
 */
export function defineStage<const S extends AnyStage>(stage: S): S {
	return stage;
}

/** No approved model where a stage needs one (Score, Drift). */
export class NoChampionError extends Error {
	override readonly name = "NoChampionError";
}
