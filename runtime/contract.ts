/**
 * The contracts between the Pulumi program (components/), the deployed
 * entry points (runtime/pipeline/lambda.ts, task-entry.ts,
 * runtime/report/task.ts) and the local runner (runtime/cli.ts): the
 * environment variable names each side reads or sets, the run defaults,
 * and the risk tiers the report and the scoring share
 * (docs/architecture.md, "Contracts"). Every such name and default is
 * spelled here once; the others import it.
 *
 * Light on purpose: the Pulumi program imports it, so it imports nothing
 * but the tier definitions (runtime/scoring/tiers.ts, where they live).
 */

/** What a run uses when nobody says otherwise (CLI options, stack configuration, Lambda environment). */
export const RUN_DEFAULTS = {
	/** auto: train when there is no champion, otherwise score with it. */
	mode: "auto",
	/** Consumption shards of the bronze Map. */
	shardCount: 8,
	/** Promotion gate: the minimum test PR-AUC for a candidate to become champion. */
	gate: 0.7,
	/**
	 * The candidate must also beat the champion's test PR-AUC on the same rows
	 * by this much (docs/models.md, "Promotion").
	 */
	promotionMargin: 0.005,
	/** Seed of the default synthetic batch, the split and the model. */
	seed: 42,
} as const;

/** The environment of every stage (Lambda function or ECS task): where the run's state lives (runtime/pipeline/aws-platform.ts). */
export const PLATFORM_ENV = {
	/** Required: the lake bucket. */
	lakeBucket: "LAKE_BUCKET",
	/** Optional: folder of the bucket acting as the lake root. */
	lakePrefix: "LAKE_PREFIX",
	/** Required: the run manifest table. */
	stateTable: "STATE_TABLE",
	/** Required: the model registry table. */
	registryTable: "REGISTRY_TABLE",
	/** Optional: SNS topic for alerts; without it alerts are log lines. */
	alertTopicArn: "ALERT_TOPIC_ARN",
	/** Optional: the stack name, the Stage dimension of alert metrics (default "dev"). */
	stackName: "STACK_NAME",
	/** Optional: the report site bucket, where MarkSucceeded makes the run's site live (MarkSucceeded, MarkFailed). */
	siteBucket: "SITE_BUCKET",
	/** Optional: "true" for path-style S3 addressing (loopback peers). */
	forcePathStyle: "S3_FORCE_PATH_STYLE",
} as const;

/** Run settings from the environment (stack configuration), used where the execution input has none (runtime/pipeline/lambda.ts). */
export const RUN_ENV = {
	shardCount: "SHARD_COUNT",
	gate: "PROMOTION_GATE",
	promotionMargin: "PROMOTION_MARGIN",
	seed: "SEED",
	/** The batch trigger's state machine. */
	stateMachineArn: "STATE_MACHINE_ARN",
	/** Minutes a started run may go without a running execution before the reconciler's sweep fails it. */
	leaseMinutes: "RUN_LEASE_MINUTES",
} as const;

/**
 * A pipeline stage run as an ECS task (components/stage-task.ts, the state
 * machine's ECS variant of a stage, runtime/pipeline/task-entry.ts).
 */
export const TASK_ENV = {
	/** The Task state to run; set by the stage's task definition. */
	stage: "STAGE",
	/** Lake key of the stage input; set by the state machine for each attempt. */
	inputKey: "STAGE_INPUT_KEY",
	/** The stage input as JSON text (instead of STAGE_INPUT_KEY, for runs by hand). */
	input: "STAGE_INPUT",
	/** Lake key the result envelope is written to; set by the state machine. */
	outputKey: "STAGE_OUTPUT_KEY",
} as const;

/** The report build task (runtime/report/task.ts), besides PLATFORM_ENV's lake and tables. */
export const REPORT_TASK_ENV = {
	/** Required: the private bucket the site is published to. */
	siteBucket: "SITE_BUCKET",
	/** Optional: folder of the site bucket (default "": the site at the bucket's root, as CloudFront serves it). */
	sitePrefix: "SITE_PREFIX",
	/** Required: the run to present; the state machine sets it per execution. */
	runId: "RUN_ID",
	/** The run's batch; the state machine sets it per execution (the task's logs name it). */
	batchId: "BATCH_ID",
	/** Optional: scratch folder (default the OS temp folder). */
	scratchDir: "SCRATCH_DIR",
} as const;

/** CloudWatch namespace of the alert and stage metrics (and the only one the stages may write to). */
export const METRIC_NAMESPACE = "SpanishGasChurn";

/** Risk tiers of a calibrated churn probability and their lower bounds (defined in runtime/scoring/tiers.ts). */
export { RISK_TIERS, type RiskTier, TIER_BOUNDS } from "./scoring/tiers.ts";
