/**
 * What each pipeline stage may touch: the lake prefixes it reads and writes,
 * the tables it uses and the services it calls. PipelineStage turns an entry
 * into the stage's IAM policy; the infrastructure tests check every deployed
 * role against this table (and this table against runtime/pipeline/handlers.ts).
 *
 * Prefix patterns are S3 key patterns (`*` matches within and across `/`,
 * as IAM resource ARNs do). Keys follow the lake layout:
 * `raw/<batch>/…`, `runs/<runId>/<layer>/…`, `models/<version>/…`,
 * `latest.json`, `reports/…`.
 */
import { TASK_STAGES, type TaskStage } from "../runtime/pipeline/definition.ts";

/**
 * The Task states that run as Lambda functions: all but PublishReport, which
 * Step Functions runs as the report build's Fargate task (ecs:runTask.sync).
 */
export type LambdaStage = Exclude<TaskStage, "PublishReport">;
export const LAMBDA_STAGES: readonly LambdaStage[] = TASK_STAGES.filter(
	(s): s is LambdaStage => s !== "PublishReport",
);

/**
 * none; read (get, query, scan); update (get + update existing items: the
 * stages' manifest records); readwrite (also put and delete: claiming a
 * batch, registering a model).
 */
export type TableAccess = "none" | "read" | "update" | "readwrite";

export interface StageAccess {
	/** Lake key patterns the stage reads (s3:GetObject). */
	reads: string[];
	/** Lake key patterns the stage writes (s3:PutObject, s3:PutObjectTagging; s3:DeleteObject for its temp keys). */
	writes: string[];
	/** Run manifest table. */
	manifest: TableAccess;
	/** Model registry table. */
	registry: TableAccess;
	/** Publishes alerts (SNS + the SpanishGasChurn metric namespace). */
	alerts: boolean;
}

/**
 * Every stage updates its run's manifest record (the trigger created it) and
 * may raise alerts.
 */
const base = {
	manifest: "update",
	registry: "none",
	alerts: true,
} as const;

/**
 * Least-privilege map, derived from runtime/pipeline/handlers.ts (what each
 * handler reads and writes through the Lake) and the lake layout, and checked
 * against the requests the packaged functions actually make
 * (test/infra-package.test.ts records every S3 request of a full run).
 * Train and Drift keep `models/*` reads for runs with an existing champion.
 */
export const STAGE_ACCESS: Readonly<Record<LambdaStage, StageAccess>> = {
	ValidateRaw: {
		...base,
		reads: ["raw/*"],
		writes: ["runs/*/staged/*"],
	},
	BronzeShard: {
		...base,
		// Its shard (the consumption parts to aggregate) arrives in the event.
		reads: ["raw/*"],
		writes: ["runs/*/bronze/shards/*"],
	},
	BronzeReduce: {
		...base,
		reads: ["runs/*/staged/*", "runs/*/bronze/shards/*"],
		writes: ["runs/*/bronze/*", "runs/*/quality/*"],
	},
	Silver: {
		...base,
		reads: ["runs/*/bronze/*"],
		writes: ["runs/*/silver/*", "runs/*/quality/*"],
	},
	Gold: {
		...base,
		reads: ["runs/*/silver/*"],
		writes: ["runs/*/gold/*", "runs/*/quality/*"],
	},
	PlanModel: {
		...base,
		registry: "read",
		reads: [],
		writes: [],
	},
	Train: {
		...base,
		registry: "readwrite",
		reads: ["runs/*/gold/*", "models/*"],
		writes: ["models/*"],
	},
	Score: {
		...base,
		registry: "read",
		reads: ["runs/*/gold/*", "models/*"],
		writes: ["runs/*/scored/*"],
	},
	Recommend: {
		...base,
		reads: ["runs/*/gold/*", "runs/*/scored/*"],
		writes: ["runs/*/scored/*"],
	},
	Drift: {
		...base,
		registry: "read",
		reads: ["runs/*/gold/*", "runs/*/scored/*", "models/*"],
		writes: ["runs/*/monitoring/*", "models/*/drift_reference.parquet"],
	},
	MarkSucceeded: {
		...base,
		reads: ["runs/*/quality/*"],
		writes: ["runs/*/run_report.json", "latest.json"],
	},
	// A failed run writes its run_report.json too (docs/data-quality.md).
	MarkFailed: {
		...base,
		reads: ["runs/*/quality/*"],
		writes: ["runs/*/run_report.json"],
	},
};

/**
 * The batch trigger: lists the batch's raw uploads (bucket-level
 * s3:ListBucket), reads latest.json for a rerun of the last batch, claims
 * the batch in the manifest.
 */
export const TRIGGER_ACCESS: StageAccess = {
	manifest: "readwrite",
	registry: "none",
	alerts: false,
	reads: ["latest.json"],
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
	registry: "read",
	alerts: false,
	reads: ["runs/*", "models/*", "latest.json"],
	writes: [],
};

/** Namespace of the alert and stage metrics (runtime/monitoring/aws-alerts.ts METRIC_NAMESPACE). */
export const METRIC_NAMESPACE = "SpanishGasChurn";

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

const TABLE_ACTIONS: Record<Exclude<TableAccess, "none">, string[]> = {
	// Scan: RunManifest.list() (the report's run history).
	read: [
		"dynamodb:GetItem",
		"dynamodb:Query",
		"dynamodb:Scan",
		"dynamodb:ConditionCheckItem",
	],
	update: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
	readwrite: [
		"dynamodb:GetItem",
		"dynamodb:Query",
		"dynamodb:Scan",
		"dynamodb:ConditionCheckItem",
		"dynamodb:PutItem",
		"dynamodb:UpdateItem",
		"dynamodb:DeleteItem",
	],
};

export interface AccessResources {
	lakeBucketArn: string;
	manifestTableArn?: string;
	registryTableArn?: string;
	alertTopicArn?: string;
	/** KMS key of the alert topic (publishers need GenerateDataKey/Decrypt). */
	alertKeyArn?: string;
}

/** Unique, stable list. */
const uniq = (xs: string[]) => [...new Set(xs)];

/**
 * The IAM statements for an access entry, on concrete resources. Object
 * actions are limited to the listed key patterns; the only bucket-level
 * action is s3:ListBucket on the lake bucket (without it S3 answers a missing
 * key with 403 instead of 404, and the runtime could no longer tell "not
 * there yet" from "denied"; it reveals key names, never data).
 */
export function accessStatements(
	access: StageAccess,
	r: AccessResources,
): PolicyStatement[] {
	const s: PolicyStatement[] = [];
	const obj = (patterns: string[]) =>
		uniq(patterns).map((p) => `${r.lakeBucketArn}/${p}`);
	if (access.reads.length > 0 || access.writes.length > 0)
		s.push({
			Sid: "LakeList",
			Effect: "Allow",
			Action: "s3:ListBucket",
			Resource: r.lakeBucketArn,
		});
	if (access.reads.length > 0)
		s.push({
			Sid: "LakeRead",
			Effect: "Allow",
			Action: ["s3:GetObject"],
			Resource: obj(access.reads),
		});
	if (access.writes.length > 0)
		s.push({
			Sid: "LakeWrite",
			Effect: "Allow",
			Action: ["s3:PutObject", "s3:PutObjectTagging", "s3:DeleteObject"],
			Resource: obj(access.writes),
		});
	if (access.manifest !== "none") {
		if (!r.manifestTableArn)
			throw new Error("accessStatements: manifestTableArn is required");
		s.push({
			Sid: "Manifest",
			Effect: "Allow",
			Action: TABLE_ACTIONS[access.manifest],
			Resource: r.manifestTableArn,
		});
	}
	if (access.registry !== "none") {
		if (!r.registryTableArn)
			throw new Error("accessStatements: registryTableArn is required");
		s.push({
			Sid: "Registry",
			Effect: "Allow",
			Action: TABLE_ACTIONS[access.registry],
			Resource: [r.registryTableArn, `${r.registryTableArn}/index/*`],
		});
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

/** The trust policy that lets one AWS service assume a role. */
export function assumeRolePolicy(service: string): string {
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
