/**
 * The batch trigger: start exactly one pipeline execution per complete batch
 * (docs/run-lifecycle.md, docs/batch-manifest.md).
 *
 * A batch is complete when its manifest, `raw/<batch>/_manifest.json`
 * (uploaded last), is there and every file it lists is there with the
 * listed size. The S3 notification fires on the manifest only; files the
 * manifest does not list are ignored with a warning (a part arriving after
 * the manifest is not part of the run). Checksums are ValidateRaw's: it
 * reads every byte anyway.
 *
 * A complete batch is claimed in the run manifest, whose conditional write
 * lets exactly one of several concurrent events win. The claim records the
 * request key (the S3 record that delivered the manifest, or the Lambda
 * request id of a rerun request): a retried delivery of the same request
 * finds its own run and resumes it (StartExecution with the run id as the
 * execution name is idempotent) instead of being refused or starting a
 * second run. A StartExecution that fails leaves the run started and
 * rethrows, so Lambda's retry resumes it; when retries run out the
 * reconciler's sweep marks it failed (runtime/pipeline/reconciler.ts).
 *
 * Every skip (incomplete, already has a run, re-upload during a run, no or
 * bad manifest) is a structured log line and a SkippedUploads metric.
 */
import {
	BATCH_MANIFEST,
	type BatchManifest,
	BatchManifestError,
	compareListing,
	parseBatchManifest,
	someOf,
} from "../data/raw/batch-manifest.ts";
import { readLatest } from "../io/lake.ts";
import type { RunManifest, RunRecord } from "../io/manifest.ts";
import { ObjectNotFoundError, type ObjectStore } from "../io/object-store.ts";
import { rootLogger } from "../log.ts";
import { emfSink, type MetricSink } from "../monitoring/lifecycle-metrics.ts";
import { newRunId } from "./run-id.ts";

/** The part of an S3 event notification the trigger reads. */
export interface S3EventRecordLike {
	eventName?: string;
	s3: {
		bucket?: { name?: string };
		object: {
			key: string;
			/** Orders the events of one key; the same on a redelivery of the record. */
			sequencer?: string;
			versionId?: string;
			eTag?: string;
		};
	};
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
	/**
	 * Starts the state machine with the run id as the execution name; returns
	 * the execution id (ARN). Called again for a resumed run: it must be
	 * idempotent for the same run id and input (Step Functions is).
	 */
	startExecution: (input: {
		runId: string;
		batchId: string;
		mode?: RunMode;
	}) => Promise<string>;
	/** Defaults to `<UTC timestamp>_<batch>`, the CLI's format. */
	newRunId?: (batchId: string) => string;
	/**
	 * The invocation's request id (Lambda's awsRequestId, which its async
	 * retries keep): the request key of a rerun request.
	 */
	requestId?: string;
	/** Structured log lines (default: the runtime's logger). */
	log?: (
		level: "info" | "warn" | "error",
		message: string,
		fields: Record<string, unknown>,
	) => void;
	/** Metrics (default: CloudWatch EMF). */
	metric?: MetricSink;
}

/** Why a request started nothing (the Reason dimension of SkippedUploads). */
export type SkipCode =
	| "no_manifest"
	| "invalid_manifest"
	| "incomplete"
	| "has_run"
	| "run_in_progress"
	| "no_latest";

export interface TriggerResult {
	/** Run ids of the executions started (or resumed, see `resumed`). */
	started: string[];
	/** Of `started`, the runs a retried request resumed. */
	resumed: string[];
	skipped: Array<{ batchId: string; code: SkipCode; reason: string }>;
}

export const RAW_PREFIX = "raw/";
export const CONSUMPTION_BASENAME = "consumption_hourly_2024";
export const CONSUMPTION_FILES = [".parquet", ".csv", ".csv.gz"].map(
	(ext) => CONSUMPTION_BASENAME + ext,
);
/** Marker that closes a folder of consumption parts. */
export const PARTS_COMPLETE_MARKER = "_SUCCESS";

/**
 * Accepted file names of the six small datasets, in docs/data-contract.md §1 order (the
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

/**
 * The datasets a list of batch files lacks (empty when complete). A folder
 * of consumption parts needs its `_SUCCESS` marker unless `partsClosed` (the
 * files are a manifest's list, which closes the folder itself).
 */
export function missingDatasets(
	fileNames: readonly string[],
	opts: { partsClosed?: boolean } = {},
): string[] {
	const present = new Set(fileNames);
	const missing: string[] = [];
	for (const [dataset, names] of Object.entries(SMALL_DATASET_FILES))
		if (!names.some((n) => present.has(n))) missing.push(dataset);
	const asFile = CONSUMPTION_FILES.some((n) => present.has(n));
	if (!asFile) {
		const parts = fileNames.filter(
			(n) => n.startsWith(`${CONSUMPTION_BASENAME}/`) && n.endsWith(".parquet"),
		);
		const closed =
			opts.partsClosed === true ||
			present.has(`${CONSUMPTION_BASENAME}/${PARTS_COMPLETE_MARKER}`);
		if (parts.length === 0) missing.push(CONSUMPTION_BASENAME);
		else if (!closed)
			missing.push(`${CONSUMPTION_BASENAME}/${PARTS_COMPLETE_MARKER}`);
	}
	return missing;
}

function isRerunRequest(event: S3EventLike): event is RerunRequest {
	return (event as RerunRequest).rerun === true;
}

interface Request {
	batchId: string;
	rerun: boolean;
	force: boolean;
	mode?: RunMode;
	/** Identity of the request: a retry of it carries the same key. */
	requestKey?: string;
}

/** The request key of an S3 record: the object and its event's sequencer (or version / ETag). */
export function s3RequestKey(record: S3EventRecordLike, key: string): string {
	const o = record.s3.object;
	const at = o.sequencer ?? o.versionId ?? o.eTag;
	return `s3:${record.s3.bucket?.name ?? ""}/${key}${at ? `@${at}` : ""}`;
}

/** The requests of an event: one per batch (the last record of a batch names it). */
async function requestsOf(
	event: S3EventLike,
	deps: TriggerDeps,
	skip: (batchId: string, code: SkipCode, reason: string) => void,
): Promise<Request[]> {
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
				skip(
					"(latest)",
					"no_latest",
					"no successful run yet, so there is no batch to re-run",
				);
				return [];
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
		return [
			{
				batchId,
				rerun: true,
				force: event.force === true,
				mode: event.mode,
				...(deps.requestId ? { requestKey: `lambda:${deps.requestId}` } : {}),
			},
		];
	}
	const byBatch = new Map<string, Request>();
	for (const record of event.Records ?? []) {
		const key = decodeS3Key(record.s3.object.key);
		const batchId = batchIdFromKey(key);
		if (batchId === undefined) continue;
		byBatch.set(batchId, {
			batchId,
			rerun: false,
			force: false,
			requestKey: s3RequestKey(record, key),
		});
	}
	return [...byBatch.values()];
}

type Readiness =
	| { ok: true; manifest: BatchManifest; unlisted: string[] }
	| { ok: false; code: SkipCode; reason: string };

/** Is the batch complete by its manifest? One GET (the manifest) and one listing. */
export async function batchReadiness(
	store: ObjectStore,
	batchId: string,
): Promise<Readiness> {
	const prefix = `${RAW_PREFIX}${batchId}/`;
	const manifestKey = `${prefix}${BATCH_MANIFEST}`;
	let manifest: BatchManifest;
	try {
		manifest = parseBatchManifest(
			await store.getText(manifestKey),
			manifestKey,
		);
	} catch (e) {
		if (e instanceof ObjectNotFoundError)
			return {
				ok: false,
				code: "no_manifest",
				reason: `incomplete batch: no ${BATCH_MANIFEST} yet (it is uploaded last: docs/batch-manifest.md)`,
			};
		if (e instanceof BatchManifestError)
			return {
				ok: false,
				code: "invalid_manifest",
				reason: `invalid batch manifest: ${e.message}`,
			};
		throw e;
	}
	const missingSets = missingDatasets(
		manifest.files.map((f) => f.path),
		{ partsClosed: true },
	);
	if (missingSets.length > 0)
		return {
			ok: false,
			code: "invalid_manifest",
			reason: `the batch manifest lists no ${missingSets.join(", ")}`,
		};
	const found = new Map(
		(await store.listObjects(prefix)).map((o) => [
			o.key.slice(prefix.length),
			o.bytes,
		]),
	);
	const check = compareListing(manifest, found);
	if (check.missing.length > 0 || check.wrongSize.length > 0) {
		const parts: string[] = [];
		if (check.missing.length > 0)
			parts.push(
				`${check.missing.length} listed file(s) missing: ${someOf(check.missing)}`,
			);
		if (check.wrongSize.length > 0)
			parts.push(
				`${check.wrongSize.length} with another size: ${someOf(
					check.wrongSize.map(
						(w) => `${w.path} (${w.found} bytes, listed ${w.listed})`,
					),
				)}`,
			);
		return {
			ok: false,
			code: "incomplete",
			reason: `incomplete batch: ${parts.join("; ")}`,
		};
	}
	return { ok: true, manifest, unlisted: check.unlisted };
}

export async function handleBatchUpload(
	event: S3EventLike,
	deps: TriggerDeps,
): Promise<TriggerResult> {
	const log =
		deps.log ??
		((level, message, fields) => rootLogger.log(level, message, fields));
	const metric = deps.metric ?? emfSink;
	const result: TriggerResult = { started: [], resumed: [], skipped: [] };
	const skip = (
		batchId: string,
		code: SkipCode,
		reason: string,
		extra: Record<string, unknown> = {},
	) => {
		result.skipped.push({ batchId, code, reason });
		log(code === "invalid_manifest" ? "error" : "info", "upload skipped", {
			event: "trigger_skipped",
			batchId,
			reason: code,
			detail: reason,
			...extra,
		});
		metric("SkippedUploads", 1, { Reason: code }, { batchId });
	};

	for (const req of await requestsOf(event, deps, skip)) {
		const { batchId, rerun, force, mode, requestKey } = req;
		const ready = await batchReadiness(deps.store, batchId);
		if (!ready.ok) {
			skip(batchId, ready.code, ready.reason, { requestKey });
			continue;
		}
		if (ready.unlisted.length > 0) {
			log("warn", "files not in the batch manifest are ignored", {
				event: "trigger_unlisted_files",
				batchId,
				count: ready.unlisted.length,
				files: ready.unlisted.slice(0, 20),
			});
			metric("UnlistedRawFiles", ready.unlisted.length, {}, { batchId });
		}
		const claim = await claimRun(deps, req);
		if (claim.kind === "refused") {
			const holder = claim.holder;
			if (holder?.status === "started")
				skip(
					batchId,
					"run_in_progress",
					rerun
						? `a run of this batch is still marked started (${holder.runId}; use force to take it over)`
						: `batch has a run in progress (${holder.runId}); this upload is not run: the run reads the versions it pinned`,
					{ requestKey, holder: holder.runId },
				);
			else
				skip(
					batchId,
					"has_run",
					`batch already has a run (${holder?.runId ?? "?"}, ${holder?.status ?? "?"}); send a rerun request to run it again`,
					{ requestKey, holder: holder?.runId },
				);
			continue;
		}
		const runId = claim.runId;
		if (claim.kind === "resumed")
			log("info", "retried request: resuming its run", {
				event: "trigger_resumed",
				batchId,
				runId,
				requestKey,
			});
		const t0 = performance.now();
		// A failure here leaves the run started and its claim held, on purpose:
		// the retry of this request resumes it; the reconciler's sweep fails it
		// once retries are exhausted (docs/run-lifecycle.md).
		const executionId = await deps.startExecution({
			runId,
			batchId,
			...(mode ? { mode } : {}),
		});
		await deps.manifest.recordStage(runId, {
			stage: "trigger",
			seconds: (performance.now() - t0) / 1000,
			detail: {
				executionId,
				rerun,
				force,
				...(requestKey ? { requestKey } : {}),
				files: ready.manifest.files.length,
				...(ready.unlisted.length
					? { unlistedFiles: ready.unlisted.length }
					: {}),
			},
		});
		log("info", claim.kind === "resumed" ? "run resumed" : "run started", {
			event: "trigger_started",
			batchId,
			runId,
			executionId,
			requestKey,
		});
		result.started.push(runId);
		if (claim.kind === "resumed") result.resumed.push(runId);
	}
	return result;
}

type Claim =
	| { kind: "new" | "resumed"; runId: string }
	| { kind: "refused"; holder?: RunRecord };

/** The run a request holds: its own (a retry), a new claim, or a refusal. */
async function claimRun(deps: TriggerDeps, req: Request): Promise<Claim> {
	const own = (holder: RunRecord | undefined) =>
		req.requestKey !== undefined &&
		holder?.status === "started" &&
		holder.requestKey === req.requestKey;
	// First: a retry of this very request (also before a forced take-over,
	// which would otherwise take the batch from its own first delivery).
	let holder = await deps.manifest.claimOf(req.batchId);
	if (holder && own(holder)) return { kind: "resumed", runId: holder.runId };
	const runId = (deps.newRunId ?? newRunId)(req.batchId);
	const won = await deps.manifest.start(req.batchId, runId, {
		rerun: req.rerun,
		force: req.force,
		...(req.requestKey ? { requestKey: req.requestKey } : {}),
	});
	if (won) return { kind: "new", runId };
	// Lost a race: to a concurrent delivery of the same request, or to another.
	// The winner may not have written its run record yet (the local manifest
	// writes the claim first): read again for a moment before judging.
	for (let attempt = 0; attempt < 20; attempt++) {
		holder = await deps.manifest.claimOf(req.batchId);
		if (holder) break;
		await new Promise((r) => setTimeout(r, 25));
	}
	if (holder && own(holder)) return { kind: "resumed", runId: holder.runId };
	return { kind: "refused", holder };
}
