/**
 * What the platform's Fargate task definitions share (the report build,
 * components/report-build.ts, and the stage tasks, components/stage-task.ts):
 * the valid sizes and the execution role that pulls the image and ships the
 * logs.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy, policyDocument } from "./access.ts";
import { ROLE_PATH } from "./runtime-function.ts";

/** Fargate CPU units → memory (MB) range and step, as Fargate accepts them. */
export const FARGATE_SIZES: Readonly<
	Record<number, readonly [min: number, max: number, step: number]>
> = {
	1024: [2048, 8192, 1024],
	2048: [4096, 16384, 1024],
	4096: [8192, 30720, 1024],
	8192: [16384, 61440, 4096],
	16384: [32768, 122880, 8192],
};

/** Throws naming the component when cpu/memory/storage are not a Fargate size. */
export function checkFargateSize(
	what: string,
	cpu: number,
	memoryMb: number,
	ephemeralStorageGiB: number,
): void {
	const range = FARGATE_SIZES[cpu];
	if (!range)
		throw new Error(
			`${what}: cpu must be one of ${Object.keys(FARGATE_SIZES).join(", ")}, got ${cpu}`,
		);
	const [min, max, step] = range;
	if (
		!Number.isInteger(memoryMb) ||
		memoryMb < min ||
		memoryMb > max ||
		memoryMb % step !== 0
	)
		throw new Error(
			`${what}: memoryMb must be a multiple of ${step} from ${min} to ${max} for cpu ${cpu}, got ${memoryMb}`,
		);
	if (
		!Number.isInteger(ephemeralStorageGiB) ||
		ephemeralStorageGiB < 21 ||
		ephemeralStorageGiB > 200
	)
		throw new Error(
			`${what}: ephemeralStorageGiB must be an integer from 21 to 200, got ${ephemeralStorageGiB}`,
		);
}

/**
 * A task execution role that may pull only `repositoryArn`'s images and
 * write only `logGroupArn`'s streams (ECR login has no resource-level
 * permissions).
 */
export function executionRole(
	name: string,
	args: {
		repositoryArn: pulumi.Input<string>;
		logGroupArn: pulumi.Input<string>;
		tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
	},
	opts: pulumi.CustomResourceOptions,
): { role: aws.iam.Role; policy: aws.iam.RolePolicy } {
	const role = new aws.iam.Role(
		`${name}-execution-role`,
		{
			path: ROLE_PATH,
			assumeRolePolicy: assumeRolePolicy("ecs-tasks.amazonaws.com"),
			tags: args.tags,
		},
		opts,
	);
	const policy = new aws.iam.RolePolicy(
		`${name}-execution-policy`,
		{
			role: role.id,
			policy: pulumi
				.all([args.repositoryArn, args.logGroupArn])
				.apply(([repo, logs]) =>
					JSON.stringify(
						policyDocument([
							{
								Sid: "EcrLogin",
								Effect: "Allow",
								Action: "ecr:GetAuthorizationToken",
								Resource: "*",
							},
							{
								Sid: "PullTaskImage",
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
		opts,
	);
	return { role, policy };
}
