import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PLATFORM_ENV, TASK_ENV } from "../runtime/contract.ts";
import {
	ECS_CAPABLE_STAGES,
	type EcsCapableStage,
	STAGE_IO_PREFIX,
} from "../runtime/pipeline/definition.ts";
import { STAGE_NODE_OPTIONS } from "../runtime/pipeline/node-options.ts";
import { STAGE_TASK_SIZING as TASK_SIZING } from "../runtime/pipeline/stages/index.ts";
import {
	accessStatements,
	assumeRolePolicy,
	policyDocument,
	STAGE_ACCESS,
	type StageAccess,
} from "./access.ts";
import { checkFargateSize, executionRole } from "./fargate.ts";
import {
	LOG_RETENTION_DAYS,
	ROLE_PATH,
	type RuntimeResources,
} from "./runtime-function.ts";

/** Size and time limit of a stage task. */
export interface StageTaskSizing {
	/** Fargate CPU units (1024–16384). */
	cpu?: number;
	/** Memory in MB (a Fargate size for the CPU). */
	memoryMb?: number;
	/** Task storage in GiB (21–200; the stage's scratch folder is under /tmp). */
	ephemeralStorageGiB?: number;
	/** Time limit of the stage's runTask.sync state in seconds. */
	timeoutSeconds?: number;
}

/**
 * Default sizes of a stage run as a task: past a Lambda's 10 GB; the `task`
 * of each stage module (runtime/pipeline/stages/<Stage>.ts). Train fits two
 * XGBoost models in parallel worker threads, so it gets the most CPU;
 * docs/scaling.md gives the method to size a stage from measurement.
 */
export const STAGE_TASK_SIZING: Readonly<
	Record<EcsCapableStage, Required<StageTaskSizing>>
> = TASK_SIZING;

/** Name of the stage container in each task definition. */
export const STAGE_CONTAINER = "stage";

/** The container command of a stage task (the image's default command is the report build). */
export const STAGE_TASK_COMMAND = [
	"node",
	"--import",
	"tsx",
	"runtime/pipeline/task-entry.ts",
];

/**
 * What a stage's task role may touch: exactly its Lambda's access
 * (STAGE_ACCESS) plus its own input and output documents under
 * runs/<runId>/stage-io/<Stage>/ (the state machine writes the input, the
 * task writes the output).
 */
export function stageTaskAccess(stage: EcsCapableStage): StageAccess {
	const io = `runs/*/${STAGE_IO_PREFIX}/${stage}/*`;
	const base = STAGE_ACCESS[stage];
	return {
		...base,
		reads: [...base.reads, `${io}/input.json`],
		writes: [...base.writes, `${io}/output.json`],
	};
}

/** The environment of a stage's container: its Lambda's, plus the stage it runs. */
export function stageTaskEnvironment(
	stage: EcsCapableStage,
	r: {
		lakeBucketName: string;
		manifestTableName: string;
		registryTableName: string;
		alertTopicArn?: string;
	},
	environment: Record<string, string>,
): Array<{ name: string; value: string }> {
	const vars: Record<string, string> = {
		NODE_OPTIONS: STAGE_NODE_OPTIONS,
		[PLATFORM_ENV.lakeBucket]: r.lakeBucketName,
		[PLATFORM_ENV.stateTable]: r.manifestTableName,
		[PLATFORM_ENV.registryTable]: r.registryTableName,
		...(r.alertTopicArn
			? { [PLATFORM_ENV.alertTopicArn]: r.alertTopicArn }
			: {}),
		...environment,
		[TASK_ENV.stage]: stage,
	};
	return Object.entries(vars).map(([name, value]) => ({ name, value }));
}

/** What the state machine needs to run one stage's task. */
export interface StageTaskTarget {
	taskDefinitionArn: pulumi.Output<string>;
	taskRoleArn: pulumi.Output<string>;
	timeoutSeconds: number;
}

export interface StageTasksArgs {
	/** The stages that run as tasks, with their sizes (defaults STAGE_TASK_SIZING). */
	stages: Partial<Record<EcsCapableStage, StageTaskSizing>>;
	/** The task image (components/task-image.ts). */
	image: {
		repositoryArn: pulumi.Input<string>;
		imageUri: pulumi.Input<string>;
	};
	/** The lake, tables and alert topic (the same a stage Lambda gets). */
	resources: RuntimeResources;
	/** Environment besides the resource names (STACK_NAME, SHARD_COUNT, PROMOTION_GATE, SEED). */
	environment?: Record<string, string>;
	/** Log retention in days. Default 30. */
	logRetentionDays?: number;
	tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * The pipeline stages that run as ECS/Fargate tasks instead of Lambda
 * functions (chosen per stage by the stack's `stageRunners`): for each, a
 * task definition of the platform's image running
 * runtime/pipeline/task-entry.ts with the stage's Lambda environment and
 * STAGE, and its own task role with exactly the stage's access
 * (stageTaskAccess). One execution role (pull this image, write this log
 * group) and one log group (a stream prefix per stage) for all of them.
 */
export class StageTasks extends pulumi.ComponentResource {
	public readonly logGroup: aws.cloudwatch.LogGroup;
	public readonly executionRole: aws.iam.Role;
	public readonly taskRoles: Partial<Record<EcsCapableStage, aws.iam.Role>>;
	public readonly taskDefinitions: Partial<
		Record<EcsCapableStage, aws.ecs.TaskDefinition>
	>;
	public readonly targets: Partial<Record<EcsCapableStage, StageTaskTarget>>;

	constructor(
		name: string,
		args: StageTasksArgs,
		opts?: pulumi.ComponentResourceOptions,
	) {
		super("spanishgas:pipeline:StageTasks", name, {}, opts);
		const what = `StageTasks ${name}`;
		const stages = Object.keys(args.stages) as EcsCapableStage[];
		for (const s of stages)
			if (!(ECS_CAPABLE_STAGES as readonly string[]).includes(s))
				throw new Error(
					`${what}: ${s} cannot run as a task; one of ${ECS_CAPABLE_STAGES.join(", ")}`,
				);
		const sizes = Object.fromEntries(
			stages.map((s) => {
				const size = { ...STAGE_TASK_SIZING[s], ...args.stages[s] };
				checkFargateSize(
					`${what} ${s}`,
					size.cpu,
					size.memoryMb,
					size.ephemeralStorageGiB,
				);
				if (
					!Number.isInteger(size.timeoutSeconds) ||
					size.timeoutSeconds < 60 ||
					size.timeoutSeconds > 86_400
				)
					throw new Error(
						`${what} ${s}: timeoutSeconds must be an integer from 60 to 86400, got ${size.timeoutSeconds}`,
					);
				return [s, size];
			}),
		) as Record<EcsCapableStage, Required<StageTaskSizing>>;
		const retention = args.logRetentionDays ?? 30;
		if (!(LOG_RETENTION_DAYS as readonly number[]).includes(retention))
			throw new Error(
				`${what}: logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(", ")}, got ${retention}`,
			);
		const child = { parent: this };
		const r = args.resources;
		const region = aws.getRegionOutput({}, child).region;
		const stack = pulumi.getStack();

		this.logGroup = new aws.cloudwatch.LogGroup(
			`${name}-logs`,
			{ retentionInDays: retention, tags: args.tags },
			child,
		);
		this.executionRole = executionRole(
			name,
			{
				repositoryArn: args.image.repositoryArn,
				logGroupArn: this.logGroup.arn,
				tags: args.tags,
			},
			child,
		).role;

		this.taskRoles = {};
		this.taskDefinitions = {};
		this.targets = {};
		for (const stage of stages) {
			const size = sizes[stage];
			const role = new aws.iam.Role(
				`${name}-${stage}-role`,
				{
					path: ROLE_PATH,
					assumeRolePolicy: assumeRolePolicy("ecs-tasks.amazonaws.com"),
					tags: args.tags,
				},
				child,
			);
			const policy = new aws.iam.RolePolicy(
				`${name}-${stage}-policy`,
				{
					role: role.id,
					policy: pulumi
						.all([
							r.lakeBucketArn,
							r.manifestTableArn,
							r.registryTableArn,
							r.alertTopicArn,
							r.alertKeyArn,
						])
						.apply(([lake, manifest, registry, topic, key]) =>
							JSON.stringify(
								policyDocument(
									accessStatements(stageTaskAccess(stage), {
										lakeBucketArn: lake,
										manifestTableArn: manifest,
										registryTableArn: registry,
										alertTopicArn: topic,
										alertKeyArn: key,
									}),
								),
							),
						),
				},
				child,
			);
			const taskDefinition = new aws.ecs.TaskDefinition(
				`${name}-${stage}`,
				{
					family: `spanishgas-${stack}-${stage}`,
					requiresCompatibilities: ["FARGATE"],
					networkMode: "awsvpc",
					cpu: String(size.cpu),
					memory: String(size.memoryMb),
					ephemeralStorage: { sizeInGib: size.ephemeralStorageGiB },
					runtimePlatform: {
						operatingSystemFamily: "LINUX",
						cpuArchitecture: "X86_64",
					},
					executionRoleArn: this.executionRole.arn,
					taskRoleArn: role.arn,
					containerDefinitions: pulumi
						.all([
							args.image.imageUri,
							r.lakeBucketName,
							r.manifestTableName,
							r.registryTableName,
							r.alertTopicArn,
							this.logGroup.name,
							region,
						])
						.apply(([image, lake, manifest, registry, topic, logs, reg]) =>
							JSON.stringify([
								{
									name: STAGE_CONTAINER,
									image,
									essential: true,
									command: STAGE_TASK_COMMAND,
									environment: stageTaskEnvironment(
										stage,
										{
											lakeBucketName: lake,
											manifestTableName: manifest,
											registryTableName: registry,
											alertTopicArn: topic,
										},
										args.environment ?? {},
									),
									logConfiguration: {
										logDriver: "awslogs",
										options: {
											"awslogs-group": logs,
											"awslogs-region": reg,
											"awslogs-stream-prefix": stage,
										},
									},
									readonlyRootFilesystem: false,
								},
							]),
						),
					tags: args.tags,
				},
				{ ...child, dependsOn: [policy] },
			);
			this.taskRoles[stage] = role;
			this.taskDefinitions[stage] = taskDefinition;
			this.targets[stage] = {
				taskDefinitionArn: taskDefinition.arn,
				taskRoleArn: role.arn,
				timeoutSeconds: size.timeoutSeconds,
			};
		}
		this.registerOutputs({
			taskDefinitionArns: Object.fromEntries(
				stages.map((s) => [s, this.taskDefinitions[s]?.arn]),
			),
		});
	}
}
