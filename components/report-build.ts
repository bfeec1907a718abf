import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PLATFORM_ENV, REPORT_TASK_ENV } from "../runtime/contract.ts";
import {
	accessStatements,
	assumeRolePolicy,
	policyDocument,
	REPORT_ACCESS,
	siteStatements,
} from "./access.ts";
import { checkFargateSize, executionRole } from "./fargate.ts";
import { PrivateNetwork } from "./private-network.ts";
import { LOG_RETENTION_DAYS, ROLE_PATH } from "./runtime-function.ts";
import type { ReportTaskTarget } from "./state-machine.ts";
import { TaskImage } from "./task-image.ts";

export interface ReportBuildArgs {
	/** The data lake (the task reads run outputs and models, writes report data under reports/). */
	lakeBucketName: pulumi.Input<string>;
	lakeBucketArn: pulumi.Input<string>;
	/** The report site bucket the built site is uploaded to. */
	siteBucketName: pulumi.Input<string>;
	siteBucketArn: pulumi.Input<string>;
	manifestTableName: pulumi.Input<string>;
	manifestTableArn: pulumi.Input<string>;
	registryTableName: pulumi.Input<string>;
	registryTableArn: pulumi.Input<string>;
	/** The task image (components/task-image.ts). Default: an image of its own, built from `context` and `dockerfile`. */
	image?: {
		repositoryArn: pulumi.Input<string>;
		imageUri: pulumi.Input<string>;
	};
	/** Docker build context of its own image (the repository root). Default ".". */
	context?: string;
	/** Dockerfile of its own image, relative to the working directory. Default components/report-build/Dockerfile. */
	dockerfile?: string;
	/** Fargate CPU units. Default 2048. */
	cpu?: number;
	/** Fargate memory in MB. Default 8192 (the Evidence build peaks at a few GB). */
	memoryMb?: number;
	/** Task /tmp and build space in GiB (21–200). Default 30. */
	ephemeralStorageGiB?: number;
	/** Log retention in days. Default 30. */
	logRetentionDays?: number;
	/**
	 * Private subnets and security groups for the task (no public IP is
	 * assigned). Default: a PrivateNetwork of its own
	 * (components/private-network.ts).
	 */
	network?: {
		subnetIds: pulumi.Input<pulumi.Input<string>[]>;
		securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
	};
	/** Delete its own image repository with its images when the stack is destroyed. Default true. */
	forceDeleteRepository?: boolean;
	tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** Name of the report container in the task definition. */
export const REPORT_CONTAINER = "report";

/**
 * The report build: the ECS cluster of the platform's tasks and the Fargate
 * task definition of the report build, run by Step Functions after each
 * successful run (PublishReport, `ecs:runTask.sync`) in the task image's
 * default command (runtime/report/task.ts): it reads the run from the lake
 * and the tables, builds the static site and uploads it to the report site
 * bucket. The image (components/task-image.ts) and the private network
 * (components/private-network.ts) are the platform's, shared with the stage
 * tasks; standalone it creates its own.
 *
 * The task role may read the run outputs, models and the tables, write only
 * `reports/` in the lake and the site bucket; the execution role may pull
 * only the task image and write only this log group.
 */
export class ReportBuild extends pulumi.ComponentResource {
	/** Its own image and network, when none were given. */
	public readonly ownImage?: TaskImage;
	public readonly ownNetwork?: PrivateNetwork;
	public readonly imageUri: pulumi.Output<string>;
	public readonly cluster: aws.ecs.Cluster;
	public readonly taskDefinition: aws.ecs.TaskDefinition;
	public readonly taskRole: aws.iam.Role;
	public readonly executionRole: aws.iam.Role;
	public readonly logGroup: aws.cloudwatch.LogGroup;
	public readonly subnetIds: pulumi.Output<string[]>;
	public readonly securityGroupIds: pulumi.Output<string[]>;
	/** What the state machine needs to run the task. */
	public readonly target: ReportTaskTarget;

	constructor(
		name: string,
		args: ReportBuildArgs,
		opts?: pulumi.ComponentResourceOptions,
	) {
		super("spanishgas:report:ReportBuild", name, {}, opts);
		const what = `ReportBuild ${name}`;
		const size = {
			cpu: args.cpu ?? 2048,
			memoryMb: args.memoryMb ?? 8192,
			storageGiB: args.ephemeralStorageGiB ?? 30,
		};
		checkFargateSize(what, size.cpu, size.memoryMb, size.storageGiB);
		const retention = args.logRetentionDays ?? 30;
		if (!(LOG_RETENTION_DAYS as readonly number[]).includes(retention))
			throw new Error(
				`${what}: logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(", ")}, got ${retention}`,
			);
		const child = { parent: this };

		// The image and the network: the platform's, or its own.
		if (!args.image) this.ownImage = ownImage(name, args, child);
		const image = args.image ?? this.ownImage;
		if (!image) throw new Error(`${what}: no image`);
		this.imageUri = pulumi.output(image.imageUri);
		if (!args.network) this.ownNetwork = ownNetwork(name, args, child);
		const network = args.network ?? this.ownNetwork;
		if (!network) throw new Error(`${what}: no network`);
		this.subnetIds = pulumi.output(network.subnetIds);
		this.securityGroupIds = pulumi.output(network.securityGroupIds);

		// The task: cluster, logs, roles, definition.
		this.cluster = new aws.ecs.Cluster(
			`${name}-cluster`,
			{
				settings: [{ name: "containerInsights", value: "enabled" }],
				tags: args.tags,
			},
			child,
		);
		this.logGroup = new aws.cloudwatch.LogGroup(
			`${name}-logs`,
			{ retentionInDays: retention, tags: args.tags },
			child,
		);
		this.executionRole = executionRole(
			name,
			{
				repositoryArn: image.repositoryArn,
				logGroupArn: this.logGroup.arn,
				tags: args.tags,
			},
			child,
		).role;
		this.taskRole = reportTaskRole(name, args, child);
		this.taskDefinition = reportTaskDefinition(
			name,
			args,
			{
				size,
				imageUri: this.imageUri,
				logGroupName: this.logGroup.name,
				executionRoleArn: this.executionRole.arn,
				taskRoleArn: this.taskRole.arn,
			},
			child,
		);
		this.target = {
			clusterArn: this.cluster.arn,
			taskDefinitionArn: this.taskDefinition.arn,
			containerName: REPORT_CONTAINER,
			subnetIds: this.subnetIds,
			securityGroupIds: this.securityGroupIds,
			taskRoleArn: this.taskRole.arn,
			executionRoleArn: this.executionRole.arn,
			assignPublicIp: false,
		};
		this.registerOutputs({
			imageUri: this.imageUri,
			clusterArn: this.cluster.arn,
			taskDefinitionArn: this.taskDefinition.arn,
		});
	}
}

/** An image of its own, built from `context` and `dockerfile` (components/task-image.ts). */
function ownImage(
	name: string,
	args: ReportBuildArgs,
	child: pulumi.ResourceOptions,
): TaskImage {
	return new TaskImage(
		`${name}-image`,
		{
			context: args.context,
			dockerfile: args.dockerfile,
			forceDeleteRepository: args.forceDeleteRepository,
			tags: args.tags,
		},
		child,
	);
}

/** A private network of its own (components/private-network.ts). */
function ownNetwork(
	name: string,
	args: ReportBuildArgs,
	child: pulumi.ResourceOptions,
): PrivateNetwork {
	return new PrivateNetwork(`${name}-network`, { tags: args.tags }, child);
}

/**
 * The task role: the lake and tables as REPORT_ACCESS says, the site bucket
 * as REPORT_SITE_ACCESS says (components/access.ts).
 */
function reportTaskRole(
	name: string,
	args: ReportBuildArgs,
	child: pulumi.ResourceOptions,
): aws.iam.Role {
	const role = new aws.iam.Role(
		`${name}-task-role`,
		{
			path: ROLE_PATH,
			assumeRolePolicy: assumeRolePolicy("ecs-tasks.amazonaws.com"),
			tags: args.tags,
		},
		child,
	);
	new aws.iam.RolePolicy(
		`${name}-task-policy`,
		{
			role: role.id,
			policy: pulumi
				.all([
					args.lakeBucketArn,
					args.siteBucketArn,
					args.manifestTableArn,
					args.registryTableArn,
				])
				.apply(([lake, site, manifest, registry]) =>
					JSON.stringify(
						policyDocument([
							...accessStatements(REPORT_ACCESS, {
								lakeBucketArn: lake,
								manifestTableArn: manifest,
								registryTableArn: registry,
							}),
							...siteStatements(site),
						]),
					),
				),
		},
		child,
	);
	return role;
}

/** The Fargate task definition of the report container, with its environment (runtime/contract.ts names). */
function reportTaskDefinition(
	name: string,
	args: ReportBuildArgs,
	t: {
		size: { cpu: number; memoryMb: number; storageGiB: number };
		imageUri: pulumi.Output<string>;
		logGroupName: pulumi.Output<string>;
		executionRoleArn: pulumi.Output<string>;
		taskRoleArn: pulumi.Output<string>;
	},
	child: pulumi.ResourceOptions,
): aws.ecs.TaskDefinition {
	const region = aws.getRegionOutput({}, child).region;
	return new aws.ecs.TaskDefinition(
		`${name}-task`,
		{
			family: `spanishgas-${pulumi.getStack()}-report`,
			requiresCompatibilities: ["FARGATE"],
			networkMode: "awsvpc",
			cpu: String(t.size.cpu),
			memory: String(t.size.memoryMb),
			ephemeralStorage: { sizeInGib: t.size.storageGiB },
			runtimePlatform: {
				operatingSystemFamily: "LINUX",
				cpuArchitecture: "X86_64",
			},
			executionRoleArn: t.executionRoleArn,
			taskRoleArn: t.taskRoleArn,
			containerDefinitions: pulumi
				.all([
					t.imageUri,
					args.lakeBucketName,
					args.siteBucketName,
					args.manifestTableName,
					args.registryTableName,
					t.logGroupName,
					region,
				])
				.apply(([image, lake, site, manifest, registry, logs, reg]) =>
					JSON.stringify([
						{
							name: REPORT_CONTAINER,
							image,
							essential: true,
							environment: [
								{ name: PLATFORM_ENV.lakeBucket, value: lake },
								{ name: REPORT_TASK_ENV.siteBucket, value: site },
								{ name: PLATFORM_ENV.stateTable, value: manifest },
								{ name: PLATFORM_ENV.registryTable, value: registry },
								{ name: "EVIDENCE_SEND_ANONYMOUS_USAGE_STATS", value: "no" },
							],
							logConfiguration: {
								logDriver: "awslogs",
								options: {
									"awslogs-group": logs,
									"awslogs-region": reg,
									"awslogs-stream-prefix": "report",
								},
							},
							readonlyRootFilesystem: false,
						},
					]),
				),
			tags: args.tags,
		},
		child,
	);
}
