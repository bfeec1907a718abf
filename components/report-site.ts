import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy, policyDocument } from "./access.ts";
import {
	AUTH_CALLBACK_PATH,
	type EdgeAuthConfig,
	edgeAuthCode,
	REPORT_READERS_GROUP,
} from "./report-auth.ts";
import { ROLE_PATH } from "./runtime-function.ts";
import { SecureBucket, tlsOnlyStatement } from "./secure-bucket.ts";

/** CloudFront's managed "SecurityHeadersPolicy" response headers policy (HSTS, nosniff, frame options…). */
export const SECURITY_HEADERS_POLICY_ID =
	"67f7725c-6f97-4210-82d7-5512b31e9d03";

/** CloudFront's global resources (WAF web ACL, Lambda@Edge, their logs) live in us-east-1. */
export const EDGE_REGION = "us-east-1";

/** The minimum TLS version viewers must use with a custom domain. */
export const MIN_TLS_POLICY = "TLSv1.2_2021";

/** Default requests per 5 minutes from one IP address before the WAF blocks it. */
export const DEFAULT_RATE_LIMIT = 300;

export interface ReportSiteArgs {
	/** CloudFront price class. Default PriceClass_100 (Europe and North America). */
	priceClass?: "PriceClass_100" | "PriceClass_200" | "PriceClass_All";
	/** Seconds a page is cached at the edge by default. Default 300 (a new run shows within minutes). */
	defaultTtlSeconds?: number;
	/**
	 * A custom domain for the site: the name and an ACM certificate for it in
	 * us-east-1. Viewers then need TLS 1.2 or later (TLSv1.2_2021). Default:
	 * the distribution's cloudfront.net name.
	 */
	domain?: { name: string; certificateArn: pulumi.Input<string> };
	/** Requests per 5 minutes from one IP before the WAF blocks it. Default 300. */
	rateLimit?: number;
	/** Minutes a sign-in lasts (the ID token's validity, 5–1440). Default 60. */
	sessionMinutes?: number;
	/** Cognito group whose members may open the report. Default `report-readers`. */
	readersGroup?: string;
	/**
	 * Prefix of the user pool's sign-in domain (globally unique).
	 * Default `spanishgas-report-<stack>-<account id>`.
	 */
	authDomainPrefix?: string;
	/** The log bucket: CloudFront access logs and the site bucket's S3 access logs. Default none. */
	logs?: {
		bucketName: pulumi.Input<string>;
		bucketArn: pulumi.Input<string>;
		/** Prefix of the site bucket's S3 server access logs. */
		s3Prefix: string;
	};
	/** Keep the bucket and the user pool when the stack is destroyed. Default false. */
	retainOnDelete?: boolean;
	tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * The stakeholder report site: the static Evidence build in a private S3
 * bucket (encrypted, versioned, public access blocked, TLS-only) served only
 * through CloudFront with origin access control (the bucket policy admits
 * this distribution alone), HTTPS only, security headers, and
 *
 * - per-person sign-in: a Cognito user pool (administrators create the
 *   users; MFA required; members of the readers group only), checked on
 *   every request by a Lambda@Edge viewer-request function that verifies the
 *   pool's signed ID token in an HttpOnly cookie and sends everyone else to
 *   the pool's sign-in page (authorization code + PKCE);
 * - a WAF web ACL with a per-IP rate limit and AWS's IP reputation list;
 * - CloudFront access logs (standard logging v2) to the log bucket;
 * - TLS 1.2+ (TLSv1.2_2021) on a custom domain.
 *
 * docs/security.md argues each choice.
 */
export class ReportSite extends pulumi.ComponentResource {
	public readonly storage: SecureBucket;
	public readonly bucketName: pulumi.Output<string>;
	public readonly bucketArn: pulumi.Output<string>;
	public readonly originAccessControl: aws.cloudfront.OriginAccessControl;
	public readonly userPool: aws.cognito.UserPool;
	public readonly userPoolClient: aws.cognito.UserPoolClient;
	public readonly readersGroup: aws.cognito.UserGroup;
	public readonly authConfig: aws.ssm.Parameter;
	public readonly edgeRole: aws.iam.Role;
	public readonly edgeFunction: aws.lambda.Function;
	public readonly webAcl: aws.wafv2.WebAcl;
	public readonly distribution: aws.cloudfront.Distribution;
	public readonly policy: aws.s3.BucketPolicy;
	public readonly url: pulumi.Output<string>;
	public readonly distributionId: pulumi.Output<string>;
	public readonly userPoolId: pulumi.Output<string>;

	constructor(
		name: string,
		args: ReportSiteArgs = {},
		opts?: pulumi.ComponentResourceOptions,
	) {
		super("spanishgas:report:ReportSite", name, {}, opts);
		const ttl = args.defaultTtlSeconds ?? 300;
		if (!Number.isInteger(ttl) || ttl < 0 || ttl > 86400)
			throw new Error(
				`ReportSite ${name}: defaultTtlSeconds must be an integer from 0 to 86400, got ${ttl}`,
			);
		const rateLimit = args.rateLimit ?? DEFAULT_RATE_LIMIT;
		// WAF's bounds for a rate-based rule over 5 minutes.
		if (!Number.isInteger(rateLimit) || rateLimit < 10 || rateLimit > 2e9)
			throw new Error(
				`ReportSite ${name}: rateLimit must be an integer from 10 to 2000000000, got ${rateLimit}`,
			);
		const session = args.sessionMinutes ?? 60;
		if (!Number.isInteger(session) || session < 5 || session > 1440)
			throw new Error(
				`ReportSite ${name}: sessionMinutes must be an integer from 5 to 1440, got ${session}`,
			);
		const group = args.readersGroup ?? REPORT_READERS_GROUP;
		const stack = pulumi.getStack();
		const child = { parent: this };
		const account = aws.getCallerIdentityOutput({}, child).accountId;
		const region = aws.getRegionOutput({}, child).region;

		this.storage = new SecureBucket(
			`${name}-content`,
			{
				// CloudFront OAC reads SSE-S3 objects without a KMS key policy.
				sseAlgorithm: "AES256",
				externalPolicy: true,
				retainOnDelete: args.retainOnDelete,
				accessLogs: args.logs && {
					bucket: args.logs.bucketName,
					prefix: args.logs.s3Prefix,
				},
				tags: args.tags,
			},
			child,
		);
		this.bucketName = this.storage.bucketName;
		this.bucketArn = this.storage.arn;
		this.originAccessControl = new aws.cloudfront.OriginAccessControl(
			`${name}-oac`,
			{
				description: "SpanishGas churn report site",
				originAccessControlOriginType: "s3",
				signingBehavior: "always",
				signingProtocol: "sigv4",
			},
			child,
		);

		// --- identity: the user pool, its readers group and the sign-in client ---
		this.userPool = new aws.cognito.UserPool(
			`${name}-users`,
			{
				// Only administrators add people (docs/security.md, "Adding people").
				adminCreateUserConfig: { allowAdminCreateUserOnly: true },
				usernameAttributes: ["email"],
				autoVerifiedAttributes: ["email"],
				mfaConfiguration: "ON",
				softwareTokenMfaConfiguration: { enabled: true },
				passwordPolicy: {
					minimumLength: 14,
					requireLowercase: true,
					requireUppercase: true,
					requireNumbers: true,
					requireSymbols: true,
					temporaryPasswordValidityDays: 3,
				},
				accountRecoverySetting: {
					recoveryMechanisms: [{ name: "verified_email", priority: 1 }],
				},
				deletionProtection: args.retainOnDelete ? "ACTIVE" : "INACTIVE",
				tags: args.tags,
			},
			{ ...child, retainOnDelete: args.retainOnDelete },
		);
		this.userPoolId = this.userPool.id;
		this.readersGroup = new aws.cognito.UserGroup(
			`${name}-readers`,
			{
				userPoolId: this.userPool.id,
				name: group,
				description: "May open the SpanishGas churn report",
			},
			child,
		);
		const domainPrefix =
			args.authDomainPrefix ??
			pulumi.interpolate`spanishgas-report-${stack}-${account}`;
		const domain = new aws.cognito.UserPoolDomain(
			`${name}-signin`,
			{ userPoolId: this.userPool.id, domain: domainPrefix },
			child,
		);

		// --- the edge check: its configuration parameter, role and function ---
		const parameterName = `/spanishgas/${stack}/report-auth`;
		const functionName = `spanishgas-${stack}-report-auth`;
		this.edgeRole = new aws.iam.Role(
			`${name}-auth-role`,
			{
				path: ROLE_PATH,
				description: "Lambda@Edge sign-in check of the SpanishGas report",
				assumeRolePolicy: assumeRolePolicy([
					"lambda.amazonaws.com",
					"edgelambda.amazonaws.com",
				]),
				tags: args.tags,
			},
			child,
		);
		new aws.iam.RolePolicy(
			`${name}-auth-policy`,
			{
				role: this.edgeRole.id,
				policy: account.apply((acct) =>
					JSON.stringify(
						policyDocument([
							{
								// Lambda@Edge logs in the region that served the request, as us-east-1.<name>.
								Sid: "EdgeLogs",
								Effect: "Allow",
								Action: [
									"logs:CreateLogGroup",
									"logs:CreateLogStream",
									"logs:PutLogEvents",
								],
								Resource: `arn:aws:logs:*:${acct}:log-group:/aws/lambda/${EDGE_REGION}.${functionName}:*`,
							},
							{
								Sid: "ReadSignInConfig",
								Effect: "Allow",
								Action: "ssm:GetParameter",
								Resource: `arn:aws:ssm:${EDGE_REGION}:${acct}:parameter${parameterName}`,
							},
						]),
					),
				),
			},
			child,
		);
		this.edgeFunction = new aws.lambda.Function(
			`${name}-auth`,
			{
				name: functionName,
				region: EDGE_REGION,
				description: "Signs viewers of the SpanishGas report in (Cognito)",
				runtime: "nodejs22.x",
				handler: "index.handler",
				role: this.edgeRole.arn,
				// Viewer-request limits: 128 MB, 5 s.
				memorySize: 128,
				timeout: 5,
				publish: true,
				code: new pulumi.asset.AssetArchive({
					"index.js": new pulumi.asset.StringAsset(
						edgeAuthCode({ parameterName, parameterRegion: EDGE_REGION }),
					),
				}),
				tags: args.tags,
			},
			child,
		);

		// --- rate limiting ---
		const visibility = (metricName: string) => ({
			cloudwatchMetricsEnabled: true,
			sampledRequestsEnabled: true,
			metricName,
		});
		this.webAcl = new aws.wafv2.WebAcl(
			`${name}-waf`,
			{
				description: "SpanishGas churn report: rate limit and IP reputation",
				region: EDGE_REGION,
				scope: "CLOUDFRONT",
				defaultAction: { allow: {} },
				rules: [
					{
						name: "rate-limit-per-ip",
						priority: 0,
						action: { block: {} },
						statement: {
							rateBasedStatement: {
								limit: rateLimit,
								evaluationWindowSec: 300,
								aggregateKeyType: "IP",
							},
						},
						visibilityConfig: visibility("spanishgas-report-rate-limit"),
					},
					{
						name: "aws-ip-reputation",
						priority: 1,
						overrideAction: { none: {} },
						statement: {
							managedRuleGroupStatement: {
								vendorName: "AWS",
								name: "AWSManagedRulesAmazonIpReputationList",
							},
						},
						visibilityConfig: visibility("spanishgas-report-ip-reputation"),
					},
				],
				visibilityConfig: visibility("spanishgas-report"),
				tags: args.tags,
			},
			child,
		);

		const cachePolicy = new aws.cloudfront.CachePolicy(
			`${name}-cache`,
			{
				comment:
					"SpanishGas churn report: short TTL, a new run shows within minutes",
				minTtl: 0,
				defaultTtl: ttl,
				maxTtl: Math.max(ttl, 3600),
				parametersInCacheKeyAndForwardedToOrigin: {
					// The sign-in cookie is checked at the viewer request, never cached on.
					cookiesConfig: { cookieBehavior: "none" },
					headersConfig: { headerBehavior: "none" },
					queryStringsConfig: { queryStringBehavior: "none" },
					enableAcceptEncodingGzip: true,
					enableAcceptEncodingBrotli: true,
				},
			},
			child,
		);
		const originId = "report-bucket";
		this.distribution = new aws.cloudfront.Distribution(
			`${name}-cdn`,
			{
				enabled: true,
				comment: "SpanishGas churn report",
				defaultRootObject: "index.html",
				httpVersion: "http2and3",
				isIpv6Enabled: true,
				priceClass: args.priceClass ?? "PriceClass_100",
				aliases: args.domain ? [args.domain.name] : undefined,
				webAclId: this.webAcl.arn,
				origins: [
					{
						originId,
						domainName: this.storage.bucket.bucketRegionalDomainName,
						originAccessControlId: this.originAccessControl.id,
					},
				],
				defaultCacheBehavior: {
					targetOriginId: originId,
					viewerProtocolPolicy: "redirect-to-https",
					allowedMethods: ["GET", "HEAD"],
					cachedMethods: ["GET", "HEAD"],
					compress: true,
					cachePolicyId: cachePolicy.id,
					responseHeadersPolicyId: SECURITY_HEADERS_POLICY_ID,
					lambdaFunctionAssociations: [
						{
							eventType: "viewer-request",
							lambdaArn: this.edgeFunction.qualifiedArn,
							includeBody: false,
						},
					],
				},
				restrictions: { geoRestriction: { restrictionType: "none" } },
				viewerCertificate: args.domain
					? {
							acmCertificateArn: args.domain.certificateArn,
							sslSupportMethod: "sni-only",
							minimumProtocolVersion: MIN_TLS_POLICY,
						}
					: { cloudfrontDefaultCertificate: true },
				tags: args.tags,
			},
			child,
		);
		const siteHost = args.domain
			? pulumi.output(args.domain.name)
			: this.distribution.domainName;
		this.url = pulumi.interpolate`https://${siteHost}/`;
		this.userPoolClient = new aws.cognito.UserPoolClient(
			`${name}-client`,
			{
				userPoolId: this.userPool.id,
				// A public client (no secret to store at the edge): the code flow with PKCE.
				generateSecret: false,
				allowedOauthFlowsUserPoolClient: true,
				allowedOauthFlows: ["code"],
				allowedOauthScopes: ["openid", "email"],
				supportedIdentityProviders: ["COGNITO"],
				callbackUrls: [
					pulumi.interpolate`https://${siteHost}${AUTH_CALLBACK_PATH}`,
				],
				logoutUrls: [this.url],
				explicitAuthFlows: ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
				preventUserExistenceErrors: "ENABLED",
				enableTokenRevocation: true,
				idTokenValidity: session,
				accessTokenValidity: session,
				refreshTokenValidity: 1,
				tokenValidityUnits: {
					idToken: "minutes",
					accessToken: "minutes",
					refreshToken: "days",
				},
			},
			child,
		);
		this.authConfig = new aws.ssm.Parameter(
			`${name}-auth-config`,
			{
				name: parameterName,
				region: EDGE_REGION,
				type: "String",
				description:
					"Sign-in settings of the SpanishGas report's edge function",
				// Identifiers, no secret (the client has none): plain, visible in previews.
				insecureValue: pulumi
					.all([
						this.userPool.id,
						this.userPoolClient.id,
						domain.domain,
						region,
					])
					.apply(([poolId, clientId, prefix, r]) =>
						JSON.stringify({
							issuer: `https://cognito-idp.${r}.amazonaws.com/${poolId}`,
							clientId,
							authDomain: `https://${prefix}.auth.${r}.amazoncognito.com`,
							group,
						} satisfies EdgeAuthConfig),
					),
				tags: args.tags,
			},
			child,
		);

		if (args.logs) {
			// CloudFront standard logging (v2): source and destination in us-east-1, objects in the log bucket.
			const source = new aws.cloudwatch.LogDeliverySource(
				`${name}-access-logs`,
				{
					name: `spanishgas-${stack}-report-access`,
					region: EDGE_REGION,
					logType: "ACCESS_LOGS",
					resourceArn: this.distribution.arn,
					tags: args.tags,
				},
				child,
			);
			const destination = new aws.cloudwatch.LogDeliveryDestination(
				`${name}-access-logs-bucket`,
				{
					name: `spanishgas-${stack}-report-access-s3`,
					region: EDGE_REGION,
					outputFormat: "json",
					deliveryDestinationConfiguration: {
						destinationResourceArn: args.logs.bucketArn,
					},
					tags: args.tags,
				},
				child,
			);
			new aws.cloudwatch.LogDelivery(
				`${name}-access-logs-delivery`,
				{
					deliverySourceName: source.name,
					region: EDGE_REGION,
					deliveryDestinationArn: destination.arn,
					s3DeliveryConfigurations: [
						{
							suffixPath: "report/{DistributionId}/{yyyy}/{MM}/{dd}/{HH}",
							enableHiveCompatiblePath: false,
						},
					],
					tags: args.tags,
				},
				child,
			);
		}

		this.policy = new aws.s3.BucketPolicy(
			`${name}-content-policy`,
			{
				bucket: this.storage.bucket.id,
				policy: pulumi
					.all([this.storage.arn, this.distribution.arn])
					.apply(([bucketArn, distributionArn]) =>
						JSON.stringify(
							policyDocument([
								tlsOnlyStatement(bucketArn),
								{
									Sid: "CloudFrontReadsThroughOAC",
									Effect: "Allow",
									Principal: { Service: "cloudfront.amazonaws.com" },
									Action: "s3:GetObject",
									Resource: `${bucketArn}/*`,
									Condition: {
										StringEquals: { "AWS:SourceArn": distributionArn },
									},
								},
							]),
						),
					),
			},
			{ ...child, dependsOn: [this.storage.publicAccessBlock] },
		);
		this.distributionId = this.distribution.id;
		this.registerOutputs({
			url: this.url,
			bucketName: this.bucketName,
			distributionId: this.distributionId,
			userPoolId: this.userPoolId,
		});
	}
}
