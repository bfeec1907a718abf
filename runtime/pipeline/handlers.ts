/**
 * One handler per Task state of the state machine. Each takes and returns
 * small JSON (run id, keys, counts, metrics — never tables): tables go to the
 * lake under the run id. The same functions run in-process locally and as
 * Lambda handlers in AWS.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { buildBronzeCustomer } from "../data/bronze/bronze-customer.ts";
import { buildBronzeCustomerMonth } from "../data/bronze/bronze-customer-month.ts";
import type { ConsumptionShard } from "../data/bronze/consumption-shards.ts";
import { planConsumptionShards } from "../data/bronze/consumption-shards.ts";
import {
	BRONZE_CUSTOMER_CONTRACT,
	BRONZE_CUSTOMER_MONTH_CONTRACT,
} from "../data/bronze/contracts.ts";
import {
	aggregateConsumptionShard,
	mergeShardAggregates,
	readShardAggregate,
	writeShardAggregate,
} from "../data/bronze/hourly-aggregate.ts";
import { createSentimentScorer } from "../data/nlp/sentiment.ts";
import { loadRawBatch, type RawBatch } from "../data/raw/load-batch.ts";
import { buildSilver } from "../data/silver/build-silver.ts";
import {
	SILVER_CUSTOMER_CONTRACT,
	SILVER_CUSTOMER_MONTH_CONTRACT,
} from "../data/silver/contracts.ts";
import { DataQualityError } from "../errors.ts";
import { buildGold } from "../features/build-gold.ts";
import { defaultAsOfDate } from "../features/dates.ts";
import { GOLD_CONTRACT } from "../features/gold-contract.ts";
import { Lake, readJson, writeJsonAtomic } from "../io/lake.ts";
import { LocalRunManifest, type StageRecord } from "../io/manifest.ts";
import { readParquetFile, type Table, writeParquetFile } from "../io/tables.ts";
import { rootLogger } from "../log.ts";
import { LocalModelRegistry } from "../model/registry.ts";
import { trainAndRegister } from "../model/train.ts";
import { LocalAlerts } from "../monitoring/alerts.ts";
import {
	driftReference,
	driftReport,
	PREDICTION_COLUMN,
} from "../monitoring/drift.ts";
import {
	checkTable,
	type QualityReport,
	type TableContract,
} from "../monitoring/quality.ts";
import { emitStageMetrics } from "../monitoring/stage-metrics.ts";
import { loadChampion } from "../scoring/champion.ts";
import { recommend, recommendationsTable } from "../scoring/recommendations.ts";
import { scoreCustomers, tierCounts } from "../scoring/score.ts";
import type { TaskStage } from "./definition.ts";

/** The execution input: what a run is about. */
export interface RunInput {
	runId: string;
	batchId: string;
	dataRoot: string;
	/** auto: train when there is no champion, otherwise score with it. */
	mode: "auto" | "train" | "score";
	shardCount: number;
	gate: number;
	seed: number;
}

export interface ValidateOutput {
	shards: ConsumptionShard[];
	rows: Record<string, number>;
}
export interface ShardInput {
	runId: string;
	dataRoot: string;
	shard: ConsumptionShard;
	index: number;
}
export interface ShardOutput {
	index: number;
	seconds: number;
	path: string;
	rowsRead: number;
	customerMonths: number;
}
export interface BronzeOutput {
	rows: Record<string, number>;
	asOfDate: string;
}
export interface PlanOutput {
	action: "train" | "score";
	champion: string | null;
}

/** The state as it grows along the execution (each Task writes its ResultPath). */
export interface RunState extends RunInput {
	raw?: ValidateOutput;
	bronzeShards?: ShardOutput[];
	bronze?: BronzeOutput;
	plan?: PlanOutput;
	error?: { Error: string; Cause: string };
}

/** Where the champion's drift reference lives (beside its registry artifacts). */
export function driftReferencePath(lake: Lake, version: string): string {
	return join(lake.root, "models", version, "drift_reference.parquet");
}

class NoChampionError extends Error {
	override readonly name = "NoChampionError";
}

interface StageResult<O> {
	output: O;
	record?: Omit<StageRecord, "stage" | "seconds">;
}

/** Times a stage, logs it and records it in the manifest. */
function stage<I extends { runId: string; dataRoot: string }, O>(
	name: TaskStage,
	body: (input: I, lake: Lake) => Promise<StageResult<O>>,
): (input: I) => Promise<O> {
	return async (input) => {
		const log = rootLogger.child({ runId: input.runId, stage: name });
		const lake = new Lake(input.dataRoot);
		const t0 = performance.now();
		log.info("stage started");
		try {
			const { output, record } = await body(input, lake);
			const seconds = (performance.now() - t0) / 1000;
			log.info("stage succeeded", { seconds, ...record });
			await emitStageMetrics({
				runId: input.runId,
				stage: name,
				seconds,
				rows: record?.rows,
				faults: record?.faults,
				localPath: join(lake.runDir(input.runId), "metrics.jsonl"),
			});
			if (name !== "BronzeShard")
				await new LocalRunManifest(lake.root).recordStage(input.runId, {
					stage: name,
					seconds,
					...record,
				});
			return output;
		} catch (e) {
			const err = e as Error;
			log.error("stage failed", {
				error: { name: err.name, message: err.message },
			});
			throw e;
		}
	};
}

/** Checks a table against its contract, saves the report, and stops the run on errors. */
async function qualityGate(
	lake: Lake,
	runId: string,
	contract: TableContract,
	table: Table,
): Promise<QualityReport> {
	const report = checkTable(contract, table);
	await writeJsonAtomic(lake.docPath(runId, "quality", contract.table), report);
	if (!report.passed)
		throw new DataQualityError(
			report.violations.filter((v) => v.severity === "error"),
		);
	return report;
}

async function saveTable(
	lake: Lake,
	runId: string,
	layer: "bronze" | "silver" | "gold" | "scored",
	contract: TableContract | undefined,
	name: string,
	table: Table,
) {
	if (contract) await qualityGate(lake, runId, contract, table);
	await writeParquetFile(lake.tablePath(runId, layer, name), table);
}

const readTable = (
	lake: Lake,
	runId: string,
	layer: "bronze" | "silver" | "gold" | "scored",
	name: string,
) => readParquetFile(lake.tablePath(runId, layer, name));

const STAGED_TABLES = [
	"churnLabel",
	"attributes",
	"contracts",
	"interactions",
	"prices",
	"costs",
] as const;

/**
 * Validated small raw datasets are staged once as Parquet under the run, so
 * the reduce reads them back in milliseconds instead of re-parsing the CSVs
 * (≈ 5 s at full scale). The raw batch itself is never touched.
 */
async function stageRaw(
	lake: Lake,
	runId: string,
	raw: RawBatch,
): Promise<void> {
	await Promise.all(
		STAGED_TABLES.map((t) =>
			writeParquetFile(lake.tablePath(runId, "staged", t), raw[t]),
		),
	);
	await writeJsonAtomic(lake.docPath(runId, "staged", "batch"), {
		batchDir: raw.batchDir,
		consumption: raw.consumption,
		faults: raw.faults,
	});
}

async function readStagedRaw(lake: Lake, runId: string): Promise<RawBatch> {
	const meta = await readJson<
		Pick<RawBatch, "batchDir" | "consumption" | "faults">
	>(lake.docPath(runId, "staged", "batch"));
	const tables = await Promise.all(
		STAGED_TABLES.map((t) =>
			readParquetFile(lake.tablePath(runId, "staged", t)),
		),
	);
	return {
		...meta,
		...(Object.fromEntries(
			STAGED_TABLES.map((t, i) => [t, tables[i]]),
		) as Record<(typeof STAGED_TABLES)[number], Table>),
	};
}

/**
 * The run-history record of a succeeded run (the report's pipeline-status
 * data): rows per table, faults absorbed, quality per table, gate decision,
 * scoring and drift summaries.
 */
async function runSummary(
	lake: Lake,
	s: RunState,
	stages: StageRecord[],
): Promise<Record<string, unknown>> {
	const detail = (name: string) => stages.find((x) => x.stage === name)?.detail;
	const rows: Record<string, number> = {};
	const faults: Record<string, number> = {};
	for (const st of stages) {
		Object.assign(rows, st.rows);
		for (const [k, v] of Object.entries(st.faults ?? {}))
			if (v > 0) faults[k] = (faults[k] ?? 0) + v;
	}
	const qualityDir = join(lake.runDir(s.runId), "quality");
	const quality: Record<
		string,
		{ passed: boolean; errors: number; warnings: number }
	> = {};
	for (const f of existsSync(qualityDir)
		? readdirSync(qualityDir).filter((x) => x.endsWith(".json"))
		: []) {
		const q = await readJson<QualityReport>(join(qualityDir, f));
		quality[q.table] = {
			passed: q.passed,
			errors: q.errors,
			warnings: q.warnings,
		};
	}
	const train = detail("Train") as
		| { version?: string; gate?: unknown }
		| undefined;
	return {
		batchId: s.batchId,
		asOfDate: s.bronze?.asOfDate,
		mode: s.plan?.action,
		rows,
		faults,
		quality,
		gate: train ? { version: train.version, ...(train.gate as object) } : null,
		score: detail("Score") ?? null,
		recommendations: detail("Recommend") ?? null,
		drift: detail("Drift") ?? null,
		seconds: Object.fromEntries(
			stages.map((x) => [x.stage, Number(x.seconds.toFixed(2))]),
		),
	};
}

export function createHandlers(): Record<
	TaskStage,
	(input: never) => Promise<unknown>
> {
	const ValidateRaw = stage<RunState, ValidateOutput>(
		"ValidateRaw",
		async (s, lake) => {
			const raw = await loadRawBatch(lake.rawDir(s.batchId));
			await stageRaw(lake, s.runId, raw);
			const rows = {
				churn_label: raw.churnLabel.numRows(),
				customer_attributes: raw.attributes.numRows(),
				customer_contracts: raw.contracts.numRows(),
				customer_interactions: raw.interactions.numRows(),
				price_history: raw.prices.numRows(),
				costs_by_province_month: raw.costs.numRows(),
			};
			const shards = planConsumptionShards(raw.consumption, s.shardCount);
			return {
				output: { shards, rows },
				record: { rows, faults: raw.faults, detail: { shards: shards.length } },
			};
		},
	);

	const BronzeShard = stage<ShardInput, ShardOutput>(
		"BronzeShard",
		async (s, lake) => {
			const t0 = performance.now();
			const agg = await aggregateConsumptionShard(s.shard, { threads: 1 });
			const path = lake.tablePath(s.runId, "bronze", `shards/${s.shard.id}`);
			await writeShardAggregate(path, agg);
			const seconds = (performance.now() - t0) / 1000;
			return {
				output: {
					index: s.index,
					seconds,
					path,
					rowsRead: agg.rowsRead,
					customerMonths: agg.table.numRows(),
				},
			};
		},
	);

	const BronzeReduce = stage<RunState, BronzeOutput>(
		"BronzeReduce",
		async (s, lake) => {
			const parts = await Promise.all(
				(s.bronzeShards ?? []).map((o) => readShardAggregate(o.path)),
			);
			const merged = mergeShardAggregates(parts);
			const raw = await readStagedRaw(lake, s.runId);
			const customer = buildBronzeCustomer(raw);
			const month = buildBronzeCustomerMonth(merged.table, raw, customer.table);
			await saveTable(
				lake,
				s.runId,
				"bronze",
				BRONZE_CUSTOMER_CONTRACT,
				"bronze_customer",
				customer.table,
			);
			await saveTable(
				lake,
				s.runId,
				"bronze",
				BRONZE_CUSTOMER_MONTH_CONTRACT,
				"bronze_customer_month",
				month.table,
			);
			const asOfDate = defaultAsOfDate(merged.maxTimestamp);
			const hourly = parts.reduce((a, p) => a + p.rowsRead, 0);
			const rows = {
				consumption_hourly: hourly,
				bronze_customer: customer.table.numRows(),
				bronze_customer_month: month.table.numRows(),
			};
			return {
				output: { rows, asOfDate },
				record: {
					rows,
					faults: { ...merged.faults, ...customer.faults, ...month.faults },
					detail: {
						asOfDate,
						shards: parts.length,
						shardSecondsTotal: (s.bronzeShards ?? []).reduce(
							(a, o) => a + o.seconds,
							0,
						),
						shardSecondsMax: Math.max(
							0,
							...(s.bronzeShards ?? []).map((o) => o.seconds),
						),
					},
				},
			};
		},
	);

	const Silver = stage<RunState, { rows: Record<string, number> }>(
		"Silver",
		async (s, lake) => {
			const [bc, bcm] = await Promise.all([
				readTable(lake, s.runId, "bronze", "bronze_customer"),
				readTable(lake, s.runId, "bronze", "bronze_customer_month"),
			]);
			const silver = await buildSilver(bc, bcm, {
				sentiment: createSentimentScorer(),
			});
			await saveTable(
				lake,
				s.runId,
				"silver",
				SILVER_CUSTOMER_CONTRACT,
				"silver_customer",
				silver.customer,
			);
			await saveTable(
				lake,
				s.runId,
				"silver",
				SILVER_CUSTOMER_MONTH_CONTRACT,
				"silver_customer_month",
				silver.customerMonth,
			);
			const rows = {
				silver_customer: silver.customer.numRows(),
				silver_customer_month: silver.customerMonth.numRows(),
			};
			return { output: { rows }, record: { rows, faults: silver.faults } };
		},
	);

	const Gold = stage<
		RunState,
		{ rows: Record<string, number>; asOfDate: string }
	>("Gold", async (s, lake) => {
		const [sc, scm] = await Promise.all([
			readTable(lake, s.runId, "silver", "silver_customer"),
			readTable(lake, s.runId, "silver", "silver_customer_month"),
		]);
		const asOfDate = s.bronze?.asOfDate;
		if (!asOfDate)
			throw new Error("Gold needs the as-of date from BronzeReduce");
		const gold = buildGold(sc, scm, { asOfDate });
		await saveTable(
			lake,
			s.runId,
			"gold",
			GOLD_CONTRACT,
			"gold_customer",
			gold,
		);
		const rows = { gold_customer: gold.numRows() };
		return {
			output: { rows, asOfDate },
			record: { rows, detail: { asOfDate, columns: gold.numCols() } },
		};
	});

	const PlanModel = stage<RunState, PlanOutput>(
		"PlanModel",
		async (s, lake) => {
			const champion = await new LocalModelRegistry(lake.root).champion();
			const action =
				s.mode === "train" || (s.mode === "auto" && !champion)
					? "train"
					: "score";
			return {
				output: { action, champion: champion?.version ?? null },
				record: { detail: { action, champion: champion?.version ?? null } },
			};
		},
	);

	const Train = stage<RunState, Record<string, unknown>>(
		"Train",
		async (s, lake) => {
			const gold = await readTable(lake, s.runId, "gold", "gold_customer");
			const r = await trainAndRegister(gold, {
				runId: s.runId,
				registry: new LocalModelRegistry(lake.root),
				gate: s.gate,
				seed: s.seed,
			});
			const out = {
				version: r.version.version,
				status: r.version.status,
				prAuc: r.evaluation.metrics.pr_auc,
				rocAuc: r.evaluation.metrics.roc_auc,
				gate: r.gate,
				timings: r.timings,
			};
			if (!r.gate.passed)
				await new LocalAlerts(lake.root).raise({
					kind: "model_rejected",
					runId: s.runId,
					batchId: s.batchId,
					message: `candidate ${r.version.version} rejected: PR-AUC ${r.gate.value.toFixed(3)} < ${r.gate.minimum}`,
				});
			return { output: out, record: { detail: out } };
		},
	);

	const Score = stage<RunState, Record<string, unknown>>(
		"Score",
		async (s, lake) => {
			const champion = await loadChampion(new LocalModelRegistry(lake.root));
			if (!champion)
				throw new NoChampionError(
					"no approved model is registered yet, so nothing can score this batch: the candidate was rejected by the promotion gate (see the Train stage). Small batches rarely reach it; for a trial run lower it with --gate.",
				);
			const gold = await readTable(lake, s.runId, "gold", "gold_customer");
			const scored = scoreCustomers(gold, champion.artifact, champion.model, {
				modelVersion: champion.version.version,
			});
			await saveTable(lake, s.runId, "scored", undefined, "scores", scored);
			const tiers = tierCounts(scored);
			const out = {
				modelVersion: champion.version.version,
				customers: scored.numRows(),
				tiers,
			};
			return {
				output: out,
				record: { rows: { scores: scored.numRows() }, detail: out },
			};
		},
	);

	const Recommend = stage<RunState, Record<string, unknown>>(
		"Recommend",
		async (s, lake) => {
			const [scored, gold] = await Promise.all([
				readTable(lake, s.runId, "scored", "scores"),
				readTable(lake, s.runId, "gold", "gold_customer"),
			]);
			const recs = recommend(scored, gold);
			const table = recommendationsTable(recs);
			await saveTable(
				lake,
				s.runId,
				"scored",
				undefined,
				"recommendations",
				table,
			);
			const byAction: Record<string, number> = {};
			for (const r of recs) byAction[r.action] = (byAction[r.action] ?? 0) + 1;
			return {
				output: { recommendations: recs.length, byAction },
				record: {
					rows: { recommendations: recs.length },
					detail: { byAction },
				},
			};
		},
	);

	const Drift = stage<RunState, Record<string, unknown>>(
		"Drift",
		async (s, lake) => {
			const champion = await new LocalModelRegistry(lake.root).champion();
			if (!champion)
				throw new NoChampionError(
					"drift needs the champion's reference, and no model is approved",
				);
			const [gold, scored] = await Promise.all([
				readTable(lake, s.runId, "gold", "gold_customer"),
				readTable(lake, s.runId, "scored", "scores"),
			]);
			const probaById = new Map<string, number>();
			const ids = scored.array("customer_id") as ArrayLike<string>;
			const proba = scored.array(PREDICTION_COLUMN) as ArrayLike<number>;
			for (let i = 0; i < ids.length; i++) probaById.set(ids[i], proba[i]);
			const goldIds = gold.array("customer_id") as ArrayLike<string>;
			const scores = Float64Array.from(
				{ length: goldIds.length },
				(_, i) => probaById.get(goldIds[i]) ?? Number.NaN,
			);
			const current = driftReference(gold, champion.features, scores);
			const refPath = driftReferencePath(lake, champion.version);
			if (!existsSync(refPath)) {
				// The reference is the population the champion was trained on: written by
				// the run that trained it, compared against by every later run.
				await writeParquetFile(refPath, current);
				const out = {
					referenceWritten: champion.version,
					anyDrift: false,
					driftedFeatures: [] as string[],
				};
				return { output: out, record: { detail: out } };
			}
			const report = driftReport(await readParquetFile(refPath), current, {
				features: champion.features,
				predictionColumn: PREDICTION_COLUMN,
			});
			await writeJsonAtomic(lake.docPath(s.runId, "monitoring", "drift"), {
				modelVersion: champion.version,
				...report,
			});
			if (report.anyDrift)
				await new LocalAlerts(lake.root).raise({
					kind: "drift_detected",
					runId: s.runId,
					batchId: s.batchId,
					message: `drift against ${champion.version}'s training population: ${report.driftedFeatures.length} features${report.prediction?.drifted ? " and churn_proba" : ""} (KS p < ${report.alpha})`,
					detail: {
						driftedFeatures: report.driftedFeatures,
						predictionDrifted: report.prediction?.drifted ?? false,
					},
				});
			const out = {
				modelVersion: champion.version,
				anyDrift: report.anyDrift,
				driftedFeatures: report.driftedFeatures,
				predictionDrifted: report.prediction?.drifted ?? false,
				predictionPValue: report.prediction?.pvalue ?? null,
			};
			return { output: out, record: { detail: out } };
		},
	);

	const MarkSucceeded = stage<RunState, { status: "succeeded" }>(
		"MarkSucceeded",
		async (s, lake) => {
			const manifest = new LocalRunManifest(lake.root);
			const run = await manifest.get(s.runId);
			const summary = await runSummary(lake, s, run?.stages ?? []);
			await writeJsonAtomic(`${lake.runDir(s.runId)}/run_report.json`, {
				...summary,
				stages: run?.stages ?? [],
			});
			await manifest.succeed(s.runId, summary);
			// Only now do readers (scoring, drift, report) see this run's outputs.
			await lake.setLatest({
				runId: s.runId,
				batchId: s.batchId,
				finishedAt: new Date().toISOString(),
			});
			return { output: { status: "succeeded" } };
		},
	);

	const MarkFailed = stage<RunState, { status: "failed" }>(
		"MarkFailed",
		async (s, lake) => {
			const error = {
				name: s.error?.Error ?? "Unknown",
				message: String(s.error?.Cause ?? ""),
			};
			await new LocalRunManifest(lake.root).fail(s.runId, error);
			await new LocalAlerts(lake.root).raise({
				kind: "run_failed",
				runId: s.runId,
				batchId: s.batchId,
				message: `${error.name}: ${error.message}`,
			});
			return { output: { status: "failed" } };
		},
	);

	return {
		ValidateRaw,
		BronzeShard,
		BronzeReduce,
		Silver,
		Gold,
		PlanModel,
		Train,
		Score,
		Recommend,
		Drift,
		MarkSucceeded,
		MarkFailed,
	} as Record<TaskStage, (input: never) => Promise<unknown>>;
}
