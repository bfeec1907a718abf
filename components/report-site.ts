import { createHash } from "node:crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyDocument } from "./access.ts";
import { SecureBucket, tlsOnlyStatement } from "./secure-bucket.ts";

/** CloudFront's managed "SecurityHeadersPolicy" response headers policy (HSTS, nosniff, frame options…). */
export const SECURITY_HEADERS_POLICY_ID =
	"67f7725c-6f97-4210-82d7-5512b31e9d03";

/** Minimum length of the report password. */
export const MIN_PASSWORD_LENGTH = 12;

/**
 * The viewer-request function (CloudFront Functions, cloudfront-js-2.0) that
 * gates the site: a request needs HTTP Basic credentials whose
 * `Authorization` header hashes (SHA-256) to the expected value, so the
 * password itself is not in the function code. It also maps folder URLs to
 * their `index.html`, as the static Evidence build lays pages out.
 */
export function basicAuthFunctionCode(
	username: string,
	password: string,
): string {
	if (username.length === 0 || username.includes(":"))
		throw new Error(
			`ReportSite: username must be non-empty and contain no ":", got ${JSON.stringify(username)}`,
		);
	if (password.length < MIN_PASSWORD_LENGTH)
		throw new Error(
			`ReportSite: password must be at least ${MIN_PASSWORD_LENGTH} characters (set it with \`pulumi config set --secret spanishgas:reportPassword <value>\`)`,
		);
	const header = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
	const expected = createHash("sha256").update(header).digest("hex");
	return `var crypto = require("crypto");
var EXPECTED = "${expected}";
function handler(event) {
  var request = event.request;
  var auth = request.headers.authorization;
  if (!auth || crypto.createHash("sha256").update(auth.value).digest("hex") !== EXPECTED) {
    return {
      statusCode: 401,
      statusDescription: "Unauthorized",
      headers: {
        "www-authenticate": { value: 'Basic realm="SpanishGas churn report", charset="UTF-8"' },
        "cache-control": { value: "no-store" }
      }
    };
  }
  var uri = request.uri;
  if (uri.endsWith("/")) {
    request.uri = uri + "index.html";
  } else if (uri.split("/").pop().indexOf(".") === -1) {
    request.uri = uri + "/index.html";
  }
  return request;
}
`;
}

export interface ReportSiteArgs {
	/** User name of the Basic credential. Default `spanishgas`. */
	username?: string;
	/** Password of the Basic credential (a stack secret, ≥ 12 characters). */
	password: pulumi.Input<string>;
	/** CloudFront price class. Default PriceClass_100 (Europe and North America). */
	priceClass?: "PriceClass_100" | "PriceClass_200" | "PriceClass_All";
	/** Seconds a page is cached at the edge by default. Default 300 (a new run shows within minutes). */
	defaultTtlSeconds?: number;
	/** Keep the bucket when the stack is destroyed. Default false. */
	retainOnDelete?: boolean;
	tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * The stakeholder report site: the static Evidence build in a private S3
 * bucket (encrypted, versioned, public access blocked, TLS-only) served only
 * through CloudFront with origin access control (the bucket policy admits
 * this distribution alone), HTTPS only, security headers, and an access gate:
 * a CloudFront Function that asks for HTTP Basic credentials whose password
 * is a stack secret.
 */
export class ReportSite extends pulumi.ComponentResource {
	public readonly storage: SecureBucket;
	public readonly bucketName: pulumi.Output<string>;
	public readonly bucketArn: pulumi.Output<string>;
	public readonly originAccessControl: aws.cloudfront.OriginAccessControl;
	public readonly gate: aws.cloudfront.Function;
	public readonly distribution: aws.cloudfront.Distribution;
	public readonly policy: aws.s3.BucketPolicy;
	public readonly url: pulumi.Output<string>;
	public readonly distributionId: pulumi.Output<string>;

	constructor(
		name: string,
		args: ReportSiteArgs,
		opts?: pulumi.ComponentResourceOptions,
	) {
		super("spanishgas:report:ReportSite", name, {}, opts);
		if (args.password === undefined || args.password === "")
			throw new Error(
				`ReportSite ${name}: password is required (set it with \`pulumi config set --secret spanishgas:reportPassword <value>\`)`,
			);
		const ttl = args.defaultTtlSeconds ?? 300;
		if (!Number.isInteger(ttl) || ttl < 0 || ttl > 86400)
			throw new Error(
				`ReportSite ${name}: defaultTtlSeconds must be an integer from 0 to 86400, got ${ttl}`,
			);
		const username = args.username ?? "spanishgas";
		if (typeof args.password === "string")
			basicAuthFunctionCode(username, args.password); // validate now, not at deployment
		const child = { parent: this };
		this.storage = new SecureBucket(
			`${name}-content`,
			{
				// CloudFront OAC reads SSE-S3 objects without a KMS key policy.
				sseAlgorithm: "AES256",
				externalPolicy: true,
				retainOnDelete: args.retainOnDelete,
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
		this.gate = new aws.cloudfront.Function(
			`${name}-gate`,
			{
				runtime: "cloudfront-js-2.0",
				comment: "Basic-auth gate of the SpanishGas churn report",
				publish: true,
				code: pulumi
					.secret(args.password)
					.apply((pw) => basicAuthFunctionCode(username, pw)),
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
					functionAssociations: [
						{ eventType: "viewer-request", functionArn: this.gate.arn },
					],
				},
				restrictions: { geoRestriction: { restrictionType: "none" } },
				viewerCertificate: { cloudfrontDefaultCertificate: true },
				tags: args.tags,
			},
			child,
		);
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
		this.url = pulumi.interpolate`https://${this.distribution.domainName}/`;
		this.distributionId = this.distribution.id;
		this.registerOutputs({
			url: this.url,
			bucketName: this.bucketName,
			distributionId: this.distributionId,
		});
	}
}
