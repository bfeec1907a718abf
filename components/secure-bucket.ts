import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PolicyStatement } from "./access.ts";

/** Deny every request to the bucket that is not made over TLS. */
export function tlsOnlyStatement(bucketArn: string): PolicyStatement {
	return {
		Sid: "DenyInsecureTransport",
		Effect: "Deny",
		Principal: "*",
		Action: "s3:*",
		Resource: [bucketArn, `${bucketArn}/*`],
		Condition: { Bool: { "aws:SecureTransport": "false" } },
	};
}

export interface SecureBucketArgs {
	/**
	 * Server-side encryption: `"aws:kms"` (the account's AWS-managed S3 key,
	 * with bucket keys) or `"AES256"` (S3-managed keys; what CloudFront origin
	 * access control reads without a key policy). Default `"aws:kms"`.
	 */
	sseAlgorithm?: "aws:kms" | "AES256";
	/** With `"aws:kms"`: the customer-managed key (ARN). Default the account's AWS-managed S3 key. */
	kmsKeyArn?: pulumi.Input<string>;
	/** S3 server access logs of this bucket: target bucket (name) and key prefix. Default none. */
	accessLogs?: { bucket: pulumi.Input<string>; prefix: string };
	/** Keep the bucket (and its objects) when the stack is destroyed, and refuse to delete a non-empty bucket. Default false. */
	retainOnDelete?: boolean;
	/** Statements added to the bucket policy after the TLS-only deny. */
	extraPolicyStatements?: pulumi.Input<PolicyStatement[]>;
	/**
	 * Leave the bucket policy to the owner (who must include
	 * `tlsOnlyStatement`), for statements that reference resources created
	 * after the bucket, e.g. a CloudFront distribution. Default false.
	 */
	externalPolicy?: boolean;
	/** Days noncurrent object versions are kept. Default 30. */
	noncurrentVersionDays?: number;
	/** Lifecycle rules besides the noncurrent-version and multipart-upload clean-up. */
	lifecycleRules?: aws.types.input.s3.BucketLifecycleConfigurationRule[];
	tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * An S3 bucket that is secure by default: server-side encryption, versioning,
 * every public-access block on, object ownership enforced (no ACLs), and a
 * bucket policy that denies any request not made over TLS. Base of the data
 * lake and the report site bucket.
 */
export class SecureBucket extends pulumi.ComponentResource {
	public readonly bucket: aws.s3.Bucket;
	public readonly bucketName: pulumi.Output<string>;
	public readonly arn: pulumi.Output<string>;
	/** The bucket policy (undefined with externalPolicy). */
	public readonly policy?: aws.s3.BucketPolicy;
	/** The public-access block (a bucket policy must depend on it). */
	public readonly publicAccessBlock: aws.s3.BucketPublicAccessBlock;
	/** Resolves once encryption, versioning, blocks and policy are in place (depend on it before writing). */
	public readonly ready: pulumi.Output<string>;

	constructor(
		name: string,
		args: SecureBucketArgs = {},
		opts?: pulumi.ComponentResourceOptions,
	) {
		super("spanishgas:storage:SecureBucket", name, {}, opts);
		const noncurrentDays = args.noncurrentVersionDays ?? 30;
		if (!Number.isInteger(noncurrentDays) || noncurrentDays < 1)
			throw new Error(
				`SecureBucket ${name}: noncurrentVersionDays must be a positive integer, got ${noncurrentDays}`,
			);
		const child = { parent: this };
		this.bucket = new aws.s3.Bucket(
			name,
			{ forceDestroy: !args.retainOnDelete, tags: args.tags },
			{ ...child, retainOnDelete: args.retainOnDelete },
		);
		this.bucketName = this.bucket.bucket;
		this.arn = this.bucket.arn;
		const ownership = new aws.s3.BucketOwnershipControls(
			`${name}-ownership`,
			{
				bucket: this.bucket.id,
				rule: { objectOwnership: "BucketOwnerEnforced" },
			},
			child,
		);
		const block = new aws.s3.BucketPublicAccessBlock(
			`${name}-public-access`,
			{
				bucket: this.bucket.id,
				blockPublicAcls: true,
				blockPublicPolicy: true,
				ignorePublicAcls: true,
				restrictPublicBuckets: true,
			},
			child,
		);
		this.publicAccessBlock = block;
		const sse = args.sseAlgorithm ?? "aws:kms";
		if (args.kmsKeyArn !== undefined && sse !== "aws:kms")
			throw new Error(
				`SecureBucket ${name}: kmsKeyArn needs sseAlgorithm "aws:kms"`,
			);
		const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
			`${name}-encryption`,
			{
				bucket: this.bucket.id,
				rules: [
					{
						applyServerSideEncryptionByDefault: {
							sseAlgorithm: sse,
							kmsMasterKeyId: args.kmsKeyArn,
						},
						bucketKeyEnabled: sse === "aws:kms",
					},
				],
			},
			child,
		);
		const versioning = new aws.s3.BucketVersioning(
			`${name}-versioning`,
			{
				bucket: this.bucket.id,
				versioningConfiguration: { status: "Enabled" },
			},
			child,
		);
		const lifecycle = new aws.s3.BucketLifecycleConfiguration(
			`${name}-lifecycle`,
			{
				bucket: this.bucket.id,
				rules: [
					{
						id: "noncurrent-versions",
						status: "Enabled",
						filter: {},
						noncurrentVersionExpiration: { noncurrentDays },
						abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
					},
					...(args.lifecycleRules ?? []),
				],
			},
			{ ...child, dependsOn: [versioning] },
		);
		const logging = args.accessLogs
			? new aws.s3.BucketLogging(
					`${name}-access-logs`,
					{
						bucket: this.bucket.id,
						targetBucket: args.accessLogs.bucket,
						targetPrefix: args.accessLogs.prefix,
					},
					child,
				)
			: undefined;
		if (!args.externalPolicy)
			this.policy = new aws.s3.BucketPolicy(
				`${name}-policy`,
				{
					bucket: this.bucket.id,
					policy: pulumi
						.all([this.bucket.arn, pulumi.output(args.extraPolicyStatements)])
						.apply(([arn, extra]) =>
							JSON.stringify({
								Version: "2012-10-17",
								Statement: [
									tlsOnlyStatement(arn),
									...((extra as PolicyStatement[] | undefined) ?? []),
								],
							}),
						),
				},
				// A policy can only be attached once public policies are blocked.
				{ ...child, dependsOn: [block] },
			);
		this.ready = pulumi
			.all([
				ownership.id,
				block.id,
				encryption.id,
				versioning.id,
				lifecycle.id,
				this.policy?.id ?? "external",
				logging?.id ?? "no access logs",
			])
			.apply(() => "ready");
		this.registerOutputs({
			bucketName: this.bucketName,
			arn: this.arn,
		});
	}
}
