import type * as pulumi from "@pulumi/pulumi";
import { STAGE_SIZING as LAMBDA_STAGE_SIZING } from "../runtime/pipeline/stages/index.ts";
import {
	LAMBDA_STAGES,
	type LambdaStage,
	STAGE_ACCESS,
	type StageAccess,
} from "./access.ts";
import {
	type FunctionSizing,
	RuntimeFunction,
	type RuntimeFunctionArgs,
} from "./runtime-function.ts";

/**
 * Default sizes per stage: the `lambda.sizing` of each stage module
 * (runtime/pipeline/stages/<Stage>.ts). BronzeShard runs DuckDB on a shard
 * of hourly Parquet parts fetched into /tmp; the single-task stages hold
 * customer-level tables (≈ 1 GB at 20 k customers); Train runs two XGBoost
 * fits in parallel worker threads, so it gets ≥ 2 vCPUs (3538 MB).
 */
export const STAGE_SIZING: Readonly<
	Record<LambdaStage, Required<FunctionSizing>>
> = LAMBDA_STAGE_SIZING;

export interface PipelineStageArgs
	extends Omit<RuntimeFunctionArgs, "entry" | "access">,
		FunctionSizing {
	/** The Task state this function runs (runtime/pipeline/definition.ts TASK_STAGES, except PublishReport). */
	stage: LambdaStage;
	/** Data access. Default STAGE_ACCESS[stage] (only its own prefixes and tables). */
	access?: StageAccess;
}

/**
 * One pipeline stage: the Lambda function that runs the runtime handler of
 * the Task state of the same name (`handle(stage, event)` of the bundled
 * runtime/pipeline/lambda.ts), with its own least-privilege role (only the
 * stage's lake prefixes and tables, STAGE_ACCESS), its log group with
 * retention and its error alarm.
 *
 * Usable on its own in another program:
 *
 * ```ts
 * const pkg = buildLambdaPackage();
 * const score = new PipelineStage("score", {
 *   stage: "Score", package: pkg,
 *   resources: { lakeBucketName, lakeBucketArn, manifestTableName, manifestTableArn,
 *                registryTableName, registryTableArn },
 * });
 * ```
 */
export class PipelineStage extends RuntimeFunction {
	public readonly stage: LambdaStage;

	constructor(
		name: string,
		args: PipelineStageArgs,
		opts?: pulumi.ComponentResourceOptions,
	) {
		if (!(LAMBDA_STAGES as readonly string[]).includes(args.stage))
			throw new Error(
				`PipelineStage ${name}: stage must be one of ${LAMBDA_STAGES.join(", ")}, got ${JSON.stringify(args.stage)}`,
			);
		const sizing = STAGE_SIZING[args.stage];
		super(
			"spanishgas:pipeline:PipelineStage",
			name,
			{
				...args,
				memoryMb: args.memoryMb ?? sizing.memoryMb,
				timeoutSeconds: args.timeoutSeconds ?? sizing.timeoutSeconds,
				ephemeralStorageMb:
					args.ephemeralStorageMb ?? sizing.ephemeralStorageMb,
				entry: { kind: "handle", stage: args.stage },
				access: args.access ?? STAGE_ACCESS[args.stage],
			},
			opts,
		);
		this.stage = args.stage;
	}
}
