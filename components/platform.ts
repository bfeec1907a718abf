import * as pulumi from "@pulumi/pulumi";
import { PLATFORM_ENV, RUN_DEFAULTS, RUN_ENV } from "../runtime/contract.ts";
import type { EcsCapableStage } from "../runtime/pipeline/definition.ts";
import { recordOf } from "../runtime/pipeline/stages/index.ts";
import {
	LAMBDA_STAGES,
	type LambdaStage,
	type PolicyStatement,
} from "./access.ts";
import { Alerts } from "./alerts.ts";
import { BatchTrigger } from "./batch-trigger.ts";
import { DataLake } from "./data-lake.ts";
import { GithubDeployRole } from "./github-deploy-role.ts";
import { buildLambdaPackage, type LambdaPackage } from "./lambda-package.ts";
import { LOG_PREFIXES, LogBucket } from "./log-bucket.ts";
import {
	WorkloadBoundary,
	withPermissionsBoundary,
} from "./permissions-boundary.ts";
import { PipelineStage } from "./pipeline-stage.ts";
import { PrivateNetwork } from "./private-network.ts";
import { ReportBuild } from "./report-build.ts";
import { ReportSite } from "./report-site.ts";
import { RetrainSchedule } from "./retrain-schedule.ts";
import { RunReconciler } from "./run-reconciler.ts";
import type { FunctionSizing, RuntimeResources } from "./runtime-function.ts";
import {
	STAGE_CONTAINER,
	type StageTaskSizing,
	StageTasks,
} from "./stage-task.ts";
import { StateMachine } from "./state-machine.ts";
import { ManifestTable, ModelRegistry } from "./state-tables.ts";
import { TaskImage } from "./task-image.ts";

/**
 * Where a stage runs (docs/scaling.md): its Lambda function (the default) or
 * an ECS/Fargate task of the platform's image, optionally sized.
 */
export type StageRunner =
	| "lambda"
	| "fargate"
	| ({ runner: "fargate" } & StageTaskSizing)
	| { runner: "lambda" };

/** The stages a runner choice puts on Fargate, with their sizes. */
export function fargateStages(
	runners: Partial<Record<EcsCapableStage, StageRunner>> = {},
): Partial<Record<EcsCapableStage, StageTaskSizing>> {
	const out: Partial<Record<EcsCapableStage, StageTaskSizing>> = {};
	for (const [stage, r] of Object.entries(runners) as [
		EcsCapableStage,
		StageRunner,
	][]) {
		if (r === "fargate") out[stage] = {};
		else if (typeof r === "object" && r.runner === "fargate") {
			const { runner: _, ...sizing } = r;
			out[stage] = sizing;
		}
	}
	return out;
}

export interface PlatformArgs {
	/** E-mail address subscribed to the alert topic. */
	alertEmail?: string;
	/** Run settings the trigger starts executions with (the stage functions' SHARD_COUNT, PROMOTION_GATE, SEED). */
	run?: {
		shardCount?: number;
		promotionGate?: number;
		promotionMargin?: number;
		seed?: number;
	};
	/** Parallel shard iterations of the bronze Map. Default 2. */
	maxConcurrency?: number;
	/** INLINE (default) or DISTRIBUTED bronze Map. */
	mapMode?: "INLINE" | "DISTRIBUTED";
	/** Run the experiment ladder beside Train in training runs (default true; runtime/pipeline/stages/Ladder.ts). */
	ladder?: boolean;
	/** Weekly retrain schedule. Default `cron(0 6 ? * MON *)` UTC, enabled. */
	retrain?: { expression?: string; timezone?: string; enabled?: boolean };
	/** Log retention (days) of every function, the state machine and the report task. Default 30. */
	logRetentionDays?: number;
	/** Execution history level in CloudWatch Logs. Default ERROR. */
	stateMachineLogLevel?: "ALL" | "ERROR" | "FATAL";
	/** Lambda sizes: `defaults` for all stages, then per stage; `trigger` for the batch trigger. */
	lambda?: {
		defaults?: FunctionSizing;
		stages?: Partial<Record<LambdaStage, FunctionSizing>>;
		trigger?: FunctionSizing & { reservedConcurrency?: number };
	};
	/** The report site (sign-in, rate limit, domain) and its build task. */
	report?: {
		cpu?: number;
		memoryMb?: number;
		defaultTtlSeconds?: number;
		/** Custom domain and its us-east-1 ACM certificate (TLS 1.2+). */
		domain?: { name: string; certificateArn: string };
		/** Requests per 5 minutes per IP before the WAF blocks. Default 300. */
		rateLimit?: number;
		/** Minutes a sign-in lasts. Default 60. */
		sessionMinutes?: number;
		/** Prefix of the Cognito sign-in domain. Default `spanishgas-report-<stack>-<account>`. */
		authDomainPrefix?: string;
	};
	/** The data lake. */
	lake?: {
		/** Days raw uploads (personal data) are kept. Default 90 (DataLake RAW_RETENTION_DAYS). */
		rawRetentionDays?: number;
	};
	/**
	 * GitHub OIDC deploy roles for this repository (omit to manage CI access
	 * elsewhere); `environment` is the GitHub environment whose jobs deploy
	 * this stack (default: the stack name).
	 */
	github?: {
		repository: string;
		environment?: string;
		oidcProviderArn?: string;
	};
	/** Stages that run as Fargate tasks instead of Lambda functions (default: every stage on Lambda). */
	stageRunners?: Partial<Record<EcsCapableStage, StageRunner>>;
	/** Keep the lake on stack deletion and protect the tables from deletion (prod). Default false. */
	protect?: boolean;
	/** Tags on every resource that takes them. */
	tags?: Record<string, string>;
	/** The bundled runtime. Default: buildLambdaPackage() (bundles runtime/pipeline/lambda.ts now). */
	package?: LambdaPackage;
}

/**
 * The whole SpanishGas churn platform on AWS: data lake, run manifest and
 * model registry tables, alerts, one PipelineStage per Lambda Task state,
 * the report build task and report site, the state machine that runs them,
 * the S3 batch trigger, the weekly retrain schedule, the log bucket and
 * (optionally) the GitHub OIDC roles for CI/CD. Every role it declares
 * carries the workload permissions boundary (docs/security.md).
 */
export class Platform extends pulumi.ComponentResource {
	public readonly boundary: WorkloadBoundary;
	public readonly logs: LogBucket;
	public readonly lake: DataLake;
	public readonly manifest: ManifestTable;
	public readonly registry: ModelRegistry;
	public readonly alerts: Alerts;
	public readonly stages: Readonly<Record<LambdaStage, PipelineStage>>;
	public readonly reportSite: ReportSite;
	public readonly reportBuild: ReportBuild;
	/** The image and private network of every Fargate task (report build, stage tasks). */
	public readonly taskImage: TaskImage;
	public readonly network: PrivateNetwork;
	/** The stages that run as Fargate tasks (absent when all run on Lambda). */
	public readonly stageTasks?: StageTasks;
	public readonly stateMachine: StateMachine;
	public readonly trigger: BatchTrigger;
	/** Closes runs whose execution failed, timed out or was aborted, and sweeps stale claims. */
	public readonly reconciler: RunReconciler;
	public readonly retrain: RetrainSchedule;
	public readonly github?: GithubDeployRole;
	public readonly package: LambdaPackage;

	public readonly lakeBucketName: pulumi.Output<string>;
	public readonly stateMachineArn: pulumi.Output<string>;
	public readonly reportUrl: pulumi.Output<string>;
	public readonly alertTopicArn: pulumi.Output<string>;
	public readonly triggerFunctionName: pulumi.Output<string>;
	/** How to upload a batch and what happens then (a stack output). */
	public readonly uploadInstructions: pulumi.Output<string>;

	constructor(
		name: string,
		args: PlatformArgs,
		opts?: pulumi.ComponentResourceOptions,
	) {
		super("spanishgas:index:Platform", name, {}, opts);
		const tags = args.tags;
		this.boundary = new WorkloadBoundary(
			`${name}-boundary`,
			{ tags },
			{ parent: this },
		);
		// Every role below gets the boundary; the CI roles carry their own.
		const child = {
			parent: this,
			transformations: [
				withPermissionsBoundary(
					this.boundary.arn,
					(n) => n.endsWith("-github-deploy") || n.endsWith("-github-preview"),
				),
			],
		};
		const stack = pulumi.getStack();
		const retention = args.logRetentionDays ?? 30;
		this.package = args.package ?? buildLambdaPackage();

		this.logs = new LogBucket(
			`${name}-logs`,
			{ retainOnDelete: args.protect, tags },
			child,
		);
		this.lake = new DataLake(
			`${name}-lake`,
			{
				retainOnDelete: args.protect,
				rawRetentionDays: args.lake?.rawRetentionDays,
				accessLogs: { bucket: this.logs.bucketName, prefix: LOG_PREFIXES.lake },
				tags,
			},
			child,
		);
		this.manifest = new ManifestTable(
			`${name}-manifest`,
			{ deletionProtection: args.protect, tags },
			child,
		);
		this.registry = new ModelRegistry(
			`${name}-registry`,
			{ deletionProtection: args.protect, tags },
			child,
		);
		this.alerts = new Alerts(
			`${name}-alerts`,
			{ email: args.alertEmail, metricStage: stack, tags },
			child,
		);
		const resources: RuntimeResources = {
			lakeBucketName: this.lake.bucketName,
			lakeBucketArn: this.lake.arn,
			manifestTableName: this.manifest.tableName,
			manifestTableArn: this.manifest.arn,
			registryTableName: this.registry.tableName,
			registryTableArn: this.registry.arn,
			alertTopicArn: this.alerts.topicArn,
			alertKeyArn: this.alerts.keyArn,
		};
		const run = args.run ?? {};
		const environment: Record<string, string> = {
			[PLATFORM_ENV.stackName]: stack,
			[RUN_ENV.shardCount]: String(run.shardCount ?? RUN_DEFAULTS.shardCount),
			[RUN_ENV.gate]: String(run.promotionGate ?? RUN_DEFAULTS.gate),
			[RUN_ENV.promotionMargin]: String(
				run.promotionMargin ?? RUN_DEFAULTS.promotionMargin,
			),
			[RUN_ENV.seed]: String(run.seed ?? RUN_DEFAULTS.seed),
		};
		const alarmActions = [this.alerts.topicArn];

		this.reportSite = new ReportSite(
			`${name}-report`,
			{
				defaultTtlSeconds: args.report?.defaultTtlSeconds,
				domain: args.report?.domain,
				rateLimit: args.report?.rateLimit,
				sessionMinutes: args.report?.sessionMinutes,
				authDomainPrefix: args.report?.authDomainPrefix,
				logs: {
					bucketName: this.logs.bucketName,
					bucketArn: this.logs.arn,
					s3Prefix: LOG_PREFIXES.site,
				},
				retainOnDelete: args.protect,
				tags,
			},
			child,
		);
		// MarkSucceeded makes a run's site live in the site bucket; MarkFailed
		// switches it back after a MarkSucceeded that failed part-way
		// (docs/run-lifecycle.md, "Promotion and publication").
		const siteSwitch = {
			environment: {
				...environment,
				[PLATFORM_ENV.siteBucket]: this.reportSite.bucketName,
			},
			extraStatements: pulumi
				.output(this.reportSite.bucketArn)
				.apply((arn): PolicyStatement[] => [
					{
						Sid: "SiteList",
						Effect: "Allow",
						Action: "s3:ListBucket",
						Resource: arn,
					},
					{
						Sid: "SiteSwitch",
						Effect: "Allow",
						Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
						Resource: `${arn}/*`,
					},
				]),
		};

		const stages = recordOf(
			LAMBDA_STAGES,
			LAMBDA_STAGES.map(
				(stage) =>
					[
						stage,
						new PipelineStage(
							`${name}-${stage}`,
							{
								stage,
								package: this.package,
								resources,
								environment,
								logRetentionDays: retention,
								alarmActions,
								tags,
								...args.lambda?.defaults,
								...args.lambda?.stages?.[stage],
								...(stage === "MarkSucceeded" || stage === "MarkFailed"
									? siteSwitch
									: {}),
							},
							child,
						),
					] as const,
			),
		);
		this.stages = stages;

		this.logs.authorize({
			s3: [
				{ bucketArn: this.lake.arn, prefix: LOG_PREFIXES.lake },
				{ bucketArn: this.reportSite.bucketArn, prefix: LOG_PREFIXES.site },
			],
			cloudfront: true,
		});
		this.taskImage = new TaskImage(
			`${name}-task-image`,
			{ forceDeleteRepository: !args.protect, tags },
			child,
		);
		this.network = new PrivateNetwork(`${name}-network`, { tags }, child);
		this.reportBuild = new ReportBuild(
			`${name}-report-build`,
			{
				image: this.taskImage,
				network: this.network,
				lakeBucketName: this.lake.bucketName,
				lakeBucketArn: this.lake.arn,
				siteBucketName: this.reportSite.bucketName,
				siteBucketArn: this.reportSite.bucketArn,
				manifestTableName: this.manifest.tableName,
				manifestTableArn: this.manifest.arn,
				registryTableName: this.registry.tableName,
				registryTableArn: this.registry.arn,
				cpu: args.report?.cpu,
				memoryMb: args.report?.memoryMb,
				logRetentionDays: retention,
				tags,
			},
			child,
		);
		const onFargate = fargateStages(args.stageRunners);
		if (Object.keys(onFargate).length > 0)
			this.stageTasks = new StageTasks(
				`${name}-stage-tasks`,
				{
					stages: onFargate,
					image: this.taskImage,
					resources,
					environment,
					logRetentionDays: retention,
					tags,
				},
				child,
			);
		const stageTasks = this.stageTasks;
		this.stateMachine = new StateMachine(
			`${name}-pipeline`,
			{
				name: `spanishgas-${stack}`,
				stageFunctionArns: recordOf(
					LAMBDA_STAGES,
					LAMBDA_STAGES.map((s) => [s, stages[s].arn] as const),
				),
				report: this.reportBuild.target,
				stageTasks: stageTasks && {
					clusterArn: this.reportBuild.cluster.arn,
					subnetIds: this.network.subnetIds,
					securityGroupIds: this.network.securityGroupIds,
					executionRoleArn: stageTasks.executionRole.arn,
					stages: stageTasks.targets,
					containerName: STAGE_CONTAINER,
				},
				lakeBucketName: this.lake.bucketName,
				lakeBucketArn: this.lake.arn,
				maxConcurrency: args.maxConcurrency,
				mapMode: args.mapMode,
				ladder: args.ladder,
				logRetentionDays: retention,
				logLevel: args.stateMachineLogLevel,
				alarmActions,
				tags,
			},
			child,
		);
		this.trigger = new BatchTrigger(
			`${name}-trigger`,
			{
				package: this.package,
				resources,
				stateMachineArn: this.stateMachine.arn,
				environment,
				logRetentionDays: retention,
				alarmActions,
				tags,
				...args.lambda?.trigger,
			},
			child,
		);
		this.reconciler = new RunReconciler(
			`${name}-reconciler`,
			{
				package: this.package,
				resources,
				stateMachineArn: this.stateMachine.arn,
				environment: { STACK_NAME: stack },
				logRetentionDays: retention,
				alarmActions,
				tags,
			},
			child,
		);
		this.retrain = new RetrainSchedule(
			`${name}-retrain`,
			{
				triggerFunctionArn: this.trigger.functionArn,
				expression: args.retrain?.expression,
				timezone: args.retrain?.timezone,
				enabled: args.retrain?.enabled,
				tags,
			},
			child,
		);
		if (args.github)
			this.github = new GithubDeployRole(
				`${name}-github`,
				{
					repository: args.github.repository,
					environment: args.github.environment,
					workloadBoundaryArn: this.boundary.arn,
					existingProviderArn: args.github.oidcProviderArn,
					tags,
				},
				child,
			);

		this.lakeBucketName = this.lake.bucketName;
		this.stateMachineArn = this.stateMachine.arn;
		this.reportUrl = this.reportSite.url;
		this.alertTopicArn = this.alerts.topicArn;
		this.triggerFunctionName = this.trigger.functionName;
		this.uploadInstructions = pulumi.interpolate`Upload a batch under s3://${this.lake.bucketName}/raw/<batch_id>/: the six small datasets (churn_label.csv, customer_attributes.csv, customer_contracts.csv, customer_interactions.json, price_history.csv, costs_by_province_month.csv; .gz accepted) and consumption_hourly_2024.parquet (or a folder of Parquet parts), then the batch manifest last: \`npm run batch:manifest -- data/raw/<batch_id>\`, \`aws s3 sync data/raw/<batch_id>/ s3://${this.lake.bucketName}/raw/<batch_id>/ --exclude _manifest.json\`, \`aws s3 cp data/raw/<batch_id>/_manifest.json s3://${this.lake.bucketName}/raw/<batch_id>/_manifest.json\` (docs/batch-manifest.md). The manifest's upload starts one execution of ${this.stateMachine.name} once every file it lists is there; the report is published at ${this.reportSite.url} when the run succeeds.`;
		this.registerOutputs({
			lakeBucketName: this.lakeBucketName,
			stateMachineArn: this.stateMachineArn,
			reportUrl: this.reportUrl,
			alertTopicArn: this.alertTopicArn,
			triggerFunctionName: this.triggerFunctionName,
		});
	}
}
