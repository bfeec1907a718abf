import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import {
	accessStatements,
	assumeRolePolicy,
	type PolicyStatement,
	policyDocument,
	REPORT_ACCESS,
} from "./access.ts";
import { LOG_RETENTION_DAYS, ROLE_PATH } from "./runtime-function.ts";
import type { ReportTaskTarget } from "./state-machine.ts";

/** Fargate CPU units → allowed memory (MB) range, for the sizes that make sense here. */
const FARGATE_SIZES: Record<number, [number, number]> = {
	1024: [2048, 8192],
	2048: [4096, 16384],
	4096: [8192, 30720],
	8192: [16384, 61440],
};

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
	/** Docker build context (the repository root). Default ".". */
	context?: string;
	/** Dockerfile, relative to the working directory. Default components/report-build/Dockerfile. */
	dockerfile?: string;
	/** Fargate CPU units. Default 2048. */
	cpu?: number;
	/** Fargate memory in MB. Default 8192 (the Evidence build peaks at a few GB). */
	memoryMb?: number;
	/** Task /tmp and build space in GiB (21–200). Default 30. */
	ephemeralStorageGiB?: number;
	/** Log retention in days. Default 30. */
	logRetentionDays?: number;
	/** Subnets and security groups for the task. Default: a small VPC of its own (two public subnets, egress-only security group). */
	network?: {
		subnetIds: pulumi.Input<string>[];
		securityGroupIds: pulumi.Input<string>[];
	};
	/** Delete the image repository with its images when the stack is destroyed. Default true. */
	forceDeleteRepository?: boolean;
	tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** Name of the report container in the task definition. */
export const REPORT_CONTAINER = "report";

/**
 * The report build: an `awsx.ecr.Image` of components/report-build/Dockerfile
 * (the Evidence project and the runtime's report task, runtime/report/task.ts)
 * pushed to its own ECR repository, and a Fargate task definition that Step
 * Functions runs after each successful run (PublishReport,
 * `ecs:runTask.sync`): it reads the run from the lake and the tables, builds
 * the static site and uploads it to the report site bucket.
 *
 * The task role may read the run outputs, models and the tables, write only
 * `reports/` in the lake and the site bucket; the execution role may pull
 * only this repository's images and write only this log group.
 */
export class ReportBuild extends pulumi.ComponentResource {
	public readonly repository: aws.ecr.Repository;
	public readonly image: awsx.ecr.Image;
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
		const range = FARGATE_SIZES[cpu];
		if (!range)
			throw new Error(
				`${what}: cpu must be one of ${Object.keys(FARGATE_SIZES).join(", ")}, got ${cpu}`,
			);
		if (
			!Number.isInteger(memory) ||
			memory < range[0] ||
			memory > range[1] ||
			memory % 1024 !== 0
		)
			throw new Error(
				`${what}: memoryMb must be a multiple of 1024 from ${range[0]} to ${range[1]} for cpu ${cpu}, got ${memory}`,
			);
		const storage = args.ephemeralStorageGiB ?? 30;
		if (!Number.isInteger(storage) || storage < 21 || storage > 200)
			throw new Error(
				`${what}: ephemeralStorageGiB must be an integer from 21 to 200, got ${storage}`,
			);
		const retention = args.logRetentionDays ?? 30;
		if (!(LOG_RETENTION_DAYS as readonly number[]).includes(retention))
			throw new Error(
				`${what}: logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(", ")}, got ${retention}`,
			);
		const child = { parent: this };
		const region = aws.getRegionOutput({}, child).region;

		this.repository = new aws.ecr.Repository(
			`${name}-repo`,
			{
				imageScanningConfiguration: { scanOnPush: true },
				imageTagMutability: "MUTABLE",
				encryptionConfigurations: [{ encryptionType: "AES256" }],
				forceDelete: args.forceDeleteRepository ?? true,
				tags: args.tags,
			},
			child,
		);
		new aws.ecr.LifecyclePolicy(
			`${name}-repo-lifecycle`,
			{
				repository: this.repository.name,
				policy: JSON.stringify({
					rules: [
						{
							rulePriority: 1,
							description: "keep the last 10 images",
							selection: {
								tagStatus: "any",
								countType: "imageCountMoreThan",
								countNumber: 10,
							},
							action: { type: "expire" },
						},
					],
				}),
			},
			child,
		);
		this.image = new awsx.ecr.Image(
			`${name}-image`,
			{
				repositoryUrl: this.repository.repositoryUrl,
				context: args.context ?? ".",
				dockerfile: args.dockerfile ?? "components/report-build/Dockerfile",
				platform: "linux/amd64",
			},
			child,
		);

		if (args.network) {
			this.subnetIds = pulumi.output(args.network.subnetIds);
			this.securityGroupIds = pulumi.output(args.network.securityGroupIds);
		} else {
			const vpc = new aws.ec2.Vpc(
				`${name}-vpc`,
				{
					cidrBlock: "10.42.0.0/16",
					enableDnsHostnames: true,
					enableDnsSupport: true,
					tags: args.tags,
				},
				child,
			);
			const igw = new aws.ec2.InternetGateway(
				`${name}-igw`,
				{ vpcId: vpc.id, tags: args.tags },
				child,
			);
			const routes = new aws.ec2.RouteTable(
				`${name}-routes`,
				{
					vpcId: vpc.id,
					routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
					tags: args.tags,
				},
				child,
			);
			const zones = aws.getAvailabilityZonesOutput(
				{ state: "available" },
				child,
			).names;
			const subnets = [0, 1].map((i) => {
				const subnet = new aws.ec2.Subnet(
					`${name}-public-${i}`,
					{
						vpcId: vpc.id,
						cidrBlock: `10.42.${i}.0/24`,
						availabilityZone: zones.apply((z) => z[i % z.length]),
						mapPublicIpOnLaunch: false,
						tags: args.tags,
					},
					child,
				);
				new aws.ec2.RouteTableAssociation(
					`${name}-public-${i}-routes`,
					{ subnetId: subnet.id, routeTableId: routes.id },
					child,
				);
				return subnet;
			});
			// S3 traffic (lake and site bucket) stays on the AWS network.
			new aws.ec2.VpcEndpoint(
				`${name}-s3-endpoint`,
				{
					vpcId: vpc.id,
					serviceName: pulumi.interpolate`com.amazonaws.${region}.s3`,
					vpcEndpointType: "Gateway",
					routeTableIds: [routes.id],
					tags: args.tags,
				},
				child,
			);
			const sg = new aws.ec2.SecurityGroup(
				`${name}-task-sg`,
				{
					vpcId: vpc.id,
					description: "Report build task: no inbound, HTTPS outbound only",
					egress: [
						{
							protocol: "tcp",
							fromPort: 443,
							toPort: 443,
							cidrBlocks: ["0.0.0.0/0"],
							description: "AWS APIs, ECR, S3",
						},
					],
					tags: args.tags,
				},
				child,
			);
			this.subnetIds = pulumi.all(subnets.map((s) => s.id));
			this.securityGroupIds = pulumi.all([sg.id]);
		}

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
		this.executionRole = new aws.iam.Role(
			`${name}-execution-role`,
			{
				path: ROLE_PATH,
				assumeRolePolicy: assumeRolePolicy("ecs-tasks.amazonaws.com"),
				tags: args.tags,
			},
			child,
		);
		new aws.iam.RolePolicy(
			`${name}-execution-policy`,
			{
				role: this.executionRole.id,
				policy: pulumi
					.all([this.repository.arn, this.logGroup.arn])
					.apply(([repo, logs]) =>
						JSON.stringify(
							policyDocument([
								{
									// Registry login has no resource-level permissions.
									Sid: "EcrLogin",
									Effect: "Allow",
									Action: "ecr:GetAuthorizationToken",
									Resource: "*",
								},
								{
									Sid: "PullReportImage",
									Effect: "Allow",
									Action: [
										"ecr:BatchCheckLayerAvailability",
										"ecr:GetDownloadUrlForLayer",
										"ecr:BatchGetImage",
									],
									Resource: repo,
								},
								{
									Sid: "TaskLogs",
									Effect: "Allow",
									Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
									Resource: `${logs}:*`,
								},
							]),
						),
					),
			},
			child,
		);
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
						this.image.imageUri,
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
									{ name: "LAKE_BUCKET", value: lake },
									{ name: "SITE_BUCKET", value: site },
									{ name: "STATE_TABLE", value: manifest },
									{ name: "REGISTRY_TABLE", value: registry },
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
			assignPublicIp: !args.network,
		};
		this.registerOutputs({
			imageUri: this.image.imageUri,
			clusterArn: this.cluster.arn,
			taskDefinitionArn: this.taskDefinition.arn,
		});
	}
}
