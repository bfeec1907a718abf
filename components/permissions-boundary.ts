import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyDocument } from "./access.ts";
import { ROLE_PATH } from "./runtime-function.ts";

/**
 * Everything a role of the platform may ever be granted (the stage, trigger,
 * state machine, scheduler, report task and report sign-in roles): the
 * permissions boundary every such role carries. Its inline policy is the
 * scope (least privilege, components/access.ts); the boundary is the cap that
 * still holds if a policy is widened by mistake or by a compromised deploy:
 * no IAM besides PassRole, no STS, no Organizations, no user or key creation.
 * docs/security.md, "CI deploy role".
 */
export const WORKLOAD_BOUNDARY_ACTIONS: readonly string[] = [
	// The lake and the report bucket (GetObjectVersion: runs pinned to object versions).
	"s3:GetObject",
	"s3:GetObjectVersion",
	"s3:PutObject",
	"s3:PutObjectTagging",
	"s3:DeleteObject",
	"s3:ListBucket",
	"s3:ListBucketVersions",
	// The DISTRIBUTED map writes its results as multipart uploads.
	"s3:ListMultipartUploadParts",
	"s3:AbortMultipartUpload",
	// The manifest and registry tables.
	"dynamodb:GetItem",
	"dynamodb:BatchGetItem",
	"dynamodb:ConditionCheckItem",
	"dynamodb:PutItem",
	"dynamodb:UpdateItem",
	"dynamodb:DeleteItem",
	"dynamodb:Query",
	"dynamodb:Scan",
	"dynamodb:TransactWriteItems",
	// The alert topic's and the lake's keys (through their services).
	"kms:Decrypt",
	"kms:GenerateDataKey",
	"sns:Publish",
	"sqs:SendMessage",
	"cloudwatch:PutMetricData",
	"logs:CreateLogGroup",
	"logs:CreateLogStream",
	"logs:PutLogEvents",
	"logs:CreateLogDelivery",
	"logs:GetLogDelivery",
	"logs:UpdateLogDelivery",
	"logs:DeleteLogDelivery",
	"logs:ListLogDeliveries",
	"logs:PutResourcePolicy",
	"logs:DescribeResourcePolicies",
	"logs:DescribeLogGroups",
	"lambda:InvokeFunction",
	"states:StartExecution",
	"states:DescribeExecution",
	"states:StopExecution",
	"ecs:RunTask",
	"ecs:StopTask",
	"ecs:DescribeTasks",
	"events:PutRule",
	"events:PutTargets",
	"events:DescribeRule",
	"ecr:GetAuthorizationToken",
	"ecr:BatchCheckLayerAvailability",
	"ecr:GetDownloadUrlForLayer",
	"ecr:BatchGetImage",
	// The state machine hands the report task its two roles.
	"iam:PassRole",
	// The report sign-in function reads its configuration parameter.
	"ssm:GetParameter",
];

export interface WorkloadBoundaryArgs {
	/** Policy name. Default `spanishgas-<stack>-workload-boundary`. */
	name?: string;
	tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** The workload permissions boundary: a managed policy of {@link WORKLOAD_BOUNDARY_ACTIONS}. */
export class WorkloadBoundary extends pulumi.ComponentResource {
	public readonly policy: aws.iam.Policy;
	public readonly arn: pulumi.Output<string>;
	public readonly name: string;

	constructor(
		name: string,
		args: WorkloadBoundaryArgs = {},
		opts?: pulumi.ComponentResourceOptions,
	) {
		super("spanishgas:security:WorkloadBoundary", name, {}, opts);
		this.name =
			args.name ?? `spanishgas-${pulumi.getStack()}-workload-boundary`;
		this.policy = new aws.iam.Policy(
			name,
			{
				name: this.name,
				path: ROLE_PATH,
				description:
					"Permissions boundary of every SpanishGas platform role (the cap, not the grant)",
				policy: JSON.stringify(
					policyDocument([
						{
							Sid: "PlatformServices",
							Effect: "Allow",
							Action: [...WORKLOAD_BOUNDARY_ACTIONS],
							Resource: "*",
						},
					]),
				),
				tags: args.tags,
			},
			{ parent: this },
		);
		this.arn = this.policy.arn;
		this.registerOutputs({ arn: this.arn });
	}
}

/**
 * A transformation that puts the boundary on every IAM role declared under
 * the component it is given to (the roles of all components, including those
 * that know nothing of it), except the roles listed in `except` (the CI
 * roles, which carry their own).
 */
export function withPermissionsBoundary(
	boundaryArn: pulumi.Input<string>,
	except: (name: string) => boolean = () => false,
): pulumi.ResourceTransformation {
	return (args) => {
		if (args.type !== "aws:iam/role:Role" || except(args.name))
			return undefined;
		return {
			props: { ...args.props, permissionsBoundary: boundaryArn },
			opts: args.opts,
		};
	};
}
