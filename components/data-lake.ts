import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyDocument } from "./access.ts";
import { SecureBucket } from "./secure-bucket.ts";

/**
 * Default days a raw upload (`raw/<batch>/…`, customer-level personal data)
 * is kept: long enough for the batch's run, its reruns and the weekly
 * retrain on the latest batch (batches arrive monthly); every derived
 * table a later run needs is under `runs/`. docs/security.md, "Lake".
 */
export const RAW_RETENTION_DAYS = 90;

/** Object tag the lake's writer sets on run outputs, by layer (the lifecycle rules filter on it). */
export const LAYER_TAG = "layer";

export interface DataLakeArgs {
	/** Days before bronze objects move to STANDARD_IA. Default 90. */
	bronzeInfrequentAccessDays?: number;
	/** Days before scored outputs (scores, recommendations) expire. Default 365. */
	scoredExpirationDays?: number;
	/** Days a raw upload is kept before it expires. Default {@link RAW_RETENTION_DAYS}. */
	rawRetentionDays?: number;
	/** Where the lake's S3 server access logs go (a LogBucket's name) and under which prefix. Default none. */
	accessLogs?: { bucket: pulumi.Input<string>; prefix: string };
	/** Days noncurrent object versions are kept. Default 30. */
	noncurrentVersionDays?: number;
	/** Keep the bucket when the stack is destroyed (prod). Default false. */
	retainOnDelete?: boolean;
	tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

function positiveInt(name: string, key: string, v: number): number {
	if (!Number.isInteger(v) || v < 1)
		throw new Error(
			`DataLake ${name}: ${key} must be a positive integer, got ${v}`,
		);
	return v;
}

/**
 * The data lake: one S3 bucket holding `raw/<batch>/…` uploads, every run's
 * outputs under `runs/<runId>/…`, the model artifacts under `models/…`, the
 * `latest.json` pointer and the report data under `reports/…` — the same keys
 * as the local `data/` folder.
 *
 * Encrypted with its own customer-managed KMS key (yearly rotation, S3
 * bucket keys), versioned, private, TLS-only, server access logs to the log
 * bucket. The key policy lets principals of this account use the key only
 * through S3 in this region, so a role's S3 grant stays the one gate (as
 * with the AWS-managed key), while the key can be audited, disabled and
 * scheduled for deletion by the account alone.
 *
 * Lifecycle: raw uploads expire after 90 days (personal data, configurable),
 * bronze outputs move to STANDARD_IA after 90 days and scored outputs expire
 * after 365. S3 lifecycle filters cannot match a layer in the
 * middle of a key (`runs/<runId>/bronze/…`), so the rules filter on the
 * object tag `layer=<bronze|scored>` under `runs/`, which the S3 object store
 * sets when it writes a run output.
 */
export class DataLake extends pulumi.ComponentResource {
	public readonly storage: SecureBucket;
	public readonly bucket: aws.s3.Bucket;
	public readonly bucketName: pulumi.Output<string>;
	public readonly arn: pulumi.Output<string>;
	public readonly key: aws.kms.Key;
	public readonly keyArn: pulumi.Output<string>;

	constructor(
		name: string,
		args: DataLakeArgs = {},
		opts?: pulumi.ComponentResourceOptions,
	) {
		super("spanishgas:storage:DataLake", name, {}, opts);
		const iaDays = positiveInt(
			name,
			"bronzeInfrequentAccessDays",
			args.bronzeInfrequentAccessDays ?? 90,
		);
		if (iaDays < 30)
			throw new Error(
				`DataLake ${name}: bronzeInfrequentAccessDays must be at least 30 (S3's minimum for STANDARD_IA), got ${iaDays}`,
			);
		const expireDays = positiveInt(
			name,
			"scoredExpirationDays",
			args.scoredExpirationDays ?? 365,
		);
		const rawDays = positiveInt(
			name,
			"rawRetentionDays",
			args.rawRetentionDays ?? RAW_RETENTION_DAYS,
		);
		const caller = aws.getCallerIdentityOutput({}, { parent: this });
		const region = aws.getRegionOutput({}, { parent: this });
		this.key = new aws.kms.Key(
			`${name}-key`,
			{
				description: "SpanishGas data lake (SSE-KMS)",
				enableKeyRotation: true,
				rotationPeriodInDays: 365,
				deletionWindowInDays: 30,
				policy: pulumi
					.all([caller.accountId, region.region])
					.apply(([account, r]) => JSON.stringify(lakeKeyPolicy(account, r))),
				tags: args.tags,
			},
			{ parent: this, retainOnDelete: args.retainOnDelete },
		);
		this.keyArn = this.key.arn;
		this.storage = new SecureBucket(
			name,
			{
				sseAlgorithm: "aws:kms",
				kmsKeyArn: this.key.arn,
				accessLogs: args.accessLogs,
				retainOnDelete: args.retainOnDelete,
				noncurrentVersionDays: args.noncurrentVersionDays,
				tags: args.tags,
				lifecycleRules: [
					{
						id: "raw-expiry",
						status: "Enabled",
						filter: { prefix: "raw/" },
						expiration: { days: rawDays },
					},
					{
						id: "bronze-to-infrequent-access",
						status: "Enabled",
						filter: {
							and: { prefix: "runs/", tags: { [LAYER_TAG]: "bronze" } },
						},
						transitions: [{ days: iaDays, storageClass: "STANDARD_IA" }],
					},
					{
						id: "scored-expiry",
						status: "Enabled",
						filter: {
							and: { prefix: "runs/", tags: { [LAYER_TAG]: "scored" } },
						},
						expiration: { days: expireDays },
					},
				],
			},
			{ parent: this },
		);
		this.bucket = this.storage.bucket;
		this.bucketName = this.storage.bucketName;
		this.arn = this.storage.arn;
		this.registerOutputs({
			bucketName: this.bucketName,
			arn: this.arn,
			keyArn: this.keyArn,
		});
	}
}

/**
 * The lake key's policy: the account administers it (IAM policies can then
 * grant it, and no one is locked out), and principals of this account may
 * use it only through S3 in the lake's region — the AWS-managed S3 key's
 * rule, on a key the platform owns.
 */
export function lakeKeyPolicy(account: string, region: string) {
	return policyDocument([
		{
			Sid: "AccountAdministersKey",
			Effect: "Allow",
			Principal: { AWS: `arn:aws:iam::${account}:root` },
			Action: "kms:*",
			Resource: "*",
		},
		{
			Sid: "UseThroughS3Only",
			Effect: "Allow",
			Principal: { AWS: "*" },
			Action: [
				"kms:Encrypt",
				"kms:Decrypt",
				"kms:ReEncrypt*",
				"kms:GenerateDataKey*",
				"kms:DescribeKey",
			],
			Resource: "*",
			Condition: {
				StringEquals: {
					"kms:CallerAccount": account,
					"kms:ViaService": `s3.${region}.amazonaws.com`,
				},
			},
		},
	]);
}
