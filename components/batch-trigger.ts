import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { RUN_ENV } from "../runtime/contract.ts";
import { TRIGGER_ACCESS } from "./access.ts";
import type { LambdaPackage } from "./lambda-package.ts";
import {
	type FunctionSizing,
	RuntimeFunction,
	type RuntimeResources,
} from "./runtime-function.ts";

/** Where batches are uploaded: `raw/<batch>/…` (runtime/pipeline/trigger.ts RAW_PREFIX). */
export const RAW_PREFIX = "raw/";

export interface BatchTriggerArgs extends FunctionSizing {
	package: LambdaPackage;
	resources: RuntimeResources;
	/** The state machine the trigger starts (one execution per complete batch). */
	stateMachineArn: pulumi.Input<string>;
	/** Key prefix whose uploads trigger. Default `raw/`. */
	prefix?: string;
	/** Environment besides the resource names (run defaults: SHARD_COUNT, PROMOTION_GATE, SEED, STACK_NAME). */
	environment?: Record<string, pulumi.Input<string>>;
	logRetentionDays?: number;
	alarmActions?: pulumi.Input<string>[];
	tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * The batch trigger: an S3 notification on every object created under
 * `raw/` invokes the trigger function (`trigger(event)` of the bundled
 * runtime), which starts exactly one execution per complete batch — not one
 * per uploaded file — claiming the batch in the run manifest. The same
 * function takes rerun and retrain requests
 * (`{"rerun": true, "batchId"?: "...", "mode"?: "train"}`).
 *
 * Its role may list and read `raw/` (and `latest.json`, for a rerun of the
 * last batch), write the manifest, and start only this state machine.
 */
export class BatchTrigger extends pulumi.ComponentResource {
	public readonly handler: RuntimeFunction;
	public readonly permission: aws.lambda.Permission;
	public readonly notification: aws.s3.BucketNotification;
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
		const child = { parent: this };
		this.handler = new RuntimeFunction(
			"spanishgas:pipeline:TriggerFunction",
			`${name}-fn`,
			{
				package: args.package,
				entry: { kind: "trigger" },
				resources: args.resources,
				access: TRIGGER_ACCESS,
				extraStatements: pulumi.output(args.stateMachineArn).apply((arn) => [
					{
						Sid: "StartPipeline",
						Effect: "Allow" as const,
						Action: "states:StartExecution",
						Resource: arn,
					},
				]),
				environment: {
					...args.environment,
					[RUN_ENV.stateMachineArn]: args.stateMachineArn,
				},
				memoryMb: args.memoryMb ?? 512,
				timeoutSeconds: args.timeoutSeconds ?? 60,
				ephemeralStorageMb: args.ephemeralStorageMb,
				logRetentionDays: args.logRetentionDays,
				alarmActions: args.alarmActions,
				tags: args.tags,
			},
			child,
		);
		this.functionArn = this.handler.arn;
		this.functionName = this.handler.functionName;
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
					},
				],
			},
			{ ...child, dependsOn: [this.permission] },
		);
		this.registerOutputs({ functionArn: this.functionArn });
	}
}
