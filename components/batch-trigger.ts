import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { RUN_ENV } from "../runtime/contract.ts";
import { BATCH_MANIFEST } from "../runtime/pipeline/lifecycle-contract.ts";
import { TRIGGER_ACCESS } from "./access.ts";
import { DeadLetterQueue } from "./dead-letter-queue.ts";
import type { LambdaPackage } from "./lambda-package.ts";
import {
	type FunctionSizing,
	RuntimeFunction,
	type RuntimeResources,
} from "./runtime-function.ts";

/** Where batches are uploaded: `raw/<batch>/…` (runtime/pipeline/trigger.ts RAW_PREFIX). */
export const RAW_PREFIX = "raw/";

/**
 * Async invocation settings of the trigger (S3 and the retrain schedule
 * invoke it asynchronously): two retries, and an event older than 10
 * minutes is not retried but sent to the dead-letter queue. The reconciler's
 * lease (15 min, components/run-reconciler.ts) must outlast this window.
 */
export const TRIGGER_RETRY = {
	maximumRetryAttempts: 2,
	maximumEventAgeInSeconds: 600,
} as const;

/** Default reserved concurrency: a few uploads at once; a flood queues instead of crowding the account. */
export const TRIGGER_RESERVED_CONCURRENCY = 2;

export interface BatchTriggerArgs extends FunctionSizing {
	package: LambdaPackage;
	resources: RuntimeResources;
	/** The state machine the trigger starts (one execution per complete batch). */
	stateMachineArn: pulumi.Input<string>;
	/** Key prefix whose uploads trigger. Default `raw/`. */
	prefix?: string;
	/** Reserved concurrency of the trigger function (1–50). Default {@link TRIGGER_RESERVED_CONCURRENCY}. */
	reservedConcurrency?: number;
	/** Environment besides the resource names (run defaults: SHARD_COUNT, PROMOTION_GATE, SEED, STACK_NAME). */
	environment?: Record<string, pulumi.Input<string>>;
	logRetentionDays?: number;
	alarmActions?: pulumi.Input<string>[];
	tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * The batch trigger: an S3 notification on each batch manifest uploaded
 * under `raw/` (`raw/<batch>/_manifest.json`, uploaded last:
 * docs/batch-manifest.md) invokes the trigger function (`trigger(event,
 * context)` of the bundled runtime), which starts one execution per complete
 * batch, claiming it in the run manifest. The files themselves invoke
 * nothing. The same function takes rerun and retrain requests
 * (`{"rerun": true, "batchId"?: "...", "mode"?: "train"}`).
 *
 * Its asynchronous invocations retry twice within 10 minutes
 * ({@link TRIGGER_RETRY}) and then go to an encrypted dead-letter queue (with
 * an alarm); its reserved concurrency bounds how many run at once.
 *
 * Its role may list `raw/` and read only the manifests (and `latest.json`,
 * for a rerun of the last batch), write the manifest table, start only this
 * state machine (and describe its executions: an idempotent restart) and
 * send to its dead-letter queue.
 */
export class BatchTrigger extends pulumi.ComponentResource {
	public readonly handler: RuntimeFunction;
	public readonly permission: aws.lambda.Permission;
	public readonly notification: aws.s3.BucketNotification;
	public readonly deadLetters: DeadLetterQueue;
	public readonly invokeConfig: aws.lambda.FunctionEventInvokeConfig;
	public readonly functionArn: pulumi.Output<string>;
	public readonly functionName: pulumi.Output<string>;

	constructor(
		name: string,
		args: BatchTriggerArgs,
		opts?: pulumi.ComponentResourceOptions,
	) {
		super("spanishgas:pipeline:BatchTrigger", name, {}, opts);
		const prefix = args.prefix ?? RAW_PREFIX;
		if (!prefix.endsWith("/") || prefix.startsWith("/"))
			throw new Error(
				`BatchTrigger ${name}: prefix must be a folder like "raw/", got ${JSON.stringify(prefix)}`,
			);
		const reserved = args.reservedConcurrency ?? TRIGGER_RESERVED_CONCURRENCY;
		if (!Number.isInteger(reserved) || reserved < 1 || reserved > 50)
			throw new Error(
				`BatchTrigger ${name}: reservedConcurrency must be an integer from 1 to 50, got ${reserved}`,
			);
		const child = { parent: this };
		this.deadLetters = new DeadLetterQueue(
			`${name}-dlq`,
			{ alarmActions: args.alarmActions, tags: args.tags },
			child,
		);
		const executions = pulumi
			.output(args.stateMachineArn)
			.apply((arn) => `${arn.replace(":stateMachine:", ":execution:")}:*`);
		this.handler = new RuntimeFunction(
			"spanishgas:pipeline:TriggerFunction",
			`${name}-fn`,
			{
				package: args.package,
				entry: { kind: "trigger" },
				resources: args.resources,
				access: TRIGGER_ACCESS,
				extraStatements: pulumi
					.all([args.stateMachineArn, executions, this.deadLetters.arn])
					.apply(([arn, runs, dlq]) => [
						{
							Sid: "StartPipeline",
							Effect: "Allow" as const,
							Action: "states:StartExecution",
							Resource: arn,
						},
						// A resumed run's StartExecution may meet its own closed execution.
						{
							Sid: "DescribeRuns",
							Effect: "Allow" as const,
							Action: "states:DescribeExecution",
							Resource: runs,
						},
						{
							Sid: "DeadLetters",
							Effect: "Allow" as const,
							Action: "sqs:SendMessage",
							Resource: dlq,
						},
					]),
				environment: {
					...args.environment,
					[RUN_ENV.stateMachineArn]: args.stateMachineArn,
				},
				memoryMb: args.memoryMb ?? 512,
				timeoutSeconds: args.timeoutSeconds ?? 60,
				ephemeralStorageMb: args.ephemeralStorageMb,
				reservedConcurrency: reserved,
				logRetentionDays: args.logRetentionDays,
				alarmActions: args.alarmActions,
				tags: args.tags,
			},
			child,
		);
		this.functionArn = this.handler.arn;
		this.functionName = this.handler.functionName;
		this.invokeConfig = new aws.lambda.FunctionEventInvokeConfig(
			`${name}-async`,
			{
				functionName: this.handler.functionName,
				...TRIGGER_RETRY,
				destinationConfig: {
					onFailure: { destination: this.deadLetters.arn },
				},
			},
			{ ...child, dependsOn: [this.handler.rolePolicy] },
		);
		const account = aws.getCallerIdentityOutput({}, child).accountId;
		this.permission = new aws.lambda.Permission(
			`${name}-s3-invoke`,
			{
				action: "lambda:InvokeFunction",
				function: this.handler.functionName,
				principal: "s3.amazonaws.com",
				sourceArn: args.resources.lakeBucketArn,
				sourceAccount: account,
			},
			child,
		);
		this.notification = new aws.s3.BucketNotification(
			`${name}-notification`,
			{
				bucket: args.resources.lakeBucketName,
				lambdaFunctions: [
					{
						lambdaFunctionArn: this.handler.arn,
						events: ["s3:ObjectCreated:*"],
						filterPrefix: prefix,
						// Only the manifest, uploaded last: not one invocation per part.
						filterSuffix: `/${BATCH_MANIFEST}`,
					},
				],
			},
			{ ...child, dependsOn: [this.permission] },
		);
		this.registerOutputs({
			functionArn: this.functionArn,
			deadLetterQueueUrl: this.deadLetters.url,
		});
	}
}
