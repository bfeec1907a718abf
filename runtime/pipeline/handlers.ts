/**
 * One handler per Task state of the state machine. Each takes and returns
 * small JSON (run id, keys, counts, metrics — never tables): tables go to the
 * lake under the run id. The same functions run in-process locally and as
 * Lambda handlers in AWS.
 */
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { basename, join, relative } from "node:path";
import { buildBronzeCustomer } from "../data/bronze/bronze-customer.ts";
import { buildBronzeCustomerMonth } from "../data/bronze/bronze-customer-month.ts";
import type { ConsumptionShard } from "../data/bronze/consumption-shards.ts";
import {
	planConsumptionShards,
	stagedCsvShards,
} from "../data/bronze/consumption-shards.ts";
import {
	BRONZE_CUSTOMER_CONTRACT,
	BRONZE_CUSTOMER_MONTH_CONTRACT,
	consumptionCoverageViolations,
} from "../data/bronze/contracts.ts";
import {
	aggregateConsumptionShard,
	mergeShardAggregates,
	readShardAggregate,
	reaggregateStraddling,
	writeShardAggregate,
} from "../data/bronze/hourly-aggregate.ts";
import { stageCsvConsumption } from "../data/bronze/stage-csv.ts";
import { createSentimentScorer } from "../data/nlp/sentiment.ts";
import { loadRawBatch, type RawBatch } from "../data/raw/load-batch.ts";
import { buildSilver } from "../data/silver/build-silver.ts";
import {
	SILVER_CUSTOMER_CONTRACT,
	SILVER_CUSTOMER_MONTH_CONTRACT,
} from "../data/silver/contracts.ts";
import { DataQualityError, type QualityViolation } from "../errors.ts";
import { buildGold } from "../features/build-gold.ts";
import { defaultAsOfDate } from "../features/dates.ts";
import { GOLD_CONTRACT } from "../features/gold-contract.ts";
import {
	getJson,
	getTable,
	type Layer,
	lakeKeys,
	putJson,
	putTable,
} from "../io/lake.ts";
import type { StageRecord } from "../io/manifest.ts";
import {
	materialize,
	materializePrefix,
	ObjectNotFoundError,
} from "../io/object-store.ts";
import type { Table } from "../io/tables.ts";
import { rootLogger } from "../log.ts";
import { trainAndRegister } from "../model/train.ts";
import {
	driftReference,
	driftReport,
	PREDICTION_COLUMN,
} from "../monitoring/drift.ts";
import {
	checkTable,
	type QualityReport,
	type QualityTolerances,
	resolveTolerances,
	type TableContract,
} from "../monitoring/quality.ts";
import { emitStageMetrics } from "../monitoring/stage-metrics.ts";
import { loadChampion } from "../scoring/champion.ts";
import {
	contributionsTable,
	explainCustomers,
	explanationSummary,
	importanceTable,
} from "../scoring/explanations.ts";
import { recommend, recommendationsTable } from "../scoring/recommendations.ts";
import { scoreCustomers, tierCounts } from "../scoring/score.ts";
import type { TaskStage } from "./definition.ts";
import { localPlatform, type Platform } from "./platform.ts";

/** The execution input: what a run is about. */
export interface RunInput {
	runId: string;
	batchId: string;
	/** The local data folder (embedded default); absent in AWS, where the platform comes from the environment. */
	dataRoot?: string;
	/** auto: train when there is no champion, otherwise score with it. */
	mode: "auto" | "train" | "score";
	shardCount: number;
	gate: number;
	seed: number;
	/** Judgement thresholds of the quality contracts (defaults: DEFAULT_TOLERANCES, docs/data-quality.md). */
	quality?: Partial<QualityTolerances>;
}

export interface ValidateOutput {
	/** The shards, inline (an inline Map iterates over them). */
	shards: ConsumptionShard[];
	shardCount: number;
	/** Lake key of the same list as a JSON array (a Distributed Map's ItemReader). */
	shardsKey: string;
	rows: Record<string, number>;
}
export interface ShardInput {
	runId: string;
	dataRoot?: string;
	shard: ConsumptionShard;
	index: number;
}
export interface ShardOutput {
	index: number;
	seconds: number;
	/** Lake key of the shard's partial aggregate. */
	key: string;
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

class NoChampionError extends Error {
	override readonly name = "NoChampionError";
}

type StageCounts = Pick<StageRecord, "rows" | "faults" | "detail">;

interface StageResult<O> {
	output: O;
	record?: StageCounts;
}

/**
 * What a stage has counted so far: a body fills it before a step that may
 * fail (e.g. the quality gate), so a failed stage still reports its rows and
 * faults.
 */
export type StageProgress = StageCounts;

/** Resolves the platform a stage input runs on. */
export type PlatformResolver = (input: { dataRoot?: string }) => Platform;

/** The embedded default: the local platform on the input's data folder. */
export const localResolver: PlatformResolver = (input) => {
	if (!input.dataRoot)
		throw new Error(
			"the local platform needs dataRoot in the execution input (in Lambda the platform comes from the environment)",
		);
	return localPlatform(input.dataRoot);
};

/**
 * Times a stage, logs it, emits its metrics and records it in the manifest —
 * a failed one too (outcome, error, and what it had counted), so a failed
 * run's summary lists every stage that ran.
 */
function stage<I extends { runId: string; dataRoot?: string }, O>(
	name: TaskStage,
	resolve: PlatformResolver,
	body: (
		input: I,
		p: Platform,
		progress: StageProgress,
	) => Promise<StageResult<O>>,
): (input: I) => Promise<O> {
	return async (input) => {
		const log = rootLogger.child({ runId: input.runId, stage: name });
		const platform = resolve(input);
		// A scratch folder of this invocation only, removed at the end: a warm
		// Lambda keeps /tmp, and concurrent iterations must not share files.
		await mkdir(platform.scratchDir, { recursive: true });
		const scratchDir = await mkdtemp(join(platform.scratchDir, `${name}-`));
		const p: Platform = { ...platform, scratchDir };
		const t0 = performance.now();
		const progress: StageProgress = {};
		log.info("stage started");
		try {
			const { output, record } = await body(input, p, progress);
			const seconds = (performance.now() - t0) / 1000;
			log.info("stage succeeded", { seconds, ...record });
			await emitStageMetrics({
				runId: input.runId,
				stage: name,
				seconds,
				rows: record?.rows,
				faults: record?.faults,
				localPath: p.metricsPath?.(input.runId),
			});
			// Map iterations report through the reduce, which records the whole bronze.
			if (name !== "BronzeShard")
				await p.manifest.recordStage(input.runId, {
					stage: name,
					seconds,
					outcome: "succeeded",
					...record,
				});
			return output;
		} catch (e) {
			const err = e as Error;
			const error = { name: err.name, message: err.message };
			log.error("stage failed", { error });
			// A failing shard fails the whole Map: it is recorded as BronzeShards.
			await p.manifest
				.recordStage(input.runId, {
					stage: name === "BronzeShard" ? "BronzeShards" : name,
					seconds: (performance.now() - t0) / 1000,
					outcome: "failed",
					error,
					...progress,
				})
				.catch((re: unknown) =>
					log.error("could not record the failed stage", {
						error: String(re),
					}),
				);
			throw e;
		} finally {
			await rm(scratchDir, { recursive: true, force: true });
		}
	};
}

/** What a table is checked against: its contract, the run's tolerances, and rules checked elsewhere. */
interface QualityCheck {
	contract: TableContract;
	tolerances: QualityTolerances;
	extra?: readonly QualityViolation[];
}

/** Checks a table against its contract and saves the report. */
async function qualityReport(
	p: Platform,
	runId: string,
	check: QualityCheck,
	table: Table,
): Promise<QualityReport> {
	const { contract } = check;
	const report = checkTable(contract, table, check.tolerances, check.extra);
	await putJson(
		p.store,
		lakeKeys.doc(runId, "quality", contract.table),
		report,
	);
	return report;
}

interface TableToSave {
	name: string;
	table: Table;
	check?: QualityCheck;
}

/**
 * Checks every table of a stage first, so one failed run reports all its
 * violations (not only the first table's), then stops on errors or saves.
 */
async function saveTables(
	p: Platform,
	runId: string,
	layer: Layer,
	tables: readonly TableToSave[],
) {
	const reports = await Promise.all(
		tables.map((t) =>
			t.check ? qualityReport(p, runId, t.check, t.table) : undefined,
		),
	);
	const errors = reports.flatMap(
		(r) => r?.violations.filter((v) => v.severity === "error") ?? [],
	);
	if (errors.length > 0) throw new DataQualityError(errors);
	for (const t of tables)
		await putTable(p.store, lakeKeys.table(runId, layer, t.name), t.table);
}

const saveTable = (
	p: Platform,
	runId: string,
	layer: Layer,
	check: QualityCheck | undefined,
	name: string,
	table: Table,
) => saveTables(p, runId, layer, [{ name, table, check }]);

const readTable = (p: Platform, runId: string, layer: Layer, name: string) =>
	getTable(p.store, lakeKeys.table(runId, layer, name));

const STAGED_TABLES = [
	"churnLabel",
	"attributes",
	"contracts",
	"interactions",
	"prices",
	"costs",
] as const;

/** Staged metadata of the raw batch (the consumption source holds lake keys, not local paths). */
type StagedMeta = Pick<RawBatch, "batchDir" | "consumption" | "faults">;

/**
 * Validated small raw datasets are staged once as Parquet under the run, so
 * the reduce reads them back in milliseconds instead of re-parsing the CSVs
 * (≈ 5 s at full scale). The raw batch itself is never touched.
 */
async function stageRaw(
	p: Platform,
	runId: string,
	raw: RawBatch,
	meta: StagedMeta,
): Promise<void> {
	await Promise.all(
		STAGED_TABLES.map((t) =>
			putTable(p.store, lakeKeys.table(runId, "staged", t), raw[t]),
		),
	);
	await putJson(p.store, lakeKeys.doc(runId, "staged", "batch"), meta);
}

async function readStagedRaw(p: Platform, runId: string): Promise<RawBatch> {
	const meta = await getJson<StagedMeta>(
		p.store,
		lakeKeys.doc(runId, "staged", "batch"),
	);
	const tables = await Promise.all(
		STAGED_TABLES.map((t) => readTable(p, runId, "staged", t)),
	);
	return {
		...meta,
		...(Object.fromEntries(
			STAGED_TABLES.map((t, i) => [t, tables[i]]),
		) as Record<(typeof STAGED_TABLES)[number], Table>),
	};
}

/** Local file paths (under the materialised batch folder) → lake keys, and back. */
function piecesToKeys(
	shards: ConsumptionShard[],
	localBatchDir: string,
	rawPrefix: string,
): ConsumptionShard[] {
	return shards.map((sh) => ({
		...sh,
		pieces: sh.pieces.map((pc) => ({
			...pc,
			path: rawPrefix + relative(localBatchDir, pc.path).split("\\").join("/"),
		})),
	}));
}

/** A shard whose pieces are lake keys → the same shard on local files (downloaded to scratch in Lambda). */
async function materializeShard(
	p: Platform,
	shard: ConsumptionShard,
): Promise<ConsumptionShard> {
	const pieces = await Promise.all(
		shard.pieces.map(async (pc) => ({
			...pc,
			path: await materialize(p.store, pc.path, p.scratchDir),
		})),
	);
	return { ...shard, pieces };
}

const straddlingCount = (agg: { table: Table } | undefined) =>
	agg
		? new Set(Array.from(agg.table.array("customer_id") as ArrayLike<string>))
				.size
		: 0;

/**
 * A CSV consumption file parsed once: converted to Parquet parts by customer
 * hash under `runs/<id>/staged/consumption/`, uploaded to the lake, one shard
 * per part (docs/data-quality.md, "Hourly integrity").
 */
async function stageCsvShards(
	p: Platform,
	s: RunState,
	csvPath: string,
): Promise<ConsumptionShard[]> {
	const local = await stageCsvConsumption(
		csvPath,
		join(p.scratchDir, "staged-consumption"),
		s.shardCount,
	);
	const parts = [];
	// One at a time: a part is read into memory to be put.
	for (const part of local) {
		const key = lakeKeys.table(
			s.runId,
			"staged",
			`consumption/bucket-${String(part.bucket).padStart(3, "0")}/${basename(part.path, ".parquet")}`,
		);
		await p.store.put(key, await readFile(part.path));
		parts.push({ bucket: part.bucket, path: key });
	}
	return stagedCsvShards(parts);
}

/** The key of a shard's partial aggregate (its metadata is `<key>.json`). */
const shardKey = (runId: string, shardId: string) =>
	lakeKeys.table(runId, "bronze", `shards/${shardId}`);

/**
 * The run-history record of a succeeded run (the report's pipeline-status
 * data): rows per table, faults absorbed, quality per table, gate decision,
 * scoring and drift summaries.
 */
async function runSummary(
	p: Platform,
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
	const quality: Record<
		string,
		{ passed: boolean; errors: number; warnings: number }
	> = {};
	const qualityKeys = (
		await p.store.list(`${lakeKeys.runPrefix(s.runId)}quality/`)
	).filter((k) => k.endsWith(".json"));
	for (const key of qualityKeys) {
		const q = await getJson<QualityReport>(p.store, key);
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
		runId: s.runId,
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
		report: detail("PublishReport") ?? null,
		seconds: Object.fromEntries(
			stages.map((x) => [x.stage, Number(x.seconds.toFixed(2))]),
		),
	};
}

/** What PublishReport does: build the site for a run and put it where it is served. */
export type ReportPublisher = (
	p: Platform,
	run: { runId: string; batchId: string },
) => Promise<Record<string, unknown>>;

export interface HandlerOptions {
	/** Where each input's state lives (default: the local platform on its dataRoot). */
	platform?: PlatformResolver;
	/** Builds and publishes the report; without one, PublishReport records that it was skipped. */
	publishReport?: ReportPublisher;
}

export type StageHandlers = Record<
	TaskStage,
	(input: never) => Promise<unknown>
>;

export function createHandlers(o: HandlerOptions = {}): StageHandlers {
	const resolve = o.platform ?? localResolver;

	const ValidateRaw = stage<RunState, ValidateOutput>(
		"ValidateRaw",
		resolve,
		async (s, p) => {
			const rawPrefix = lakeKeys.rawPrefix(s.batchId);
			const batchDir = await materializePrefix(
				p.store,
				rawPrefix,
				p.scratchDir,
			);
			const raw = await loadRawBatch(batchDir);
			const shards =
				raw.consumption.format === "csv"
					? await stageCsvShards(p, s, raw.consumption.files[0].path)
					: piecesToKeys(
							planConsumptionShards(raw.consumption, s.shardCount),
							batchDir,
							rawPrefix,
						);
			const consumption = {
				...raw.consumption,
				files: raw.consumption.files.map((f) => ({
					...f,
					path: rawPrefix + relative(batchDir, f.path).split("\\").join("/"),
				})),
			};
			await stageRaw(p, s.runId, raw, {
				batchDir: rawPrefix,
				consumption,
				faults: raw.faults,
			});
			// The shard list as a JSON array: a Distributed Map reads its items from it.
			const shardsKey = lakeKeys.doc(s.runId, "staged", "shards");
			await p.store.put(shardsKey, JSON.stringify(shards));
			const rows = {
				churn_label: raw.churnLabel.numRows(),
				customer_attributes: raw.attributes.numRows(),
				customer_contracts: raw.contracts.numRows(),
				customer_interactions: raw.interactions.numRows(),
				price_history: raw.prices.numRows(),
				costs_by_province_month: raw.costs.numRows(),
			};
			return {
				output: { shards, shardCount: shards.length, shardsKey, rows },
				record: { rows, faults: raw.faults, detail: { shards: shards.length } },
			};
		},
	);

	const BronzeShard = stage<ShardInput, ShardOutput>(
		"BronzeShard",
		resolve,
		async (s, p) => {
			const t0 = performance.now();
			// DuckDB reads files: the pieces' own files locally, downloads to scratch in Lambda.
			const agg = await aggregateConsumptionShard(
				await materializeShard(p, s.shard),
				{ threads: 1 },
			);
			const key = shardKey(s.runId, s.shard.id);
			await writeShardAggregate(p.store, key, agg);
			const seconds = (performance.now() - t0) / 1000;
			return {
				output: {
					index: s.index,
					seconds,
					key,
					rowsRead: agg.rowsRead,
					customerMonths: agg.table.numRows(),
				},
			};
		},
	);

	const BronzeReduce = stage<RunState, BronzeOutput>(
		"BronzeReduce",
		resolve,
		async (s, p, progress) => {
			// The shard list, not the Map's result, says what to merge: a Distributed
			// Map writes its results to S3 instead of the state.
			const shardList = await getJson<ConsumptionShard[]>(
				p.store,
				s.raw?.shardsKey ?? lakeKeys.doc(s.runId, "staged", "shards"),
			);
			const shardIds = shardList.map((sh) => sh.id);
			const parts = await Promise.all(
				shardIds.map(async (id) => {
					try {
						return await readShardAggregate(p.store, shardKey(s.runId, id));
					} catch (e) {
						if (e instanceof ObjectNotFoundError)
							throw new Error(
								`bronze shard ${id} has no result in the lake (${e.key}); the Map did not complete it`,
							);
						throw e;
					}
				}),
			);
			const tolerances = resolveTolerances(s.quality);
			// Customers whose hours straddle shards are re-aggregated from their pieces
			// in one pass (docs/data-quality.md, "Hourly integrity"); none with customer-split parts.
			const straddling = await reaggregateStraddling(shardList, parts, {
				threads: 1,
				prepare: (sh) => materializeShard(p, sh),
			});
			const merged = mergeShardAggregates(parts, {
				maxInvalidHourlyShare: tolerances.maxInvalidHourlyShare,
				straddling,
			});
			const raw = await readStagedRaw(p, s.runId);
			const customer = buildBronzeCustomer(raw);
			const month = buildBronzeCustomerMonth(merged.table, raw, customer.table);
			const hourly = merged.rowsRead;
			const rows = {
				consumption_hourly: hourly,
				bronze_customer: customer.table.numRows(),
				bronze_customer_month: month.table.numRows(),
			};
			const faults = {
				...merged.faults,
				...customer.faults,
				...month.faults,
			};
			// Counted before the quality gates, so a failed gate still reports them.
			Object.assign(progress, { rows, faults });
			await saveTables(p, s.runId, "bronze", [
				{
					name: "bronze_customer",
					table: customer.table,
					check: { contract: BRONZE_CUSTOMER_CONTRACT, tolerances },
				},
				{
					name: "bronze_customer_month",
					table: month.table,
					check: {
						contract: BRONZE_CUSTOMER_MONTH_CONTRACT,
						tolerances,
						extra: consumptionCoverageViolations(
							customer.table,
							month.customersWithoutConsumption,
							tolerances,
						),
					},
				},
			]);
			const asOfDate = defaultAsOfDate(merged.maxTimestamp);
			const timings = Array.isArray(s.bronzeShards) ? s.bronzeShards : [];
			return {
				output: { rows, asOfDate },
				record: {
					rows,
					faults,
					detail: {
						asOfDate,
						shards: parts.length,
						straddlingCustomers: straddlingCount(straddling),
						missingHours: merged.missingHours,
						shardSecondsTotal: timings.reduce((a, x) => a + x.seconds, 0),
						shardSecondsMax: Math.max(0, ...timings.map((x) => x.seconds)),
					},
				},
			};
		},
	);

	const Silver = stage<RunState, { rows: Record<string, number> }>(
		"Silver",
		resolve,
		async (s, p, progress) => {
			const [bc, bcm] = await Promise.all([
				readTable(p, s.runId, "bronze", "bronze_customer"),
				readTable(p, s.runId, "bronze", "bronze_customer_month"),
			]);
			const silver = await buildSilver(bc, bcm, {
				sentiment: createSentimentScorer(),
			});
			const rows = {
				silver_customer: silver.customer.numRows(),
				silver_customer_month: silver.customerMonth.numRows(),
			};
			Object.assign(progress, { rows, faults: silver.faults });
			const tolerances = resolveTolerances(s.quality);
			await saveTables(p, s.runId, "silver", [
				{
					name: "silver_customer",
					table: silver.customer,
					check: { contract: SILVER_CUSTOMER_CONTRACT, tolerances },
				},
				{
					name: "silver_customer_month",
					table: silver.customerMonth,
					check: { contract: SILVER_CUSTOMER_MONTH_CONTRACT, tolerances },
				},
			]);
			return { output: { rows }, record: { rows, faults: silver.faults } };
		},
	);

	const Gold = stage<
		RunState,
		{ rows: Record<string, number>; asOfDate: string }
	>("Gold", resolve, async (s, p, progress) => {
		const [sc, scm] = await Promise.all([
			readTable(p, s.runId, "silver", "silver_customer"),
			readTable(p, s.runId, "silver", "silver_customer_month"),
		]);
		const asOfDate = s.bronze?.asOfDate;
		if (!asOfDate)
			throw new Error("Gold needs the as-of date from BronzeReduce");
		const gold = buildGold(sc, scm, { asOfDate });
		const rows = { gold_customer: gold.numRows() };
		progress.rows = rows;
		await saveTable(
			p,
			s.runId,
			"gold",
			{ contract: GOLD_CONTRACT, tolerances: resolveTolerances(s.quality) },
			"gold_customer",
			gold,
		);
		return {
			output: { rows, asOfDate },
			record: { rows, detail: { asOfDate, columns: gold.numCols() } },
		};
	});

	const PlanModel = stage<RunState, PlanOutput>(
		"PlanModel",
		resolve,
		async (s, p) => {
			const champion = await p.registry.champion();
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
		resolve,
		async (s, p) => {
			const gold = await readTable(p, s.runId, "gold", "gold_customer");
			const r = await trainAndRegister(gold, {
				runId: s.runId,
				registry: p.registry,
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
				await p.alerts.raise({
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
		resolve,
		async (s, p) => {
			const champion = await loadChampion(p.registry);
			if (!champion)
				throw new NoChampionError(
					"no approved model is registered yet, so nothing can score this batch: the candidate was rejected by the promotion gate (see the Train stage). Small batches rarely reach it; for a trial run lower it with --gate.",
				);
			const gold = await readTable(p, s.runId, "gold", "gold_customer");
			// TreeSHAP when the champion is a tree model (runtime/scoring/explanations.ts).
			const explanation = explainCustomers(gold, champion.artifact);
			const scored = scoreCustomers(gold, champion.artifact, champion.model, {
				modelVersion: champion.version.version,
				explanation,
			});
			await saveTable(p, s.runId, "scored", undefined, "scores", scored);
			if (explanation) {
				const save = (name: string, t: Table) =>
					saveTable(p, s.runId, "scored", undefined, name, t);
				await save("contributions", contributionsTable(explanation));
				await save("feature_importance", importanceTable(explanation));
			}
			const tiers = tierCounts(scored);
			const out = {
				modelVersion: champion.version.version,
				customers: scored.numRows(),
				tiers,
				explanations: explanation ? explanationSummary(explanation) : null,
			};
			return {
				output: out,
				record: { rows: { scores: scored.numRows() }, detail: out },
			};
		},
	);

	const Recommend = stage<RunState, Record<string, unknown>>(
		"Recommend",
		resolve,
		async (s, p) => {
			const [scored, gold] = await Promise.all([
				readTable(p, s.runId, "scored", "scores"),
				readTable(p, s.runId, "gold", "gold_customer"),
			]);
			// Reason codes from the Score stage's contributions when it wrote them.
			const shap = lakeKeys.table(s.runId, "scored", "contributions");
			const contributions = (await p.store.exists(shap))
				? await readTable(p, s.runId, "scored", "contributions")
				: undefined;
			const recs = recommend(scored, gold, contributions);
			const table = recommendationsTable(recs);
			await saveTable(
				p,
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
		resolve,
		async (s, p) => {
			const champion = await p.registry.champion();
			if (!champion)
				throw new NoChampionError(
					"drift needs the champion's reference, and no model is approved",
				);
			const [gold, scored] = await Promise.all([
				readTable(p, s.runId, "gold", "gold_customer"),
				readTable(p, s.runId, "scored", "scores"),
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
			const refKey = lakeKeys.driftReference(champion.version);
			if (!(await p.store.exists(refKey))) {
				// The reference is the population the champion was trained on: written by
				// the run that trained it, compared against by every later run.
				await putTable(p.store, refKey, current);
				const out = {
					referenceWritten: champion.version,
					anyDrift: false,
					driftedFeatures: [] as string[],
				};
				return { output: out, record: { detail: out } };
			}
			const report = driftReport(await getTable(p.store, refKey), current, {
				features: champion.features,
				predictionColumn: PREDICTION_COLUMN,
			});
			await putJson(p.store, lakeKeys.doc(s.runId, "monitoring", "drift"), {
				modelVersion: champion.version,
				...report,
			});
			if (report.anyDrift)
				await p.alerts.raise({
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

	const PublishReport = stage<RunState, Record<string, unknown>>(
		"PublishReport",
		resolve,
		async (s, p) => {
			const out = o.publishReport
				? await o.publishReport(p, { runId: s.runId, batchId: s.batchId })
				: { skipped: "no report publisher configured for this run" };
			return { output: out, record: { detail: out } };
		},
	);

	const MarkSucceeded = stage<RunState, { status: "succeeded" }>(
		"MarkSucceeded",
		resolve,
		async (s, p) => {
			const run = await p.manifest.get(s.runId);
			const summary = await runSummary(p, s, run?.stages ?? []);
			await putJson(p.store, lakeKeys.runReport(s.runId), {
				status: "succeeded",
				...summary,
				stages: run?.stages ?? [],
			});
			await p.manifest.succeed(s.runId, summary);
			// Only now do readers (scoring, drift, report) see this run's outputs.
			await putJson(p.store, lakeKeys.latest, {
				runId: s.runId,
				batchId: s.batchId,
				finishedAt: new Date().toISOString(),
			});
			return { output: { status: "succeeded" } };
		},
	);

	const MarkFailed = stage<RunState, { status: "failed" }>(
		"MarkFailed",
		resolve,
		async (s, p) => {
			const error = {
				name: s.error?.Error ?? "Unknown",
				message: String(s.error?.Cause ?? ""),
			};
			// The same report as a succeeded run's, with what ran up to the failure
			// (every stage with its outcome, time, rows and faults) and the error.
			try {
				const run = await p.manifest.get(s.runId);
				const stages = run?.stages ?? [];
				const summary = await runSummary(p, s, stages);
				await putJson(p.store, lakeKeys.runReport(s.runId), {
					status: "failed",
					error,
					failedStage:
						stages.findLast((x) => x.outcome === "failed")?.stage ?? null,
					...summary,
					stages,
				});
			} catch (e) {
				// The run is marked failed whatever happens to its report.
				rootLogger
					.child({ runId: s.runId, stage: "MarkFailed" })
					.error("could not write run_report.json", { error: String(e) });
			}
			await p.manifest.fail(s.runId, error);
			await p.alerts.raise({
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
		PublishReport,
		MarkSucceeded,
		MarkFailed,
	} as StageHandlers;
}
