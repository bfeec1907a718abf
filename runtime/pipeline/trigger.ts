/**
 * The batch trigger (S3 ObjectCreated on raw/<batch>/…): start exactly one
 * pipeline execution per batch, once all 7 datasets of DATA_SPEC §1 are in
 * place — not one per uploaded file, as the reference system did.
 *
 * Every upload event re-checks its batch: an incomplete batch is skipped (the
 * event of the last file will find it complete); a complete one is claimed in
 * the run manifest, whose conditional write lets exactly one of several
 * concurrent events win; re-uploads of a batch that already has a run are
 * skipped. An explicit `{ rerun: true, batchId }` event re-runs a batch whose
 * run has finished (`force` also over a run left "started").
 *
 * A consumption folder of Parquet parts is complete only once its
 * `_SUCCESS` marker exists (written last by the uploader, the Hadoop/Spark
 * convention): the parts arrive one object at a time and nothing else tells
 * the last part from the first.
 */
import { readLatest } from "../io/lake.ts";
import type { RunManifest } from "../io/manifest.ts";
import type { ObjectStore } from "../io/object-store.ts";
import { newRunId } from "./run-id.ts";

/** The part of an S3 event notification the trigger reads. */
export interface S3EventRecordLike {
	eventName?: string;
	s3: { bucket?: { name?: string }; object: { key: string } };
}

export interface S3UploadEvent {
	Records?: S3EventRecordLike[];
}

/**
 * An operator's (or the schedule's) request to run a batch again. Without a
 * batchId it re-runs the batch of the last successful run: the weekly retrain
 * sends `{ "rerun": true, "mode": "train" }`.
 */
export interface RerunRequest {
	rerun: true;
	batchId?: string;
	/** Also take over a run still marked "started" (e.g. its execution was killed). */
	force?: boolean;
	/** auto (default): train only without a champion; train: retrain; score: never train. */
	mode?: RunMode;
}

export type RunMode = "auto" | "train" | "score";

export type S3EventLike = S3UploadEvent | RerunRequest;

export interface TriggerDeps {
	/** The lake (keys relative to its root: raw/<batch>/…). */
	store: ObjectStore;
	manifest: RunManifest;
	/** Starts the state machine; returns the execution id (ARN). */
	startExecution: (input: {
		runId: string;
		batchId: string;
		mode?: RunMode;
	}) => Promise<string>;
	/** Defaults to `<UTC timestamp>_<batch>`, the CLI's format. */
	newRunId?: (batchId: string) => string;
}

export interface TriggerResult {
	/** Run ids of the executions started. */
	started: string[];
	skipped: Array<{ batchId: string; reason: string }>;
}

export const RAW_PREFIX = "raw/";
export const CONSUMPTION_BASENAME = "consumption_hourly_2024";
export const CONSUMPTION_FILES = [".parquet", ".csv", ".csv.gz"].map(
	(ext) => CONSUMPTION_BASENAME + ext,
);
/** Marker that closes a folder of consumption parts. */
export const PARTS_COMPLETE_MARKER = "_SUCCESS";

/**
 * Accepted file names of the six small datasets, in DATA_SPEC §1 order (the
 * same names as runtime/data/raw/schemas.ts DATASETS[…].files, which the
 * loader reads; kept here so the trigger Lambda does not bundle the loader).
 */
export const SMALL_DATASET_FILES: Readonly<Record<string, readonly string[]>> =
	{
		churn_label: ["churn_label.csv", "churn_label.csv.gz"],
		customer_attributes: [
			"customer_attributes.csv",
			"customer_attributes.csv.gz",
		],
		customer_contracts: ["customer_contracts.csv", "customer_contracts.csv.gz"],
		customer_interactions: [
			"customer_interactions.json",
			"customer_interactions.json.gz",
		],
		price_history: ["price_history.csv", "price_history.csv.gz"],
		costs_by_province_month: [
			"costs_by_province_month.csv",
			"costs_by_province_month.csv.gz",
		],
	};

function decodeS3Key(key: string): string {
	// S3 notifications URL-encode keys, with "+" for spaces.
	try {
		return decodeURIComponent(key.replace(/\+/g, " "));
	} catch {
		return key;
	}
}

/**
 * The batch id of a raw object key, `raw/<batch>/…` (also under a bucket
 * prefix, `lake/raw/<batch>/…`); undefined for any other key.
 */
export function batchIdFromKey(key: string): string | undefined {
	const m = /(?:^|\/)raw\/([^/]+)\//.exec(key);
	if (!m) return undefined;
	const batchId = m[1];
	return batchId === "." || batchId === ".." ? undefined : batchId;
}

/** What is still missing for the batch to be runnable (empty when complete). */
export function missingDatasets(fileNames: readonly string[]): string[] {
	const present = new Set(fileNames);
	const missing: string[] = [];
	for (const [dataset, names] of Object.entries(SMALL_DATASET_FILES))
		if (!names.some((n) => present.has(n))) missing.push(dataset);
	const asFile = CONSUMPTION_FILES.some((n) => present.has(n));
	if (!asFile) {
		const parts = fileNames.filter(
			(n) => n.startsWith(`${CONSUMPTION_BASENAME}/`) && n.endsWith(".parquet"),
		);
		const closed = present.has(
			`${CONSUMPTION_BASENAME}/${PARTS_COMPLETE_MARKER}`,
		);
		if (parts.length === 0) missing.push(CONSUMPTION_BASENAME);
		else if (!closed)
			missing.push(`${CONSUMPTION_BASENAME}/${PARTS_COMPLETE_MARKER}`);
	}
	return missing;
}

function isRerunRequest(event: S3EventLike): event is RerunRequest {
	return (event as RerunRequest).rerun === true;
}

export async function handleBatchUpload(
	event: S3EventLike,
	deps: TriggerDeps,
): Promise<TriggerResult> {
	const result: TriggerResult = { started: [], skipped: [] };
	const requests: Array<{
		batchId: string;
		rerun: boolean;
		force: boolean;
		mode?: RunMode;
	}> = [];
	if (isRerunRequest(event)) {
		if (
			event.mode !== undefined &&
			!["auto", "train", "score"].includes(event.mode)
		)
			throw new TypeError(
				`rerun request: invalid mode ${JSON.stringify(event.mode)} (auto, train or score)`,
			);
		let batchId = event.batchId;
		if (batchId === undefined) {
			const latest = await readLatest(deps.store);
			if (!latest) {
				result.skipped.push({
					batchId: "(latest)",
					reason: "no successful run yet, so there is no batch to re-run",
				});
				return result;
			}
			batchId = latest.batchId;
		}
		if (
			typeof batchId !== "string" ||
			batchIdFromKey(`${RAW_PREFIX}${batchId}/x`) !== batchId
		)
			throw new TypeError(
				`rerun request: invalid batchId ${JSON.stringify(batchId)}`,
			);
		requests.push({
			batchId,
			rerun: true,
			force: event.force === true,
			mode: event.mode,
		});
	} else {
		// One event may carry several records, of one batch or several: each batch once.
		const batches = new Set<string>();
		for (const record of event.Records ?? []) {
			const batchId = batchIdFromKey(decodeS3Key(record.s3.object.key));
			if (batchId !== undefined) batches.add(batchId);
		}
		for (const batchId of batches)
			requests.push({ batchId, rerun: false, force: false });
	}

	for (const { batchId, rerun, force, mode } of requests) {
		const prefix = `${RAW_PREFIX}${batchId}/`;
		const names = (await deps.store.list(prefix)).map((k) =>
			k.slice(prefix.length),
		);
		const missing = missingDatasets(names);
		if (missing.length > 0) {
			result.skipped.push({
				batchId,
				reason: `incomplete batch: missing ${missing.join(", ")}`,
			});
			continue;
		}
		const runId = (deps.newRunId ?? newRunId)(batchId);
		if (!(await deps.manifest.start(batchId, runId, { rerun, force }))) {
			result.skipped.push({
				batchId,
				reason: rerun
					? "a run of this batch is still marked started (use force to take it over)"
					: "batch already has a run (send a rerun request to run it again)",
			});
			continue;
		}
		const t0 = performance.now();
		let executionId: string;
		try {
			executionId = await deps.startExecution({
				runId,
				batchId,
				...(mode ? { mode } : {}),
			});
		} catch (e) {
			// Never leave the claim on a run that will not execute: mark it failed (a rerun request can retry).
			const err = e instanceof Error ? e : new Error(String(e));
			await deps.manifest.fail(runId, {
				name: err.name,
				message: `could not start the execution: ${err.message}`,
			});
			throw e;
		}
		await deps.manifest.recordStage(runId, {
			stage: "trigger",
			seconds: (performance.now() - t0) / 1000,
			detail: { executionId, rerun, force },
		});
		result.started.push(runId);
	}
	return result;
}
