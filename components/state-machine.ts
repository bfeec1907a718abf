import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { REPORT_TASK_ENV } from "../runtime/contract.ts";
import {
	buildDefinition,
	type DefinitionOptions,
	type EcsCapableStage,
	type EcsStageTarget,
	STAGE_IO_PREFIX,
} from "../runtime/pipeline/definition.ts";
import {
	assumeRolePolicy,
	DISTRIBUTED_MAP_ACCESS,
	LAMBDA_STAGES,
	type LambdaStage,
	type PolicyStatement,
	policyDocument,
} from "./access.ts";
import { LOG_RETENTION_DAYS, ROLE_PATH } from "./runtime-function.ts";

/** How Step Functions starts the report build (the PublishReport state). */
export interface ReportTaskTarget {
	clusterArn: pulumi.Input<string>;
	/** Task definition ARN (with revision). */
	taskDefinitionArn: pulumi.Input<string>;
	/** Name of the container whose environment gets RUN_ID. */
	containerName: pulumi.Input<string>;
	subnetIds: pulumi.Input<pulumi.Input<string>[]>;
	securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
	/** Roles the task runs with (the state machine must be allowed to pass them). */
	taskRoleArn: pulumi.Input<string>;
	executionRoleArn: pulumi.Input<string>;
	/** A public IP (only for subnets routed to an internet gateway). Default false: private subnets with VPC endpoints. */
	assignPublicIp?: boolean;
}

/** How Step Functions starts the stages that run as ECS tasks (components/stage-task.ts). */
export interface StageTasksTarget {
	clusterArn: pulumi.Input<string>;
	subnetIds: pulumi.Input<pulumi.Input<string>[]>;
	securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
	/** The execution role every stage task definition names. */
	executionRoleArn: pulumi.Input<string>;
	/** Each stage's task definition (ARN with revision), task role and time limit. */
	stages: Partial<
		Record<
			EcsCapableStage,
			{
				taskDefinitionArn: pulumi.Input<string>;
				taskRoleArn: pulumi.Input<string>;
				timeoutSeconds?: number;
			}
		>
	>;
	/** Name of the stage container (components/stage-task.ts STAGE_CONTAINER). */
	containerName: string;
}

type Resolved<T> = { [K in keyof T]: pulumi.Unwrap<T[K]> };

/** The runTask.sync parameters of the PublishReport state: the run's id goes to the container as RUN_ID. */
export function reportTaskParameters(
	t: Resolved<ReportTaskTarget>,
): Record<string, unknown> {
	return {
		Cluster: t.clusterArn,
		TaskDefinition: t.taskDefinitionArn,
		LaunchType: "FARGATE",
		NetworkConfiguration: {
			AwsvpcConfiguration: {
				Subnets: t.subnetIds,
				SecurityGroups: t.securityGroupIds,
				AssignPublicIp: t.assignPublicIp === true ? "ENABLED" : "DISABLED",
			},
		},
		Overrides: {
			ContainerOverrides: [
				{
					Name: t.containerName,
					Environment: [
						{ Name: REPORT_TASK_ENV.runId, "Value.$": "$.runId" },
						{ Name: REPORT_TASK_ENV.batchId, "Value.$": "$.batchId" },
					],
				},
			],
		},
	};
}

/** The runTask.sync parameters (besides the overrides) of a stage run as an ECS task. */
export function stageTaskParameters(
	t: {
		clusterArn: string;
		subnetIds: string[];
		securityGroupIds: string[];
	},
	taskDefinitionArn: string,
): Record<string, unknown> {
	return {
		Cluster: t.clusterArn,
		TaskDefinition: taskDefinitionArn,
		LaunchType: "FARGATE",
		NetworkConfiguration: {
			AwsvpcConfiguration: {
				Subnets: t.subnetIds,
				SecurityGroups: t.securityGroupIds,
				AssignPublicIp: "DISABLED",
			},
		},
	};
}

/** Lake key patterns of the ECS stages' input (written by the state machine) and output (read by it). */
export function stageIoPatterns(stages: readonly string[]): {
	inputs: string[];
	outputs: string[];
} {
	const io = (s: string, f: string) =>
		`runs/*/${STAGE_IO_PREFIX}/${s}/*/${f}.json`;
	return {
		inputs: stages.map((s) => io(s, "input")),
		outputs: stages.map((s) => io(s, "output")),
	};
}

/** ARN of the Step Functions integration that runs an ECS task and waits for it. */
export const ECS_RUN_TASK_SYNC = "arn:aws:states:::ecs:runTask.sync";

export interface StateMachineArgs {
	/** ARN of the Lambda function of every Lambda stage. */
	stageFunctionArns: Record<LambdaStage, pulumi.Input<string>>;
	/** The report build task run by the PublishReport state. */
	report: ReportTaskTarget;
	/** The stages that run as ECS tasks instead of their functions (none by default). */
	stageTasks?: StageTasksTarget;
	/** The data lake (name and ARN; the Distributed Map reads and writes it). */
	lakeBucketName: pulumi.Input<string>;
	lakeBucketArn: pulumi.Input<string>;
	/** Parallel shard iterations. Default 2. */
	maxConcurrency?: number;
	/** Seconds before the first retry of a transient error. Default 2. */
	retryIntervalSeconds?: number;
	/** INLINE (default) or DISTRIBUTED (shard list and results in S3, beyond ≈ 1,500 shards). */
	mapMode?: "INLINE" | "DISTRIBUTED";
	/** The experiment ladder as a parallel branch beside Train (default true); false leaves it out. */
	ladder?: boolean;
	/** State machine name (must be known up front for the Distributed Map's self-permission). Default `spanishgas-<stack>`. */
	name?: string;
	/** Execution log retention in days. Default 30. */
	logRetentionDays?: number;
	/** Log level of execution history in CloudWatch Logs. Default ERROR. */
	logLevel?: "ALL" | "ERROR" | "FATAL";
	/** Alarm actions (SNS topic ARNs) of the failed-executions alarm. */
	alarmActions?: pulumi.Input<string>[];
	tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * The pipeline as an AWS Step Functions state machine: the runtime's one
 * definition (runtime/pipeline/definition.ts buildDefinition) with the real
 * ARNs of the stage functions and the report build task, execution logging
 * to its own log group, a role that may invoke only those functions and run
 * only that task, and an alarm on failed executions.
 */
export class StateMachine extends pulumi.ComponentResource {
	public readonly stateMachine: aws.sfn.StateMachine;
	public readonly role: aws.iam.Role;
	public readonly rolePolicy: aws.iam.RolePolicy;
	public readonly logGroup: aws.cloudwatch.LogGroup;
	public readonly failedAlarm: aws.cloudwatch.MetricAlarm;
	public readonly timedOutAlarm: aws.cloudwatch.MetricAlarm;
	public readonly arn: pulumi.Output<string>;
	public readonly name: pulumi.Output<string>;
	/** The deployed definition (JSON text). */
	public readonly definition: pulumi.Output<string>;

	constructor(
		name: string,
		args: StateMachineArgs,
		opts?: pulumi.ComponentResourceOptions,
	) {
		super("spanishgas:pipeline:StateMachine", name, {}, opts);
		const what = `StateMachine ${name}`;
		for (const s of LAMBDA_STAGES)
			if (!args.stageFunctionArns[s])
				throw new Error(`${what}: stageFunctionArns.${s} is missing`);
		const maxConcurrency = args.maxConcurrency ?? 2;
		if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1)
			throw new Error(
				`${what}: maxConcurrency must be a positive integer, got ${maxConcurrency}`,
			);
		const mapMode = args.mapMode ?? "INLINE";
		if (mapMode !== "INLINE" && mapMode !== "DISTRIBUTED")
			throw new Error(
				`${what}: mapMode must be INLINE or DISTRIBUTED, got ${mapMode}`,
			);
		if (mapMode === "INLINE" && maxConcurrency > 40)
			throw new Error(
				`${what}: maxConcurrency above 40 needs mapMode DISTRIBUTED (an inline Map runs at most 40 iterations at once), got ${maxConcurrency}`,
			);
		const retention = args.logRetentionDays ?? 30;
		if (!(LOG_RETENTION_DAYS as readonly number[]).includes(retention))
			throw new Error(
				`${what}: logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(", ")}, got ${retention}`,
			);
		const machineName = args.name ?? `spanishgas-${pulumi.getStack()}`;
		if (!/^[A-Za-z0-9_-]{1,80}$/.test(machineName))
			throw new Error(
				`${what}: name must be 1–80 letters, digits, - or _, got ${machineName}`,
			);
		const child = { parent: this };
		const region = aws.getRegionOutput({}, child).region;
		const account = aws.getCallerIdentityOutput({}, child).accountId;
		const machineArn = pulumi.interpolate`arn:aws:states:${region}:${account}:stateMachine:${machineName}`;

		this.logGroup = new aws.cloudwatch.LogGroup(
			`${name}-logs`,
			{
				name: `/aws/vendedlogs/states/${machineName}`,
				retentionInDays: retention,
				tags: args.tags,
			},
			child,
		);
		this.role = new aws.iam.Role(
			`${name}-role`,
			{
				path: ROLE_PATH,
				assumeRolePolicy: assumeRolePolicy("states.amazonaws.com"),
				tags: args.tags,
			},
			child,
		);
		const report = pulumi.output(args.report);
		const stageTasks = pulumi.output(
			args.stageTasks ?? {
				clusterArn: "",
				subnetIds: [],
				securityGroupIds: [],
				executionRoleArn: "",
				stages: {},
				containerName: "",
			},
		);
		const ecsStages = Object.keys(
			args.stageTasks?.stages ?? {},
		) as EcsCapableStage[];
		// The functions the definition invokes: an ECS stage's function is not one of them.
		const invoked = LAMBDA_STAGES.filter(
			(s) => !(ecsStages as readonly string[]).includes(s),
		);
		const clusterName = report.clusterArn.apply(
			(arn) => arn.split("/").pop() ?? arn,
		);
		this.rolePolicy = new aws.iam.RolePolicy(
			`${name}-policy`,
			{
				role: this.role.id,
				policy: pulumi
					.all([
						pulumi.output(args.stageFunctionArns),
						report,
						clusterName,
						region,
						account,
						machineArn,
						args.lakeBucketArn,
						stageTasks,
					])
					.apply(([fns, r, cluster, reg, acct, self, lake, st]) => {
						const arns = invoked.map((s) => fns[s]);
						const stageTaskDefs = ecsStages.map(
							(s) => st.stages[s]?.taskDefinitionArn as string,
						);
						const stageRoles = [
							...ecsStages.map((s) => st.stages[s]?.taskRoleArn as string),
							...(ecsStages.length ? [st.executionRoleArn] : []),
						];
						const statements: PolicyStatement[] = [
							{
								Sid: "InvokeStageFunctions",
								Effect: "Allow",
								Action: "lambda:InvokeFunction",
								Resource: [...arns, ...arns.map((a) => `${a}:*`)],
							},
							{
								Sid: "RunReportTask",
								Effect: "Allow",
								Action: "ecs:RunTask",
								Resource: r.taskDefinitionArn,
								Condition: { ArnEquals: { "ecs:cluster": r.clusterArn } },
							},
							...(ecsStages.length
								? [
										{
											Sid: "RunStageTasks",
											Effect: "Allow" as const,
											Action: "ecs:RunTask",
											Resource: stageTaskDefs,
											Condition: {
												ArnEquals: { "ecs:cluster": st.clusterArn },
											},
										},
									]
								: []),
							{
								Sid: "WatchReportTask",
								Effect: "Allow",
								Action: ["ecs:StopTask", "ecs:DescribeTasks"],
								Resource: `arn:aws:ecs:${reg}:${acct}:task/${cluster}/*`,
							},
							{
								Sid: "RunTaskSyncEvents",
								Effect: "Allow",
								Action: [
									"events:PutTargets",
									"events:PutRule",
									"events:DescribeRule",
								],
								Resource: `arn:aws:events:${reg}:${acct}:rule/StepFunctionsGetEventsForECSTaskRule`,
							},
							{
								Sid: "PassReportTaskRoles",
								Effect: "Allow",
								Action: "iam:PassRole",
								Resource: [r.taskRoleArn, r.executionRoleArn],
								Condition: {
									StringEquals: {
										"iam:PassedToService": "ecs-tasks.amazonaws.com",
									},
								},
							},
							...(ecsStages.length
								? [
										{
											Sid: "PassStageTaskRoles",
											Effect: "Allow" as const,
											Action: "iam:PassRole",
											Resource: stageRoles,
											Condition: {
												StringEquals: {
													"iam:PassedToService": "ecs-tasks.amazonaws.com",
												},
											},
										},
										{
											// Each ECS stage's input goes to the lake (an environment override holds 8 KB) …
											Sid: "StageTaskInputs",
											Effect: "Allow" as const,
											Action: "s3:PutObject",
											Resource: stageIoPatterns(ecsStages).inputs.map(
												(p) => `${lake}/${p}`,
											),
										},
										{
											// … and its result comes back from it (runTask.sync returns no output).
											Sid: "StageTaskOutputs",
											Effect: "Allow" as const,
											Action: "s3:GetObject",
											Resource: stageIoPatterns(ecsStages).outputs.map(
												(p) => `${lake}/${p}`,
											),
										},
									]
								: []),
							{
								// Vended-log delivery has no resource-level permissions (AWS documents "*").
								Sid: "ExecutionLogDelivery",
								Effect: "Allow",
								Action: [
									"logs:CreateLogDelivery",
									"logs:GetLogDelivery",
									"logs:UpdateLogDelivery",
									"logs:DeleteLogDelivery",
									"logs:ListLogDeliveries",
									"logs:PutResourcePolicy",
									"logs:DescribeResourcePolicies",
									"logs:DescribeLogGroups",
								],
								Resource: "*",
							},
						];
						if (mapMode === "DISTRIBUTED")
							statements.push(
								{
									Sid: "DistributedMapChildren",
									Effect: "Allow",
									Action: "states:StartExecution",
									Resource: self,
								},
								{
									Sid: "DistributedMapRuns",
									Effect: "Allow",
									Action: ["states:DescribeExecution", "states:StopExecution"],
									Resource: `arn:aws:states:${reg}:${acct}:execution:${machineName}/*`,
								},
								{
									Sid: "DistributedMapItems",
									Effect: "Allow",
									Action: "s3:GetObject",
									Resource: DISTRIBUTED_MAP_ACCESS.reads.map(
										(p) => `${lake}/${p}`,
									),
								},
								{
									Sid: "DistributedMapResults",
									Effect: "Allow",
									Action: [
										"s3:PutObject",
										"s3:GetObject",
										"s3:ListMultipartUploadParts",
										"s3:AbortMultipartUpload",
									],
									Resource: DISTRIBUTED_MAP_ACCESS.writes.map(
										(p) => `${lake}/${p}`,
									),
								},
							);
						return JSON.stringify(policyDocument(statements));
					}),
			},
			child,
		);

		this.definition = pulumi
			.all([
				pulumi.output(args.stageFunctionArns),
				report,
				args.lakeBucketName,
				stageTasks,
			])
			.apply(([fns, r, lakeBucket, st]) => {
				const ecs: Partial<Record<EcsCapableStage, EcsStageTarget>> = {};
				for (const s of ecsStages) {
					const t = st.stages[s];
					if (!t) continue;
					ecs[s] = {
						parameters: stageTaskParameters(st, t.taskDefinitionArn),
						containerName: st.containerName,
						timeoutSeconds: t.timeoutSeconds,
					};
				}
				const options: DefinitionOptions = {
					resourceFor: (stage) => {
						if (stage === "PublishReport") return ECS_RUN_TASK_SYNC;
						const arn = fns[stage];
						if (!arn) throw new Error(`${what}: no function for ${stage}`);
						return arn;
					},
					maxConcurrency,
					retryIntervalSeconds: args.retryIntervalSeconds,
					mapMode,
					lakeBucket,
					without: args.ladder === false ? ["Ladder"] : [],
					publishReport: {
						resource: ECS_RUN_TASK_SYNC,
						parameters: reportTaskParameters(r as Resolved<ReportTaskTarget>),
					},
					...(ecsStages.length ? { ecsStages: ecs } : {}),
				};
				return JSON.stringify(buildDefinition(options));
			});

		this.stateMachine = new aws.sfn.StateMachine(
			name,
			{
				name: machineName,
				type: "STANDARD",
				roleArn: this.role.arn,
				definition: this.definition,
				loggingConfiguration: {
					level: args.logLevel ?? "ERROR",
					includeExecutionData: true,
					logDestination: pulumi.interpolate`${this.logGroup.arn}:*`,
				},
				tags: args.tags,
			},
			{ ...child, dependsOn: [this.rolePolicy] },
		);
		this.arn = this.stateMachine.arn;
		this.name = this.stateMachine.name;

		const executionAlarm = (id: string, metricName: string, what: string) =>
			new aws.cloudwatch.MetricAlarm(
				`${name}-${id}`,
				{
					alarmDescription: `An execution of ${machineName} ${what}: see the run manifest and the execution history`,
					namespace: "AWS/States",
					metricName,
					dimensions: { StateMachineArn: this.stateMachine.arn },
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
		this.failedAlarm = executionAlarm("failed", "ExecutionsFailed", "failed");
		this.timedOutAlarm = executionAlarm(
			"timed-out",
			"ExecutionsTimedOut",
			"timed out",
		);
		this.registerOutputs({ arn: this.arn, name: this.name });
	}
}
