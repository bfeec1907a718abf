/**
 * Where a run's state lives (docs/architecture.md "State"): the lake, the run manifest,
 * the model registry and the alerts. The handlers see only these interfaces,
 * so the same stage code runs on one machine (folder, embedded manifest,
 * local registry, alert log) and in Lambda (S3, DynamoDB, SNS + CloudWatch:
 * runtime/pipeline/aws-platform.ts).
 */
import { join } from "node:path";
import { Lake, lakeKeys } from "../io/lake.ts";
import { LocalRunManifest, type RunManifest } from "../io/manifest.ts";
import { LocalObjectStore, type ObjectStore } from "../io/object-store.ts";
import { LocalModelRegistry, type ModelRegistry } from "../model/registry.ts";
import { type Alerts, LocalAlerts } from "../monitoring/alerts.ts";

export interface Platform {
	/** The data lake (keys of runtime/io/lake.ts). */
	store: ObjectStore;
	manifest: RunManifest;
	registry: ModelRegistry;
	alerts: Alerts;
	/**
	 * Where the report site is served from (AWS: the site bucket); absent: the
	 * lake itself (locally the site is <data>/reports/site/).
	 */
	siteStore?: ObjectStore;
	/** Where a stage gets a folder of its own for files native readers need on disk (raw inputs fetched from S3). */
	scratchDir: string;
	/** The run's JSON-lines metrics file (embedded default); undefined where stdout is the sink (Lambda). */
	metricsPath?(runId: string): string;
}

const locals = new Map<string, Platform>();

/**
 * The embedded platform on a data folder. One instance per folder and
 * process, so that every stage shares the registry's write queue.
 */
export function localPlatform(dataRoot: string): Platform {
	const root = new Lake(dataRoot).root;
	let p = locals.get(root);
	if (!p) {
		p = {
			store: new LocalObjectStore(root),
			manifest: new LocalRunManifest(root),
			registry: new LocalModelRegistry(root),
			alerts: new LocalAlerts(root),
			scratchDir: join(root, ".scratch"),
			metricsPath: (runId) =>
				join(root, lakeKeys.runPrefix(runId), "metrics.jsonl"),
		};
		locals.set(root, p);
	}
	return p;
}
