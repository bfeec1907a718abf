import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type PolicyStatement, policyDocument } from "./access.ts";
import { SecureBucket, tlsOnlyStatement } from "./secure-bucket.ts";

/** Key prefixes of the log bucket, by source. */
export const LOG_PREFIXES = {
	lake: "s3/lake/",
	site: "s3/report-site/",
	/** Where CloudFront's log delivery writes (it prefixes every key with this). */
	cloudfront: "AWSLogs/",
} as const;

export interface LogBucketArgs {
	/** Days a log object is kept. Default 365. */
	retentionDays?: number;
	retainOnDelete?: boolean;
	tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** Who may write logs into the bucket (`LogBucket.authorize`). */
export interface LogSources {
	/** Buckets whose S3 server access logs land here (by ARN), each under its prefix. */
	s3: Array<{ bucketArn: pulumi.Input<string>; prefix: string }>;
	/** Admit CloudFront standard logs (v2, CloudWatch Logs delivery from us-east-1), under AWSLogs/<account>/CloudFront/. */
	cloudfront?: boolean;
}

/**
 * The dedicated log bucket: S3 server access logs of the lake and the site
 * bucket, and the report distribution's CloudFront access logs. SSE-S3 (S3
 * server access logging cannot write to a bucket whose default encryption
 * is SSE-KMS), no ACLs (the log services are admitted by the bucket policy,
 * each only under its own prefix and only for this account's sources),
 * expiring after a year. Nothing but the log services writes here.
 */
export class LogBucket extends pulumi.ComponentResource {
	public readonly storage: SecureBucket;
	public readonly bucketName: pulumi.Output<string>;
	public readonly arn: pulumi.Output<string>;
	public policy?: aws.s3.BucketPolicy;
	private readonly logicalName: string;

	constructor(
		name: string,
		args: LogBucketArgs = {},
		opts?: pulumi.ComponentResourceOptions,
	) {
		super("spanishgas:storage:LogBucket", name, {}, opts);
		this.logicalName = name;
		const days = args.retentionDays ?? 365;
		if (!Number.isInteger(days) || days < 1)
			throw new Error(
				`LogBucket ${name}: retentionDays must be a positive integer, got ${days}`,
			);
		this.storage = new SecureBucket(
			name,
			{
				sseAlgorithm: "AES256",
				externalPolicy: true,
				retainOnDelete: args.retainOnDelete,
				tags: args.tags,
				lifecycleRules: [
					{
						id: "log-expiry",
						status: "Enabled",
						filter: {},
						expiration: { days },
					},
				],
			},
			{ parent: this },
		);
		this.bucketName = this.storage.bucketName;
		this.arn = this.storage.arn;
		this.registerOutputs({ bucketName: this.bucketName, arn: this.arn });
	}

	/**
	 * The bucket policy: TLS only, and each log service only for its sources
	 * and prefix. Called once the sources exist (they name this bucket as
	 * their log target, so the policy cannot be built with the bucket).
	 */
	authorize(sources: LogSources): aws.s3.BucketPolicy {
		if (this.policy) throw new Error("LogBucket: authorize() once");
		const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
		this.policy = new aws.s3.BucketPolicy(
			`${this.logicalName}-policy`,
			{
				bucket: this.storage.bucket.id,
				policy: pulumi
					.all([
						this.arn,
						account,
						pulumi.all(sources.s3.map((s) => pulumi.output(s.bucketArn))),
					])
					.apply(([arn, acct, sourceArns]) => {
						const statements: PolicyStatement[] = [tlsOnlyStatement(arn)];
						for (const [i, s] of sources.s3.entries())
							statements.push({
								Sid: `S3ServerAccessLogs${i}`,
								Effect: "Allow",
								Principal: { Service: "logging.s3.amazonaws.com" },
								Action: "s3:PutObject",
								Resource: `${arn}/${s.prefix}*`,
								Condition: {
									StringEquals: { "aws:SourceAccount": acct },
									ArnEquals: { "aws:SourceArn": sourceArns[i] },
								},
							});
						if (sources.cloudfront)
							statements.push({
								Sid: "CloudFrontAccessLogs",
								Effect: "Allow",
								Principal: { Service: "delivery.logs.amazonaws.com" },
								Action: "s3:PutObject",
								Resource: `${arn}/${LOG_PREFIXES.cloudfront}${acct}/CloudFront/*`,
								Condition: {
									StringEquals: {
										"aws:SourceAccount": acct,
										"s3:x-amz-acl": "bucket-owner-full-control",
									},
									ArnLike: {
										"aws:SourceArn": `arn:aws:logs:us-east-1:${acct}:delivery-source:*`,
									},
								},
							});
						return JSON.stringify(policyDocument(statements));
					}),
			},
			{ parent: this, dependsOn: [this.storage.publicAccessBlock] },
		);
		return this.policy;
	}
}
