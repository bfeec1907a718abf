import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * AWS services the Fargate tasks call, reached through VPC endpoints (no
 * internet route): the image pull (ECR API and registry; its layers come
 * from S3), the awslogs driver (CloudWatch Logs), the SDK's credential and
 * region calls (STS), alerts (SNS) and their metric (CloudWatch
 * PutMetricData, service "monitoring"). Step Functions is not among them: a
 * runTask.sync task sends no heartbeats, Step Functions watches it.
 */
export const TASK_INTERFACE_ENDPOINTS = [
	"ecr.api",
	"ecr.dkr",
	"logs",
	"sts",
	"sns",
	"monitoring",
] as const;

/** Gateway endpoints (free, on the route table): the lake and site buckets, ECR's layers; the run manifest and model registry. */
export const TASK_GATEWAY_ENDPOINTS = ["s3", "dynamodb"] as const;

export interface PrivateNetworkArgs {
	/** The VPC's address range (a /16). Default 10.42.0.0/16. */
	cidrBlock?: string;
	/** Private subnets, one per availability zone (2–3). Default 2. */
	zones?: number;
	/** Interface endpoints (service suffixes of com.amazonaws.<region>.*). Default TASK_INTERFACE_ENDPOINTS. */
	interfaceEndpoints?: readonly string[];
	tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * The network of every Fargate task of the platform (the report build and
 * the stages that run as tasks): a VPC with private subnets only — no
 * internet gateway, no NAT, no public IPs — and VPC endpoints for each AWS
 * service the tasks call (gateway endpoints for S3 and DynamoDB on the
 * subnets' route table, interface endpoints with private DNS for the rest).
 *
 * Two security groups: the tasks' group has no inbound rule and one
 * outbound rule per destination — HTTPS to the endpoints' group and HTTPS
 * to the S3 and DynamoDB prefix lists —; the endpoints' group accepts
 * HTTPS from the tasks' group only.
 */
export class PrivateNetwork extends pulumi.ComponentResource {
	public readonly vpc: aws.ec2.Vpc;
	public readonly subnets: aws.ec2.Subnet[];
	public readonly routeTable: aws.ec2.RouteTable;
	public readonly taskSecurityGroup: aws.ec2.SecurityGroup;
	public readonly endpointSecurityGroup: aws.ec2.SecurityGroup;
	public readonly gatewayEndpoints: Record<
		(typeof TASK_GATEWAY_ENDPOINTS)[number],
		aws.ec2.VpcEndpoint
	>;
	public readonly interfaceEndpoints: Record<string, aws.ec2.VpcEndpoint>;
	/** Where a task runs: these subnets and this security group, without a public IP. */
	public readonly subnetIds: pulumi.Output<string[]>;
	public readonly securityGroupIds: pulumi.Output<string[]>;

	constructor(
		name: string,
		args: PrivateNetworkArgs = {},
		opts?: pulumi.ComponentResourceOptions,
	) {
		super("spanishgas:network:PrivateNetwork", name, {}, opts);
		const what = `PrivateNetwork ${name}`;
		const cidr = args.cidrBlock ?? "10.42.0.0/16";
		const m = /^(\d{1,3})\.(\d{1,3})\.0\.0\/16$/.exec(cidr);
		if (!m || Number(m[1]) > 255 || Number(m[2]) > 255)
			throw new Error(
				`${what}: cidrBlock must be a /16 such as 10.42.0.0/16, got ${cidr}`,
			);
		const zoneCount = args.zones ?? 2;
		if (!Number.isInteger(zoneCount) || zoneCount < 2 || zoneCount > 3)
			throw new Error(`${what}: zones must be 2 or 3, got ${zoneCount}`);
		const child = { parent: this };
		const tags = args.tags;
		const region = aws.getRegionOutput({}, child).region;
		const service = (s: string) =>
			pulumi.interpolate`com.amazonaws.${region}.${s}`;

		this.vpc = new aws.ec2.Vpc(
			`${name}-vpc`,
			{
				cidrBlock: cidr,
				// Private DNS of the interface endpoints needs both.
				enableDnsHostnames: true,
				enableDnsSupport: true,
				tags,
			},
			child,
		);
		// A route table without a default route: only the VPC itself and the gateway endpoints.
		this.routeTable = new aws.ec2.RouteTable(
			`${name}-private-routes`,
			{ vpcId: this.vpc.id, tags },
			child,
		);
		const zones = aws.getAvailabilityZonesOutput(
			{ state: "available" },
			child,
		).names;
		const prefix = `${m[1]}.${m[2]}`;
		this.subnets = Array.from({ length: zoneCount }, (_, i) => {
			const subnet = new aws.ec2.Subnet(
				`${name}-private-${i}`,
				{
					vpcId: this.vpc.id,
					cidrBlock: `${prefix}.${i * 16}.0/20`,
					availabilityZone: zones.apply((z) => z[i % z.length]),
					mapPublicIpOnLaunch: false,
					tags,
				},
				child,
			);
			new aws.ec2.RouteTableAssociation(
				`${name}-private-${i}-routes`,
				{ subnetId: subnet.id, routeTableId: this.routeTable.id },
				child,
			);
			return subnet;
		});

		this.taskSecurityGroup = new aws.ec2.SecurityGroup(
			`${name}-task-sg`,
			{
				vpcId: this.vpc.id,
				description:
					"Fargate tasks: no inbound; HTTPS to the VPC endpoints only",
				tags,
			},
			child,
		);
		this.endpointSecurityGroup = new aws.ec2.SecurityGroup(
			`${name}-endpoint-sg`,
			{
				vpcId: this.vpc.id,
				description: "VPC interface endpoints: HTTPS from the tasks only",
				tags,
			},
			child,
		);
		new aws.vpc.SecurityGroupIngressRule(
			`${name}-endpoint-from-tasks`,
			{
				securityGroupId: this.endpointSecurityGroup.id,
				referencedSecurityGroupId: this.taskSecurityGroup.id,
				ipProtocol: "tcp",
				fromPort: 443,
				toPort: 443,
				description: "HTTPS from the tasks",
				tags,
			},
			child,
		);
		new aws.vpc.SecurityGroupEgressRule(
			`${name}-task-to-endpoints`,
			{
				securityGroupId: this.taskSecurityGroup.id,
				referencedSecurityGroupId: this.endpointSecurityGroup.id,
				ipProtocol: "tcp",
				fromPort: 443,
				toPort: 443,
				description: "HTTPS to the interface endpoints",
				tags,
			},
			child,
		);

		this.gatewayEndpoints = Object.fromEntries(
			TASK_GATEWAY_ENDPOINTS.map((s) => {
				const endpoint = new aws.ec2.VpcEndpoint(
					`${name}-${s}-endpoint`,
					{
						vpcId: this.vpc.id,
						serviceName: service(s),
						vpcEndpointType: "Gateway",
						routeTableIds: [this.routeTable.id],
						tags,
					},
					child,
				);
				new aws.vpc.SecurityGroupEgressRule(
					`${name}-task-to-${s}`,
					{
						securityGroupId: this.taskSecurityGroup.id,
						prefixListId: endpoint.prefixListId,
						ipProtocol: "tcp",
						fromPort: 443,
						toPort: 443,
						description: `HTTPS to ${s} through its gateway endpoint`,
						tags,
					},
					child,
				);
				return [s, endpoint];
			}),
		) as PrivateNetwork["gatewayEndpoints"];

		this.interfaceEndpoints = Object.fromEntries(
			(args.interfaceEndpoints ?? TASK_INTERFACE_ENDPOINTS).map((s) => [
				s,
				new aws.ec2.VpcEndpoint(
					`${name}-${s.replace(/\./g, "-")}-endpoint`,
					{
						vpcId: this.vpc.id,
						serviceName: service(s),
						vpcEndpointType: "Interface",
						privateDnsEnabled: true,
						subnetIds: this.subnets.map((x) => x.id),
						securityGroupIds: [this.endpointSecurityGroup.id],
						tags,
					},
					child,
				),
			]),
		);

		this.subnetIds = pulumi.all(this.subnets.map((s) => s.id));
		this.securityGroupIds = pulumi.all([this.taskSecurityGroup.id]);
		this.registerOutputs({
			vpcId: this.vpc.id,
			subnetIds: this.subnetIds,
			securityGroupIds: this.securityGroupIds,
		});
	}
}
