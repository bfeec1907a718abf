import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PLATFORM_ENV } from "../runtime/contract.ts";
import { STAGE_NODE_OPTIONS } from "../runtime/pipeline/node-options.ts";
import {
	accessStatements,
	assumeRolePolicy,
	type PolicyStatement,
	policyDocument,
	type StageAccess,
} from "./access.ts";
import type { LambdaPackage } from "./lambda-package.ts";

/** CloudWatch Logs retention periods the service accepts (days). */
export const LOG_RETENTION_DAYS = [
	1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
	2192, 2557, 2922, 3288, 3653,
] as const;

/** IAM path of every role the platform creates (the deploy role may manage only these). */
export const ROLE_PATH = "/spanishgas/";

export interface FunctionSizing {
	/** Memory in MB (128–10240; vCPUs scale with it: 1769 MB = 1 vCPU). */
	memoryMb?: number;
	/** Timeout in seconds (1–900). */
	timeoutSeconds?: number;
	/** /tmp size in MB (512–10240). */
	ephemeralStorageMb?: number;
}

/** The lake, tables and alert topic a function is wired to. */
export interface RuntimeResources {
	lakeBucketName: pulumi.Input<string>;
	lakeBucketArn: pulumi.Input<string>;
	manifestTableName: pulumi.Input<string>;
	manifestTableArn: pulumi.Input<string>;
	registryTableName: pulumi.Input<string>;
	registryTableArn: pulumi.Input<string>;
	/** Without it the runtime logs alerts instead of publishing them. */
	alertTopicArn?: pulumi.Input<string>;
	/** KMS key of the alert topic, if it is encrypted with a customer key. */
	alertKeyArn?: pulumi.Input<string>;
}

export interface RuntimeFunctionArgs extends FunctionSizing {
	/** The bundled runtime (buildLambdaPackage). */
	package: LambdaPackage;
	/**
	 * Which export of the bundle the callback calls: `handle` (a pipeline
	 * stage, called as `handle(stage, event)`), `trigger` (the batch trigger,
	 * `trigger(event, context)`: the request id keys its idempotent start) or
	 * `reconcile` (the run reconciler, `reconcile(event)`).
	 */
	entry:
		| { kind: "handle"; stage: string }
		| { kind: "trigger" }
		| { kind: "reconcile" };
	resources: RuntimeResources;
	/** What the function may read and write. */
	access: StageAccess;
	/** Statements beyond the data access (e.g. states:StartExecution for the trigger). */
	extraStatements?: pulumi.Input<PolicyStatement[]>;
	/** Environment variables besides the resource names. */
	environment?: Record<string, pulumi.Input<string>>;
	/** Log retention in days (a CloudWatch-accepted value). Default 30. */
	logRetentionDays?: number;
	/** Alarm actions (SNS topic ARNs) for the error alarm. */
	alarmActions?: pulumi.Input<string>[];
	/** Concurrent executions reserved (and the most it may run at once). Default: none reserved. */
	reservedConcurrency?: number;
	tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

function checkRange(
	what: string,
	key: string,
	v: number | undefined,
	min: number,
	max: number,
): void {
	if (v === undefined) return;
	if (!Number.isInteger(v) || v < min || v > max)
		throw new Error(
			`${what}: ${key} must be an integer between ${min} and ${max}, got ${v}`,
		);
}

/**
 * The inline handler. The runtime is required inside the body, so Pulumi
 * serialises only these lines and the two captured strings; the bundle itself
 * travels in the archive (codePathOptions.extraIncludePaths).
 */
function handlerCallback(
	requirePath: string,
	entry: RuntimeFunctionArgs["entry"],
): aws.lambda.Callback<unknown, unknown> {
	if (entry.kind === "trigger")
		return async (event: unknown, context: unknown) => {
			const runtime = require(requirePath);
			return runtime.trigger(event, context);
		};
	if (entry.kind === "reconcile")
		return async (event: unknown) => {
			const runtime = require(requirePath);
			return runtime.reconcile(event);
		};
	const stage = entry.stage;
	return async (event: unknown) => {
		const runtime = require(requirePath);
		return runtime.handle(stage, event);
	};
}

/**
 * A Lambda function running the bundled runtime: an
 * `aws.lambda.CallbackFunction` (nodejs22.x) whose inline callback requires
 * the packaged runtime, its own role limited to `access` (nothing else: no
 * managed policies with `*` resources), its own log group with retention and
 * an alarm on its Errors metric. Base of PipelineStage and of the batch
 * trigger's function.
 */
export class RuntimeFunction extends pulumi.ComponentResource {
	public readonly function: aws.lambda.CallbackFunction<unknown, unknown>;
	public readonly role: aws.iam.Role;
	public readonly rolePolicy: aws.iam.RolePolicy;
	public readonly logGroup: aws.cloudwatch.LogGroup;
	public readonly errorAlarm: aws.cloudwatch.MetricAlarm;
	public readonly arn: pulumi.Output<string>;
	public readonly functionName: pulumi.Output<string>;

	constructor(
		type: string,
		name: string,
		args: RuntimeFunctionArgs,
		opts?: pulumi.ComponentResourceOptions,
	) {
		super(type, name, {}, opts);
		const what = `${type.split(":").pop()} ${name}`;
		checkRange(what, "memoryMb", args.memoryMb, 128, 10240);
		checkRange(what, "timeoutSeconds", args.timeoutSeconds, 1, 900);
		checkRange(what, "ephemeralStorageMb", args.ephemeralStorageMb, 512, 10240);
		checkRange(what, "reservedConcurrency", args.reservedConcurrency, 1, 1000);
		const retention = args.logRetentionDays ?? 30;
		if (!(LOG_RETENTION_DAYS as readonly number[]).includes(retention))
			throw new Error(
				`${what}: logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(", ")}, got ${retention}`,
			);
		const child = { parent: this };
		const r = args.resources;

		this.logGroup = new aws.cloudwatch.LogGroup(
			`${name}-logs`,
			{ retentionInDays: retention, tags: args.tags },
			child,
		);
		this.role = new aws.iam.Role(
			`${name}-role`,
			{
				path: ROLE_PATH,
				assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"),
				tags: args.tags,
			},
			child,
		);
		this.rolePolicy = new aws.iam.RolePolicy(
			`${name}-policy`,
			{
				role: this.role.id,
				policy: pulumi
					.all([
						r.lakeBucketArn,
						r.manifestTableArn,
						r.registryTableArn,
						r.alertTopicArn,
						r.alertKeyArn,
						this.logGroup.arn,
						pulumi.output(args.extraStatements ?? []),
					])
					.apply(([lake, manifest, registry, topic, key, logArn, extra]) =>
						JSON.stringify(
							policyDocument([
								{
									Sid: "OwnLogs",
									Effect: "Allow",
									Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
									Resource: `${logArn}:*`,
								},
								...accessStatements(args.access, {
									lakeBucketArn: lake,
									manifestTableArn: manifest,
									registryTableArn: registry,
									alertTopicArn: topic,
									alertKeyArn: key,
								}),
								...(extra as PolicyStatement[]),
							]),
						),
					),
			},
			child,
		);

		const environment: Record<string, pulumi.Input<string>> = {
			NODE_OPTIONS: STAGE_NODE_OPTIONS,
			[PLATFORM_ENV.lakeBucket]: r.lakeBucketName,
			[PLATFORM_ENV.stateTable]: r.manifestTableName,
			[PLATFORM_ENV.registryTable]: r.registryTableName,
			...(r.alertTopicArn
				? { [PLATFORM_ENV.alertTopicArn]: r.alertTopicArn }
				: {}),
			...args.environment,
		};
		this.function = new aws.lambda.CallbackFunction(
			name,
			{
				callback: handlerCallback(args.package.requirePath, args.entry),
				runtime: aws.lambda.Runtime.NodeJS22dX,
				architectures: [args.package.architecture],
				role: this.role,
				memorySize: args.memoryMb ?? 1024,
				timeout: args.timeoutSeconds ?? 300,
				ephemeralStorage: { size: args.ephemeralStorageMb ?? 512 },
				...(args.reservedConcurrency !== undefined
					? { reservedConcurrentExecutions: args.reservedConcurrency }
					: {}),
				environment: { variables: environment },
				loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name },
				// A copy per function: CallbackFunction appends to the exclusion list.
				codePathOptions: {
					extraIncludePaths: [
						...(args.package.codePathOptions.extraIncludePaths ?? []),
					],
					extraIncludePackages: [
						...(args.package.codePathOptions.extraIncludePackages ?? []),
					],
					extraExcludePackages: [
						...(args.package.codePathOptions.extraExcludePackages ?? []),
					],
				},
				tags: args.tags,
			},
			{ ...child, dependsOn: [this.rolePolicy] },
		);
		this.arn = this.function.arn;
		this.functionName = this.function.name;

		this.errorAlarm = new aws.cloudwatch.MetricAlarm(
			`${name}-errors`,
			{
				alarmDescription: pulumi.interpolate`Function ${this.function.name} (${name}) failed: see its log group ${this.logGroup.name}`,
				namespace: "AWS/Lambda",
				metricName: "Errors",
				dimensions: { FunctionName: this.function.name },
				statistic: "Sum",
				period: 300,
				evaluationPeriods: 1,
				threshold: 1,
				comparisonOperator: "GreaterThanOrEqualToThreshold",
				treatMissingData: "notBreaching",
				alarmActions: args.alarmActions ?? [],
				tags: args.tags,
			},
			child,
		);
		this.registerOutputs({
			arn: this.arn,
			functionName: this.functionName,
			roleArn: this.role.arn,
			logGroupName: this.logGroup.name,
		});
	}
}
