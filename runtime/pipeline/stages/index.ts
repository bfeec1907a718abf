/**
 * The one list of stages, in execution order (docs/architecture.md,
 * "Stages"). The Task state names, the state machine's definition
 * (runtime/pipeline/definition.ts), the handler map (handlers.ts), the
 * Lambda access table and sizes (components/access.ts,
 * components/pipeline-stage.ts) and the ECS task sizes
 * (components/stage-task.ts) all derive from it.
 *
 * Light: every module here imports only types and stages/stage.ts at the top
 * (test/stage-modules.test.ts checks it), so the Pulumi program can import
 * the list without the runtime behind it.
 */
import { BronzeReduce } from "./BronzeReduce.ts";
import { BronzeShard } from "./BronzeShard.ts";
import { Drift } from "./Drift.ts";
import { Gold } from "./Gold.ts";
import { Ladder } from "./Ladder.ts";
import { MarkFailed } from "./MarkFailed.ts";
import { MarkSucceeded } from "./MarkSucceeded.ts";
import { PlanModel } from "./PlanModel.ts";
import { PublishReport } from "./PublishReport.ts";
import { Recommend } from "./Recommend.ts";
import { Score } from "./Score.ts";
import { Silver } from "./Silver.ts";
import type {
	AnyStage,
	LambdaSizing,
	StageAccess,
	TaskSizing,
} from "./stage.ts";
import { Train } from "./Train.ts";
import { ValidateRaw } from "./ValidateRaw.ts";

export const STAGES = [
	ValidateRaw,
	BronzeShard,
	BronzeReduce,
	Silver,
	Gold,
	PlanModel,
	Train,
	Ladder,
	Score,
	Recommend,
	Drift,
	PublishReport,
	MarkSucceeded,
	MarkFailed,
] as const satisfies readonly AnyStage[];

type Listed = (typeof STAGES)[number];

/** A Task state of the state machine: one stage module. */
export type TaskStage = Listed["name"];
/** The stages that run as Lambda functions (all but PublishReport: the report build task). */
export type LambdaStage = Extract<Listed, { lambda: object }>["name"];
/** The stages that can run as an ECS/Fargate task instead of a Lambda function. */
export type EcsCapableStage = Extract<Listed, { task: object }>["name"];
/** The stage module of a name. */
export type StageNamed<N extends TaskStage> = Extract<Listed, { name: N }>;

const isLambda = (s: Listed): s is Extract<Listed, { lambda: object }> =>
	"lambda" in s && s.lambda !== undefined;
const isEcsCapable = (s: Listed): s is Extract<Listed, { task: object }> =>
	"task" in s && s.task !== undefined;

/** Task states in execution order. */
export const TASK_STAGES: readonly TaskStage[] = STAGES.map((s) => s.name);

export const LAMBDA_STAGES: readonly LambdaStage[] = STAGES.filter(
	isLambda,
).map((s) => s.name);

/**
 * The single-task stages whose memory and time grow with the batch. Not the
 * bronze shards (the Map scales them out), the plan and the run bookkeeping
 * (small and fixed), nor PublishReport (always the report build task).
 */
export const ECS_CAPABLE_STAGES: readonly EcsCapableStage[] = STAGES.filter(
	isEcsCapable,
).map((s) => s.name);

/**
 * A record with one entry per key, from entries derived from the list. The
 * guard checks at load time that no key is missing (a cast would not), so
 * the record's type is earned, not asserted.
 */
export function recordOf<K extends string, V>(
	keys: readonly K[],
	entries: Iterable<readonly [string, V]>,
): Record<K, V> {
	const out: Record<string, V> = Object.fromEntries(entries);
	if (!hasEvery(out, keys))
		throw new Error(
			`stage list: no entry for ${keys.filter((k) => !(k in out)).join(", ")}`,
		);
	return out;
}

function hasEvery<K extends string, V>(
	o: Record<string, V>,
	keys: readonly K[],
): o is Record<K, V> {
	return keys.every((k) => Object.hasOwn(o, k));
}

/** What each Lambda stage may touch (components/access.ts turns an entry into IAM). */
export const STAGE_ACCESS: Readonly<Record<LambdaStage, StageAccess>> =
	recordOf(
		LAMBDA_STAGES,
		STAGES.filter(isLambda).map((s) => [s.name, s.lambda.access] as const),
	);

/** Default size of each Lambda stage (stack configuration `stages` overrides it). */
export const STAGE_SIZING: Readonly<Record<LambdaStage, LambdaSizing>> =
	recordOf(
		LAMBDA_STAGES,
		STAGES.filter(isLambda).map((s) => [s.name, s.lambda.sizing] as const),
	);

/** Default size of each stage run as a task (stack configuration `stageRunners` overrides it). */
export const STAGE_TASK_SIZING: Readonly<Record<EcsCapableStage, TaskSizing>> =
	recordOf(
		ECS_CAPABLE_STAGES,
		STAGES.filter(isEcsCapable).map((s) => [s.name, s.task] as const),
	);
