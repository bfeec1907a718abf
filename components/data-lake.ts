import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SecureBucket } from "./secure-bucket.ts";

/** Object tag the lake's writer sets on run outputs, by layer (the lifecycle rules filter on it). */
export const LAYER_TAG = "layer";

export interface DataLakeArgs {
	/** Days before bronze objects move to STANDARD_IA. Default 90. */
	bronzeInfrequentAccessDays?: number;
	/** Days before scored outputs (scores, recommendations) expire. Default 365. */
	scoredExpirationDays?: number;
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
 * Encrypted (SSE-KMS, AWS-managed key), versioned, private, TLS-only.
 * Lifecycle: bronze outputs move to STANDARD_IA after 90 days and scored
 * outputs expire after 365. S3 lifecycle filters cannot match a layer in the
 * middle of a key (`runs/<runId>/bronze/…`), so the rules filter on the
 * object tag `layer=<bronze|scored>` under `runs/`, which the S3 object store
 * sets when it writes a run output.
 */
export class DataLake extends pulumi.ComponentResource {
	public readonly storage: SecureBucket;
	public readonly bucket: aws.s3.Bucket;
	public readonly bucketName: pulumi.Output<string>;
	public readonly arn: pulumi.Output<string>;

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
		this.storage = new SecureBucket(
			name,
			{
				sseAlgorithm: "aws:kms",
				retainOnDelete: args.retainOnDelete,
				noncurrentVersionDays: args.noncurrentVersionDays,
				tags: args.tags,
				lifecycleRules: [
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
		this.registerOutputs({ bucketName: this.bucketName, arn: this.arn });
	}
}
