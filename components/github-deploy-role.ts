import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type PolicyStatement, policyDocument } from "./access.ts";
import { ROLE_PATH } from "./runtime-function.ts";

export const GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com";
const OIDC = "token.actions.githubusercontent.com";

/** The AWS managed policy of the deploy role: every service but IAM, Organizations and Account. */
export const DEPLOY_MANAGED_POLICY = "arn:aws:iam::aws:policy/PowerUserAccess";
/** The AWS managed policy of the preview role: List/Describe metadata, no data reads. */
export const PREVIEW_MANAGED_POLICY =
	"arn:aws:iam::aws:policy/job-function/ViewOnlyAccess";

/** Services the deploy role may pass the platform's roles to (iam:PassedToService). */
export const PASSED_TO_SERVICES = [
	"lambda.amazonaws.com",
	"states.amazonaws.com",
	"scheduler.amazonaws.com",
	"ecs-tasks.amazonaws.com",
] as const;

/** Service-linked roles a first deployment may need (ECS, Lambda@Edge replication and its logs). */
export const SERVICE_LINKED_ROLES = [
	"ecs.amazonaws.com",
	"replicator.lambda.amazonaws.com",
	"logger.cloudfront.amazonaws.com",
] as const;

/** IAM actions that change a role's permissions or trust. */
const ROLE_CHANGES = [
	"iam:PutRolePolicy",
	"iam:DeleteRolePolicy",
	"iam:AttachRolePolicy",
	"iam:DetachRolePolicy",
	"iam:PutRolePermissionsBoundary",
	"iam:DeleteRolePermissionsBoundary",
	"iam:UpdateAssumeRolePolicy",
	"iam:UpdateRole",
	"iam:UpdateRoleDescription",
	"iam:DeleteRole",
	"iam:TagRole",
	"iam:UntagRole",
];

/** IAM actions that change a managed policy (a boundary). */
const POLICY_CHANGES = [
	"iam:CreatePolicyVersion",
	"iam:DeletePolicyVersion",
	"iam:SetDefaultPolicyVersion",
	"iam:DeletePolicy",
	"iam:TagPolicy",
	"iam:UntagPolicy",
];

/**
 * Data reads the preview role is denied whatever its managed policy allows:
 * lake and report objects, table items, secrets and decryption, parameters,
 * logs (they carry run details), function and edge code, image layers, the
 * report's users.
 */
export const PREVIEW_DENIED_DATA_ACTIONS = [
	"s3:GetObject",
	"s3:GetObjectVersion",
	"s3:GetObjectAttributes",
	"s3:GetObjectTagging",
	"dynamodb:GetItem",
	"dynamodb:BatchGetItem",
	"dynamodb:Query",
	"dynamodb:Scan",
	"dynamodb:PartiQLSelect",
	"dynamodb:GetRecords",
	"dynamodb:ExportTableToPointInTime",
	"kms:Decrypt",
	"kms:GenerateDataKey",
	"secretsmanager:GetSecretValue",
	"ssm:GetParameter",
	"ssm:GetParameters",
	"ssm:GetParametersByPath",
	"logs:GetLogEvents",
	"logs:FilterLogEvents",
	"logs:StartQuery",
	"logs:GetQueryResults",
	"lambda:GetFunction",
	"cloudfront:GetFunction",
	"ecr:BatchGetImage",
	"ecr:GetDownloadUrlForLayer",
	"states:GetExecutionHistory",
	"states:DescribeExecution",
	"cognito-idp:ListUsers",
	"cognito-idp:ListUsersInGroup",
	"cognito-idp:AdminGetUser",
	"sns:ListSubscriptionsByTopic",
];

export interface GithubDeployRoleArgs {
	/** The repository, `owner/name`. Only its workflows may assume the roles. */
	repository: string;
	/**
	 * The GitHub environment whose jobs deploy this stack (`pulumi up`); its
	 * protection rules (required reviewers, deployment branch main) are the
	 * gate. The deploy role trusts only that environment's tokens
	 * (`sub = repo:<owner/name>:environment:<name>`). Default: the stack name.
	 */
	environment?: string;
	/**
	 * The permissions boundary (managed policy ARN) the deploy role must put on
	 * every role it creates or changes (WorkloadBoundary).
	 */
	workloadBoundaryArn: pulumi.Input<string>;
	/**
	 * ARN of an existing GitHub OIDC provider. An account holds one provider
	 * per URL, so the second stack in an account passes the first one's
	 * (output `githubOidcProviderArn`). Default: create it.
	 */
	existingProviderArn?: pulumi.Input<string>;
	/** Value of the `stack` tag on the roles the deploy role may manage. Default: the stack name. */
	stackTag?: string;
	tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

const REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const ENVIRONMENT = /^[A-Za-z0-9_.-]+$/;

/** The role and policy ARNs the deploy role's policies name (exported for the tests). */
export interface DeployArns {
	account: string;
	deployRole: string;
	previewRole: string;
	deployBoundary: string;
	workloadBoundary: string;
	provider: string;
}

/**
 * The deploy role's own permissions boundary: everything, except what would
 * let it escape its scope — changing itself, the preview role or either
 * boundary, removing or skipping the workload boundary on a role, creating
 * users, keys or OIDC trust, assuming other roles, Organizations/Account.
 */
export function deployBoundaryStatements(a: DeployArns): PolicyStatement[] {
	return [
		{ Sid: "Cap", Effect: "Allow", Action: "*", Resource: "*" },
		{
			Sid: "DenySelfChange",
			Effect: "Deny",
			Action: ROLE_CHANGES,
			Resource: [a.deployRole, a.previewRole],
		},
		{
			Sid: "DenyBoundaryChange",
			Effect: "Deny",
			Action: POLICY_CHANGES,
			Resource: [a.deployBoundary, a.workloadBoundary],
		},
		{
			Sid: "DenyBoundaryRemoval",
			Effect: "Deny",
			Action: "iam:DeleteRolePermissionsBoundary",
			Resource: "*",
		},
		{
			Sid: "DenyRolesWithoutWorkloadBoundary",
			Effect: "Deny",
			Action: [
				"iam:CreateRole",
				"iam:PutRolePermissionsBoundary",
				"iam:PutRolePolicy",
				"iam:DeleteRolePolicy",
				"iam:AttachRolePolicy",
				"iam:DetachRolePolicy",
			],
			Resource: "*",
			Condition: {
				StringNotEquals: { "iam:PermissionsBoundary": a.workloadBoundary },
			},
		},
		{
			Sid: "DenyIdentitiesAndTrust",
			Effect: "Deny",
			Action: [
				"iam:CreateUser",
				"iam:CreateAccessKey",
				"iam:CreateLoginProfile",
				"iam:UpdateLoginProfile",
				"iam:PutUserPolicy",
				"iam:AttachUserPolicy",
				"iam:AddUserToGroup",
				"iam:PutGroupPolicy",
				"iam:AttachGroupPolicy",
				"iam:CreateOpenIDConnectProvider",
				"iam:DeleteOpenIDConnectProvider",
				"iam:AddClientIDToOpenIDConnectProvider",
				"iam:RemoveClientIDFromOpenIDConnectProvider",
				"iam:UpdateOpenIDConnectProviderThumbprint",
				"iam:CreateSAMLProvider",
				"iam:UpdateSAMLProvider",
				"sts:AssumeRole",
				"sts:AssumeRoleWithSAML",
				"sts:AssumeRoleWithWebIdentity",
				"organizations:*",
				"account:*",
			],
			Resource: "*",
		},
	];
}

/**
 * The deploy role's IAM grants (besides PowerUserAccess, which has no IAM):
 * create and change only roles under the platform path that carry this
 * stack's tag and the workload boundary, pass them only to the platform's
 * services, read the boundaries and the OIDC provider.
 */
export function deployIamStatements(
	a: DeployArns,
	stackTag: string,
): PolicyStatement[] {
	const roles = `arn:aws:iam::${a.account}:role${ROLE_PATH}*`;
	return [
		{
			Sid: "ReadPlatformRoles",
			Effect: "Allow",
			Action: [
				"iam:GetRole",
				"iam:GetRolePolicy",
				"iam:ListRolePolicies",
				"iam:ListAttachedRolePolicies",
				"iam:ListRoleTags",
				"iam:ListInstanceProfilesForRole",
			],
			Resource: roles,
		},
		{
			Sid: "CreatePlatformRoles",
			Effect: "Allow",
			Action: "iam:CreateRole",
			Resource: roles,
			Condition: {
				StringEquals: {
					"iam:PermissionsBoundary": a.workloadBoundary,
					"aws:RequestTag/stack": stackTag,
				},
			},
		},
		{
			Sid: "ChangePlatformRolePolicies",
			Effect: "Allow",
			Action: [
				"iam:PutRolePolicy",
				"iam:DeleteRolePolicy",
				"iam:PutRolePermissionsBoundary",
			],
			Resource: roles,
			Condition: {
				StringEquals: {
					"iam:PermissionsBoundary": a.workloadBoundary,
					"aws:ResourceTag/stack": stackTag,
				},
			},
		},
		{
			Sid: "ChangePlatformRoles",
			Effect: "Allow",
			Action: [
				"iam:UpdateAssumeRolePolicy",
				"iam:UpdateRole",
				"iam:UpdateRoleDescription",
				"iam:DeleteRole",
				"iam:TagRole",
				"iam:UntagRole",
			],
			Resource: roles,
			Condition: { StringEquals: { "aws:ResourceTag/stack": stackTag } },
		},
		{
			Sid: "PassPlatformRoles",
			Effect: "Allow",
			Action: "iam:PassRole",
			Resource: roles,
			Condition: {
				StringEquals: {
					"aws:ResourceTag/stack": stackTag,
					"iam:PassedToService": [...PASSED_TO_SERVICES],
				},
			},
		},
		{
			Sid: "ReadBoundaries",
			Effect: "Allow",
			Action: [
				"iam:GetPolicy",
				"iam:GetPolicyVersion",
				"iam:ListPolicyVersions",
			],
			Resource: [a.deployBoundary, a.workloadBoundary],
		},
		{
			Sid: "ReadGithubOidcProvider",
			Effect: "Allow",
			Action: "iam:GetOpenIDConnectProvider",
			Resource: a.provider,
		},
		{
			Sid: "ServiceLinkedRoles",
			Effect: "Allow",
			Action: "iam:CreateServiceLinkedRole",
			Resource: `arn:aws:iam::${a.account}:role/aws-service-role/*`,
			Condition: {
				StringEquals: { "iam:AWSServiceName": [...SERVICE_LINKED_ROLES] },
			},
		},
		// Also in the boundary: an identity policy widened by mistake still cannot change the CI roles.
		{
			Sid: "DenySelfChange",
			Effect: "Deny",
			Action: ROLE_CHANGES,
			Resource: [a.deployRole, a.previewRole],
		},
	];
}

/**
 * CI/CD access without stored AWS keys: the GitHub Actions OIDC provider and
 * two roles only this repository's workflows can assume —
 *
 * - the deploy role, for the jobs of one GitHub environment (`pulumi up`):
 *   PowerUserAccess (no IAM) plus IAM limited to this stack's platform roles,
 *   which must carry the workload boundary; its own boundary denies every
 *   change to itself, the preview role and the boundaries;
 * - the preview role, for pull requests (`pulumi preview`): metadata only
 *   (ViewOnlyAccess) and an explicit deny of every data read.
 *
 * These roles are the trust anchor: an administrator creates and changes
 * them (`pulumi up` with administrator credentials, docs/security.md); the
 * deploy role is denied doing so.
 */
export class GithubDeployRole extends pulumi.ComponentResource {
	public readonly providerArn: pulumi.Output<string>;
	public readonly deployRole: aws.iam.Role;
	public readonly previewRole: aws.iam.Role;
	public readonly deployBoundary: aws.iam.Policy;
	public readonly deployRoleArn: pulumi.Output<string>;
	public readonly previewRoleArn: pulumi.Output<string>;

	constructor(
		name: string,
		args: GithubDeployRoleArgs,
		opts?: pulumi.ComponentResourceOptions,
	) {
		super("spanishgas:cicd:GithubDeployRole", name, {}, opts);
		if (!REPO.test(args.repository))
			throw new Error(
				`GithubDeployRole ${name}: repository must be "owner/name", got ${JSON.stringify(args.repository)}`,
			);
		const stack = pulumi.getStack();
		const environment = args.environment ?? stack;
		if (!ENVIRONMENT.test(environment))
			throw new Error(
				`GithubDeployRole ${name}: environment ${JSON.stringify(environment)} is not a GitHub environment name`,
			);
		const stackTag = args.stackTag ?? stack;
		const child = { parent: this };
		this.providerArn = args.existingProviderArn
			? pulumi.output(args.existingProviderArn)
			: new aws.iam.OpenIdConnectProvider(
					`${name}-oidc`,
					{
						url: GITHUB_OIDC_URL,
						clientIdLists: ["sts.amazonaws.com"],
						tags: args.tags,
					},
					child,
				).arn;
		const trust = (subject: string) =>
			this.providerArn.apply((arn) =>
				JSON.stringify(
					policyDocument([
						{
							Effect: "Allow",
							Principal: { Federated: arn },
							Action: "sts:AssumeRoleWithWebIdentity",
							Condition: {
								StringEquals: {
									[`${OIDC}:aud`]: "sts.amazonaws.com",
									[`${OIDC}:sub`]: subject,
								},
							},
						},
					]),
				),
			);
		const account = aws.getCallerIdentityOutput({}, child).accountId;
		// Fixed names, so the boundary can name the roles before they exist.
		const deployName = `spanishgas-${stack}-github-deploy`;
		const previewName = `spanishgas-${stack}-github-preview`;
		const deployBoundaryName = `spanishgas-${stack}-deploy-boundary`;
		const arns: pulumi.Output<DeployArns> = pulumi
			.all([account, args.workloadBoundaryArn, this.providerArn])
			.apply(([acct, workload, provider]) => ({
				account: acct,
				deployRole: `arn:aws:iam::${acct}:role${ROLE_PATH}${deployName}`,
				previewRole: `arn:aws:iam::${acct}:role${ROLE_PATH}${previewName}`,
				deployBoundary: `arn:aws:iam::${acct}:policy${ROLE_PATH}${deployBoundaryName}`,
				workloadBoundary: workload,
				provider,
			}));
		this.deployBoundary = new aws.iam.Policy(
			`${name}-deploy-boundary`,
			{
				name: deployBoundaryName,
				path: ROLE_PATH,
				description: `Permissions boundary of ${deployName}: no change to the CI roles or the boundaries, no role without the workload boundary`,
				policy: arns.apply((a) =>
					JSON.stringify(policyDocument(deployBoundaryStatements(a))),
				),
				tags: args.tags,
			},
			child,
		);
		this.deployRole = new aws.iam.Role(
			`${name}-deploy`,
			{
				name: deployName,
				path: ROLE_PATH,
				description: `pulumi up of stack ${stack} from ${args.repository}, environment ${environment}`,
				assumeRolePolicy: trust(
					`repo:${args.repository}:environment:${environment}`,
				),
				permissionsBoundary: this.deployBoundary.arn,
				maxSessionDuration: 3600,
				tags: args.tags,
			},
			child,
		);
		new aws.iam.RolePolicyAttachment(
			`${name}-deploy-power-user`,
			{ role: this.deployRole.name, policyArn: DEPLOY_MANAGED_POLICY },
			child,
		);
		new aws.iam.RolePolicy(
			`${name}-deploy-platform-iam`,
			{
				role: this.deployRole.id,
				policy: arns.apply((a) =>
					JSON.stringify(policyDocument(deployIamStatements(a, stackTag))),
				),
			},
			child,
		);
		this.previewRole = new aws.iam.Role(
			`${name}-preview`,
			{
				name: previewName,
				path: ROLE_PATH,
				description: `pulumi preview (metadata only) for pull requests of ${args.repository}`,
				assumeRolePolicy: trust(`repo:${args.repository}:pull_request`),
				maxSessionDuration: 3600,
				tags: args.tags,
			},
			child,
		);
		new aws.iam.RolePolicyAttachment(
			`${name}-preview-view-only`,
			{ role: this.previewRole.name, policyArn: PREVIEW_MANAGED_POLICY },
			child,
		);
		new aws.iam.RolePolicy(
			`${name}-preview-no-data`,
			{
				role: this.previewRole.id,
				policy: JSON.stringify(
					policyDocument([
						{
							Sid: "DenyDataReads",
							Effect: "Deny",
							Action: PREVIEW_DENIED_DATA_ACTIONS,
							Resource: "*",
						},
					]),
				),
			},
			child,
		);
		this.deployRoleArn = this.deployRole.arn;
		this.previewRoleArn = this.previewRole.arn;
		this.registerOutputs({
			providerArn: this.providerArn,
			deployRoleArn: this.deployRoleArn,
			previewRoleArn: this.previewRoleArn,
		});
	}
}
