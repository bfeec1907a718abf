import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PLATFORM_ENV, REPORT_TASK_ENV } from "../runtime/contract.ts";
import {
	accessStatements,
	assumeRolePolicy,
	type PolicyStatement,
	policyDocument,
	REPORT_ACCESS,
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
		const cpu = args.cpu ?? 2048;
		const memory = args.memoryMb ?? 8192;
		const storage = args.ephemeralStorageGiB ?? 30;
		checkFargateSize(what, cpu, memory, storage);
		const retention = args.logRetentionDays ?? 30;
		if (!(LOG_RETENTION_DAYS as readonly number[]).includes(retention))
			throw new Error(
				`${what}: logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(", ")}, got ${retention}`,
			);
		const child = { parent: this };
		const region = aws.getRegionOutput({}, child).region;

		let image = args.image;
		if (!image) {
			this.ownImage = new TaskImage(
				`${name}-image`,
				{
					context: args.context,
					dockerfile: args.dockerfile,
					forceDeleteRepository: args.forceDeleteRepository,
					tags: args.tags,
				},
				child,
			);
			image = this.ownImage;
		}
		this.imageUri = pulumi.output(image.imageUri);
		let network = args.network;
		if (!network) {
			this.ownNetwork = new PrivateNetwork(
				`${name}-network`,
				{ tags: args.tags },
				child,
			);
			network = this.ownNetwork;
		}
		this.subnetIds = pulumi.output(network.subnetIds);
		this.securityGroupIds = pulumi.output(network.securityGroupIds);

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
		this.taskRole = new aws.iam.Role(
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
				role: this.taskRole.id,
				policy: pulumi
					.all([
						args.lakeBucketArn,
						args.siteBucketArn,
						args.manifestTableArn,
						args.registryTableArn,
					])
					.apply(([lake, site, manifest, registry]) => {
						const statements: PolicyStatement[] = [
							...accessStatements(REPORT_ACCESS, {
								lakeBucketArn: lake,
								manifestTableArn: manifest,
								registryTableArn: registry,
							}),
							{
								Sid: "SiteList",
								Effect: "Allow",
								Action: "s3:ListBucket",
								Resource: site,
							},
							{
								Sid: "SitePublish",
								Effect: "Allow",
								Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
								Resource: `${site}/*`,
							},
						];
						return JSON.stringify(policyDocument(statements));
					}),
			},
			child,
		);
		this.taskDefinition = new aws.ecs.TaskDefinition(
			`${name}-task`,
			{
				family: `spanishgas-${pulumi.getStack()}-report`,
				requiresCompatibilities: ["FARGATE"],
				networkMode: "awsvpc",
				cpu: String(cpu),
				memory: String(memory),
				ephemeralStorage: { sizeInGib: storage },
				runtimePlatform: {
					operatingSystemFamily: "LINUX",
					cpuArchitecture: "X86_64",
				},
				executionRoleArn: this.executionRole.arn,
				taskRoleArn: this.taskRole.arn,
				containerDefinitions: pulumi
					.all([
						this.imageUri,
						args.lakeBucketName,
						args.siteBucketName,
						args.manifestTableName,
						args.registryTableName,
						this.logGroup.name,
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
