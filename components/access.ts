/**
 * What each pipeline stage may touch: the lake prefixes it reads and writes,
 * the tables it uses and the services it calls. PipelineStage turns an entry
 * into the stage's IAM policy; the infrastructure tests check every deployed
 * role against this table. The stages' own entries live in their modules
 * (runtime/pipeline/stages/), re-exported here as STAGE_ACCESS.
 *
 * Prefix patterns are S3 key patterns (`*` matches within and across `/`,
 * as IAM resource ARNs do). Keys follow the lake layout:
 * `raw/<batch>/…`, `runs/<runId>/<layer>/…`, `models/<version>/…`,
 * `latest.json`, `reports/…`.
 */
import { METRIC_NAMESPACE } from "../runtime/contract.ts";
import type {
	StageAccess,
	TableAccess,
} from "../runtime/pipeline/stages/stage.ts";

export {
	LAMBDA_STAGES,
	type LambdaStage,
	STAGE_ACCESS,
} from "../runtime/pipeline/stages/index.ts";
export type {
	StageAccess,
	TableAccess,
} from "../runtime/pipeline/stages/stage.ts";

/** Partition keys of the manifest's run records (runtime/io/dynamodb-manifest.ts). */
export const RUN_ITEMS = ["RUN#*"] as const;
/** Partition keys of the manifest's batch claims. */
export const CLAIM_ITEMS = ["BATCH#*"] as const;
/** Partition keys of the registry's items, pointer and versions (runtime/model/aws-registry.ts). */
export const MODEL_ITEMS = ["MODEL#*"] as const;

/*
 * STAGE_ACCESS, the least-privilege map of the Lambda stages, is the
 * `lambda.access` of each stage module (runtime/pipeline/stages/<Stage>.ts,
 * next to the code that reads and writes through the Lake). It is checked
 * against the requests the packaged functions actually make
 * (test/infra-package.test.ts records every S3 request of a full run).
 */

/**
 * The batch trigger: reads the batch manifests (raw/<batch>/_manifest.json,
 * never the data files), lists the batch's uploads (s3:ListBucket under raw/
 * only: sizes come with the listing), reads latest.json for a rerun of the
 * last batch, claims the batch in the manifest.
 */
export const TRIGGER_ACCESS: StageAccess = {
	manifest: "readwrite",
	manifestKeys: [...RUN_ITEMS, ...CLAIM_ITEMS],
	registry: "none",
	alerts: false,
	reads: ["latest.json", "raw/*/_manifest.json"],
	lists: ["raw/*"],
	writes: [],
};

/**
 * The run reconciler (runtime/pipeline/reconciler.ts): reads and closes run
 * records (status updates; claims need no write, a finished run frees its
 * batch), scans them for the sweep, raises run_failed. No lake access.
 */
export const RECONCILER_ACCESS: StageAccess = {
	manifest: "update",
	manifestScan: true,
	manifestKeys: RUN_ITEMS,
	registry: "none",
	alerts: true,
	reads: [],
	writes: [],
};

/**
 * The state machine itself, in DISTRIBUTED map mode: reads the shard list
 * ValidateRaw wrote (runs/<runId>/staged/shards.json) and writes the Map's
 * results under map-results/.
 */
export const DISTRIBUTED_MAP_ACCESS = {
	reads: ["runs/*/staged/shards.json"],
	writes: ["map-results/*"],
} as const;

/**
 * The report build task (runtime/report/task.ts): reads the runs' outputs,
 * the models and latest.json from the lake, and the tables; it writes only
 * the site bucket (granted separately by ReportBuild).
 */
export const REPORT_ACCESS: StageAccess = {
	manifest: "read",
	manifestKeys: [...RUN_ITEMS, ...CLAIM_ITEMS],
	registry: "read",
	alerts: false,
	reads: ["runs/*", "models/*", "latest.json"],
	writes: [],
};

/**
 * The report build task in the site bucket (granted by ReportBuild beside
 * REPORT_ACCESS): it lists the bucket and gets, puts and deletes the site's
 * objects (a new build removes the pages an earlier one left).
 */
export const REPORT_SITE_ACCESS = {
	list: true,
	objects: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
} as const;

/** The IAM statements of REPORT_SITE_ACCESS on a site bucket. */
export function siteStatements(siteBucketArn: string): PolicyStatement[] {
	return [
		...(REPORT_SITE_ACCESS.list
			? [
					{
						Sid: "SiteList",
						Effect: "Allow" as const,
						Action: "s3:ListBucket",
						Resource: siteBucketArn,
					},
				]
			: []),
		{
			Sid: "SitePublish",
			Effect: "Allow",
			Action: [...REPORT_SITE_ACCESS.objects],
			Resource: `${siteBucketArn}/*`,
		},
	];
}

/** Namespace of the alert and stage metrics: runtime/contract.ts. */
export { METRIC_NAMESPACE };

export interface PolicyStatement {
	Sid?: string;
	Effect: "Allow" | "Deny";
	Action: string | string[];
	/** Absent only in trust policies. */
	Resource?: string | string[];
	Principal?: unknown;
	Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyDocument {
	Version: "2012-10-17";
	Statement: PolicyStatement[];
}

/**
 * Item actions by access level. They all name the item's partition key, so
 * they are granted under a dynamodb:LeadingKeys condition. Query is left out:
 * no runtime code queries the manifest; the registry's Query (its versions)
 * also carries its partition key.
 */
const ITEM_ACTIONS: Record<Exclude<TableAccess, "none">, string[]> = {
	read: ["dynamodb:GetItem", "dynamodb:ConditionCheckItem"],
	update: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
	readwrite: [
		"dynamodb:GetItem",
		"dynamodb:ConditionCheckItem",
		"dynamodb:PutItem",
		"dynamodb:UpdateItem",
		"dynamodb:DeleteItem",
	],
};

/**
 * The statements of one table: the item actions limited to the partition
 * keys, and the one action that names no key: the manifest's Scan
 * (RunManifest.list(), the report's run history), or the registry's Query.
 * A ForAllValues condition is true when the request has no leading key, so
 * Scan must never share the conditioned statement.
 */
function tableStatements(
	sid: "Manifest" | "Registry",
	level: Exclude<TableAccess, "none">,
	tableArn: string,
	keys: readonly string[],
	scan = false,
): PolicyStatement[] {
	const s: PolicyStatement[] = [
		{
			Sid: `${sid}Items`,
			Effect: "Allow",
			Action: ITEM_ACTIONS[level],
			Resource: tableArn,
			Condition: {
				"ForAllValues:StringLike": { "dynamodb:LeadingKeys": [...keys] },
			},
		},
	];
	if (level === "read" || level === "readwrite" || (scan && sid === "Manifest"))
		s.push(
			sid === "Manifest"
				? {
						Sid: "ManifestScan",
						Effect: "Allow",
						Action: "dynamodb:Scan",
						Resource: tableArn,
					}
				: {
						Sid: "RegistryQuery",
						Effect: "Allow",
						Action: "dynamodb:Query",
						Resource: tableArn,
						Condition: {
							"ForAllValues:StringLike": { "dynamodb:LeadingKeys": [...keys] },
						},
					},
		);
	return s;
}

export interface AccessResources {
	lakeBucketArn: string;
	manifestTableArn?: string;
	registryTableArn?: string;
	alertTopicArn?: string;
	/** KMS key of the alert topic (publishers need GenerateDataKey/Decrypt). */
	alertKeyArn?: string;
}

/** Unique, stable list. */
const uniq = (xs: readonly string[]) => [...new Set(xs)];

/**
 * The IAM statements for an access entry, on concrete resources. Object
 * actions are limited to the listed key patterns. The only bucket-level
 * action is s3:ListBucket, limited by an s3:prefix condition to the patterns
 * the stage reads: it lists only there, and S3 needs it to answer a missing
 * key it reads with 404 rather than 403 (the runtime tells "not there yet"
 * from "denied" by that). See docs/security.md.
 */
export function accessStatements(
	access: StageAccess,
	r: AccessResources,
): PolicyStatement[] {
	const s: PolicyStatement[] = [];
	const obj = (patterns: readonly string[]) =>
		uniq(patterns).map((p) => `${r.lakeBucketArn}/${p}`);
	const listed = uniq([...access.reads, ...(access.lists ?? [])]);
	if (listed.length > 0)
		s.push({
			Sid: "LakeList",
			Effect: "Allow",
			Action: "s3:ListBucket",
			Resource: r.lakeBucketArn,
			Condition: { StringLike: { "s3:prefix": listed } },
		});
	if (access.reads.length > 0)
		s.push({
			Sid: "LakeRead",
			Effect: "Allow",
			Action: ["s3:GetObject"],
			Resource: obj(access.reads),
		});
	if ((access.pinnedReads ?? []).length > 0)
		s.push({
			Sid: "LakeReadVersions",
			Effect: "Allow",
			Action: "s3:GetObjectVersion",
			Resource: obj([...(access.pinnedReads ?? [])]),
		});
	if (access.writes.length > 0)
		s.push({
			Sid: "LakeWrite",
			Effect: "Allow",
			Action: ["s3:PutObject", "s3:PutObjectTagging"],
			Resource: obj(access.writes),
		});
	if ((access.deletes ?? []).length > 0)
		s.push({
			Sid: "LakeDelete",
			Effect: "Allow",
			Action: "s3:DeleteObject",
			Resource: obj(access.deletes ?? []),
		});
	if (access.manifest !== "none") {
		if (!r.manifestTableArn)
			throw new Error("accessStatements: manifestTableArn is required");
		s.push(
			...tableStatements(
				"Manifest",
				access.manifest,
				r.manifestTableArn,
				access.manifestKeys ?? RUN_ITEMS,
				access.manifestScan,
			),
		);
	}
	if (access.registry !== "none") {
		if (!r.registryTableArn)
			throw new Error("accessStatements: registryTableArn is required");
		s.push(
			...tableStatements(
				"Registry",
				access.registry,
				r.registryTableArn,
				MODEL_ITEMS,
			),
		);
	}
	if (access.alerts) {
		if (r.alertTopicArn)
			s.push({
				Sid: "AlertPublish",
				Effect: "Allow",
				Action: "sns:Publish",
				Resource: r.alertTopicArn,
			});
		if (r.alertKeyArn)
			s.push({
				Sid: "AlertTopicKey",
				Effect: "Allow",
				Action: ["kms:GenerateDataKey", "kms:Decrypt"],
				Resource: r.alertKeyArn,
			});
		// PutMetricData has no resource-level permissions: the namespace condition is the scope.
		s.push({
			Sid: "AlertMetrics",
			Effect: "Allow",
			Action: "cloudwatch:PutMetricData",
			Resource: "*",
			Condition: {
				StringEquals: { "cloudwatch:namespace": METRIC_NAMESPACE },
			},
		});
	}
	return s;
}

/** A policy document from statements. */
export function policyDocument(Statement: PolicyStatement[]): PolicyDocument {
	return { Version: "2012-10-17", Statement };
}

/** The trust policy that lets an AWS service (or several, e.g. Lambda@Edge's two) assume a role. */
export function assumeRolePolicy(service: string | string[]): string {
	return JSON.stringify(
		policyDocument([
			{
				Effect: "Allow",
				Principal: { Service: service },
				Action: "sts:AssumeRole",
			},
		]),
	);
}
