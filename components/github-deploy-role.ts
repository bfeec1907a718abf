import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyDocument } from "./access.ts";
import { ROLE_PATH } from "./runtime-function.ts";

export const GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com";

export interface GithubDeployRoleArgs {
	/** The repository, `owner/name`. Only its workflows may assume the roles. */
	repository: string;
	/** Branch whose pushes deploy (`pulumi up`). Default main. */
	branch?: string;
	/**
	 * ARN of an existing GitHub OIDC provider. An account holds one provider
	 * per URL, so the second stack in an account passes the first one's
	 * (output `githubOidcProviderArn`). Default: create it.
	 */
	existingProviderArn?: pulumi.Input<string>;
	tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

const REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/**
 * CI/CD access without stored AWS keys: the GitHub Actions OIDC provider and
 * two roles only this repository's workflows can assume —
 *
 * - the deploy role, for pushes to the deploy branch (`pulumi up`): AWS's
 *   PowerUserAccess (no IAM, no Organizations) plus IAM limited to the
 *   platform's own roles (path /spanishgas/) and their inline policies;
 * - the preview role, for pull requests (`pulumi preview`): ReadOnlyAccess.
 *
 * The first `pulumi up` of a stack runs with an administrator's credentials
 * (it creates these roles); from then on CI deploys.
 */
export class GithubDeployRole extends pulumi.ComponentResource {
	public readonly providerArn: pulumi.Output<string>;
	public readonly deployRole: aws.iam.Role;
	public readonly previewRole: aws.iam.Role;
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
		const branch = args.branch ?? "main";
		if (!/^[A-Za-z0-9._/-]+$/.test(branch))
			throw new Error(
				`GithubDeployRole ${name}: branch ${JSON.stringify(branch)} is not a branch name`,
			);
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
									"token.actions.githubusercontent.com:aud":
										"sts.amazonaws.com",
									"token.actions.githubusercontent.com:sub": subject,
								},
							},
						},
					]),
				),
			);
		const account = aws.getCallerIdentityOutput({}, child).accountId;
		this.deployRole = new aws.iam.Role(
			`${name}-deploy`,
			{
				path: ROLE_PATH,
				description: `pulumi up from ${args.repository}@${branch}`,
				assumeRolePolicy: trust(
					`repo:${args.repository}:ref:refs/heads/${branch}`,
				),
				maxSessionDuration: 3600,
				tags: args.tags,
			},
			child,
		);
		new aws.iam.RolePolicyAttachment(
			`${name}-deploy-power-user`,
			{
				role: this.deployRole.name,
				policyArn: "arn:aws:iam::aws:policy/PowerUserAccess",
			},
			child,
		);
		new aws.iam.RolePolicy(
			`${name}-deploy-platform-iam`,
			{
				role: this.deployRole.id,
				policy: account.apply((acct) =>
					JSON.stringify(
						policyDocument([
							{
								Sid: "PlatformRoles",
								Effect: "Allow",
								Action: [
									"iam:CreateRole",
									"iam:DeleteRole",
									"iam:GetRole",
									"iam:UpdateRole",
									"iam:TagRole",
									"iam:UntagRole",
									"iam:ListRoleTags",
									"iam:PassRole",
									"iam:PutRolePolicy",
									"iam:GetRolePolicy",
									"iam:DeleteRolePolicy",
									"iam:ListRolePolicies",
									"iam:ListAttachedRolePolicies",
									"iam:AttachRolePolicy",
									"iam:DetachRolePolicy",
									"iam:UpdateAssumeRolePolicy",
									"iam:ListInstanceProfilesForRole",
								],
								Resource: `arn:aws:iam::${acct}:role${ROLE_PATH}*`,
							},
							{
								Sid: "GithubOidcProvider",
								Effect: "Allow",
								Action: [
									"iam:GetOpenIDConnectProvider",
									"iam:TagOpenIDConnectProvider",
									"iam:UpdateOpenIDConnectProviderThumbprint",
								],
								Resource: `arn:aws:iam::${acct}:oidc-provider/token.actions.githubusercontent.com`,
							},
							{
								Sid: "ServiceLinkedRoles",
								Effect: "Allow",
								Action: "iam:CreateServiceLinkedRole",
								Resource: `arn:aws:iam::${acct}:role/aws-service-role/*`,
							},
						]),
					),
				),
			},
			child,
		);
		this.previewRole = new aws.iam.Role(
			`${name}-preview`,
			{
				path: ROLE_PATH,
				description: `pulumi preview for pull requests of ${args.repository}`,
				assumeRolePolicy: trust(`repo:${args.repository}:pull_request`),
				maxSessionDuration: 3600,
				tags: args.tags,
			},
			child,
		);
		new aws.iam.RolePolicyAttachment(
			`${name}-preview-read-only`,
			{
				role: this.previewRole.name,
				policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess",
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
