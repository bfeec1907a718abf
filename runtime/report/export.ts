/**
 * exportReportData: the report's source tables (contract.ts) for one run,
 * read only through the storage interfaces — ObjectStore keys of the lake
 * (runtime/io/lake.ts), RunManifest.list() and ModelRegistry — so the same
 * code runs locally (folder, files) and in AWS (S3, DynamoDB).
 *
 * The run given by `runId` is the one presented (it may still be "started":
 * PublishReport runs before MarkSucceeded); history comes from the manifest
 * and the registry.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
	Float64,
	Table,
	tableToIPC,
	Utf8,
	vectorFromArray,
} from "apache-arrow";
import * as pq from "parquet-wasm/node";
import { getJson, getTable, lakeKeys } from "../io/lake.ts";
import type { RunManifest, RunRecord } from "../io/manifest.ts";
import type { ObjectStore } from "../io/object-store.ts";
import { parquetToTable } from "../io/tables.ts";
import type { Evaluation } from "../model/artifact.ts";
import type { ModelRegistry, ModelVersion } from "../model/registry.ts";
import type { DriftFeatureResult, DriftReport } from "../monitoring/drift.ts";
import type { QualityReport } from "../monitoring/quality.ts";
import {
	REPORT_TABLE_NAMES,
	REPORT_TABLES,
	type ReportRow,
	type ReportTableName,
	TIER_ORDER,
} from "./contract.ts";

export interface ReportDeps {
	store: ObjectStore;
	manifest: RunManifest;
	registry: ModelRegistry;
	runId: string;
}

export interface ExportResult {
	outDir: string;
	runId: string;
	tables: Record<ReportTableName, number>;
}

/** The report needs these outputs of the run; without them there is nothing to present. */
export class ReportDataError extends Error {
	override readonly name = "ReportDataError";
}

type Rows = { [T in ReportTableName]: ReportRow<T>[] };
type Obj = Record<string, unknown>;

const LAYERS = ["staged", "bronze", "silver", "gold", "scored"] as const;
/** How many earlier runs get their scores read for the trend (each a small Parquet file). */
const TREND_RUNS = 30;
const CURVE_POINTS = 400;

const num = (v: unknown): number | null =>
	typeof v === "number" && Number.isFinite(v)
		? v
		: typeof v === "bigint"
			? Number(v)
			: null;
const str = (v: unknown): string | null =>
	v === null || v === undefined ? null : String(v);
const flag = (v: boolean | undefined | null): number | null =>
	v === undefined || v === null ? null : v ? 1 : 0;
const sum = (xs: Iterable<number>) => {
	let t = 0;
	for (const x of xs) t += x;
	return t;
};
const round2 = (x: number) => Math.round(x * 100) / 100;

async function tryTable(store: ObjectStore, key: string) {
	return (await store.exists(key)) ? getTable(store, key) : undefined;
}

/** Keep at most `max` evenly spaced points of a curve (first and last kept). */
export function downsample(length: number, max: number): number[] {
	if (length <= max) return Array.from({ length }, (_, i) => i);
	const idx = new Set<number>();
	for (let k = 0; k < max; k++)
		idx.add(Math.round((k * (length - 1)) / (max - 1)));
	return [...idx].sort((a, b) => a - b);
}

interface ScoreFigures {
	customers: number;
	atRisk: number;
	expectedLoss: number;
	modelVersion: string | null;
}

function scoreFigures(rows: Obj[]): ScoreFigures {
	return {
		customers: rows.length,
		atRisk: rows.filter(
			(r) => r.risk_tier === "High" || r.risk_tier === "Critical",
		).length,
		expectedLoss: round2(
			sum(rows.map((r) => num(r.expected_monthly_loss) ?? 0)),
		),
		modelVersion: str(rows[0]?.model_version),
	};
}

function runSeconds(r: RunRecord): number | null {
	if (!r.finishedAt) return null;
	return (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000;
}

function driftRow(
	d: DriftFeatureResult,
	kind: "feature" | "prediction",
	modelVersion: string | null,
): ReportRow<"drift"> {
	return {
		feature: d.feature,
		kind,
		statistic: num(d.statistic),
		p_value: num(d.pvalue),
		method: d.method,
		drifted: flag(d.drifted),
		reference_size: d.referenceSize,
		current_size: d.currentSize,
		reference_mean: num(d.referenceMean),
		current_mean: num(d.currentMean),
		reason: d.reason ?? null,
		model_version: modelVersion,
	};
}

/** Write the report's source tables for `deps.runId` into `outDir` (one Parquet file per table). */
export async function exportReportData(
	deps: ReportDeps,
	outDir: string,
): Promise<ExportResult> {
	const { store, manifest, registry, runId } = deps;
	const rows = Object.fromEntries(
		REPORT_TABLE_NAMES.map((t) => [t, []]),
	) as unknown as Rows;

	// --- the run's scores, recommendations and gold features -----------------
	const scoresTable = await tryTable(
		store,
		lakeKeys.table(runId, "scored", "scores"),
	);
	if (!scoresTable)
		throw new ReportDataError(
			`report: run ${runId} has no ${lakeKeys.table(runId, "scored", "scores")} (the report presents a run that scored its customers)`,
		);
	const scores = scoresTable.objects() as Obj[];
	const recs = new Map(
		(
			((
				await tryTable(
					store,
					lakeKeys.table(runId, "scored", "recommendations"),
				)
			)?.objects() ?? []) as Obj[]
		).map((r) => [String(r.customer_id), r]),
	);
	const gold = new Map(
		(
			((
				await tryTable(store, lakeKeys.table(runId, "gold", "gold_customer"))
			)?.objects() ?? []) as Obj[]
		).map((r) => [String(r.customer_id), r]),
	);
	for (const sc of scores) {
		const id = String(sc.customer_id);
		const g = gold.get(id) ?? {};
		const r = recs.get(id) ?? {};
		const tier = String(sc.risk_tier);
		rows.customers.push({
			customer_id: id,
			segment: str(g.segment),
			region: str(g.region),
			province_code: str(g.province_code),
			sales_channel: str(g.sales_channel),
			portfolio_type: str(g.portfolio_type),
			tenure_months: num(g.tenure_months),
			tenure_bucket: str(g.tenure_bucket),
			months_to_renewal: num(g.months_to_renewal),
			renewal_bucket: str(g.renewal_bucket),
			is_dual_fuel: num(g.is_dual_fuel),
			is_high_competition_province: num(g.is_high_competition_province),
			is_price_increase: num(g.is_price_increase),
			has_interaction: num(g.has_interaction),
			customer_intent: str(g.customer_intent) ?? "no_interaction",
			sentiment_label: str(g.sentiment_label) ?? "no_interaction",
			avg_monthly_margin_eur: num(g.avg_monthly_margin ?? r.avg_monthly_margin),
			total_margin_2024_eur: num(g.total_margin_2024),
			avg_monthly_elec_kwh: num(g.avg_monthly_elec_kwh),
			avg_monthly_gas_m3: num(g.avg_monthly_gas_m3),
			churn: num(g.churn),
			churn_proba: num(sc.churn_proba),
			churn_pred: num(sc.churn_pred),
			risk_tier: tier,
			tier_order: TIER_ORDER[tier] ?? null,
			expected_monthly_loss_eur: num(sc.expected_monthly_loss),
			action: str(r.action),
			timing: str(r.timing),
			offer_budget_eur: num(r.offer_budget_eur),
			reason_codes: str(r.reason_codes),
			driver_1_feature: str(sc.driver_1_feature),
			driver_1_contribution: num(sc.driver_1_contribution),
			driver_2_feature: str(sc.driver_2_feature),
			driver_2_contribution: num(sc.driver_2_contribution),
			driver_3_feature: str(sc.driver_3_feature),
			driver_3_contribution: num(sc.driver_3_contribution),
			driver_4_feature: str(sc.driver_4_feature),
			driver_4_contribution: num(sc.driver_4_contribution),
			driver_5_feature: str(sc.driver_5_feature),
			driver_5_contribution: num(sc.driver_5_contribution),
		});
	}
	// Global importance, written by the Score stage when the champion is a tree model.
	const importance = await tryTable(
		store,
		lakeKeys.table(runId, "scored", "feature_importance"),
	);
	for (const r of (importance?.objects() ?? []) as Obj[])
		rows.feature_importance.push({
			feature: str(r.feature),
			rank: num(r.rank),
			mean_abs_contribution: num(r.mean_abs_contribution),
			mean_contribution: num(r.mean_contribution),
		});
	const figures = scoreFigures(scores);

	// --- models: registry history, the scoring model's evaluation -------------
	const versions: ModelVersion[] = await registry.list();
	const champion = await registry.champion();
	const scoringVersion = figures.modelVersion ?? champion?.version ?? null;
	for (const v of versions) {
		const m = v.metrics;
		rows.models.push({
			version: v.version,
			registered_at: v.registeredAt,
			run_id: v.runId,
			status: v.status,
			is_champion: flag(v.version === champion?.version),
			is_scoring_model: flag(v.version === scoringVersion),
			experiment: v.experiment,
			algorithm: v.algorithm,
			n_features: v.features.length,
			pr_auc: m.pr_auc,
			roc_auc: m.roc_auc,
			precision: m.precision,
			recall: m.recall,
			f1: m.f1,
			accuracy: m.accuracy,
			threshold: m.threshold,
			gate_minimum: v.gate.minimum,
			gate_passed: flag(v.gate.passed),
			tp: m.confusion.tp,
			fp: m.confusion.fp,
			tn: m.confusion.tn,
			fn: m.confusion.fn,
		});
	}
	const scoringModel = versions.find((v) => v.version === scoringVersion);
	if (scoringModel) {
		const ev: Evaluation = await registry.loadEvaluation(scoringModel.version);
		const pr = ev.curves.pr;
		for (const i of downsample(pr.recall.length, CURVE_POINTS))
			rows.pr_curve.push({
				version: scoringModel.version,
				recall: pr.recall[i],
				precision: pr.precision[i],
				threshold: num(pr.thresholds[i]),
			});
		const roc = ev.curves.roc;
		for (const i of downsample(roc.fpr.length, CURVE_POINTS))
			rows.roc_curve.push({
				version: scoringModel.version,
				fpr: roc.fpr[i],
				tpr: roc.tpr[i],
				threshold: num(roc.thresholds[i]),
			});
		const c = ev.metrics.confusion;
		for (const [actual, predicted, count] of [
			["churn", "churn", c.tp],
			["churn", "stay", c.fn],
			["stay", "churn", c.fp],
			["stay", "stay", c.tn],
		] as const)
			rows.confusion.push({
				version: scoringModel.version,
				actual,
				predicted,
				customers: count,
			});
	}

	// --- manifest: run history, stages, faults --------------------------------
	// The run being reported is still "started" in the manifest: PublishReport
	// runs after every computing stage has succeeded and right before
	// MarkSucceeded, which marks it succeeded and moves "latest" to it. The
	// report presents it as it will stand (an error in between fails the run and
	// "latest" keeps the previous run's site and outputs).
	const now = new Date().toISOString();
	const records = (await manifest.list()).map((r) =>
		r.runId === runId && r.status === "started"
			? { ...r, status: "succeeded" as const, finishedAt: now }
			: r,
	);
	const current = records.find((r) => r.runId === runId);
	const trendFrom = Math.max(0, records.length - TREND_RUNS);
	for (const [i, r] of records.entries()) {
		const error = r.history.findLast((h) => h.error)?.error;
		let f: ScoreFigures | undefined;
		if (r.runId === runId) f = figures;
		else if (r.status === "succeeded" && i >= trendFrom) {
			const t = await tryTable(
				store,
				lakeKeys.table(r.runId, "scored", "scores"),
			);
			if (t) f = scoreFigures(t.objects() as Obj[]);
		}
		rows.runs.push({
			run_id: r.runId,
			batch_id: r.batchId,
			status: r.status,
			started_at: r.startedAt,
			finished_at: r.finishedAt ?? null,
			seconds: runSeconds(r),
			error_name: error?.name ?? null,
			error_message: error?.message ?? null,
			is_current: flag(r.runId === runId),
			model_version: f?.modelVersion ?? null,
			customers: f?.customers ?? null,
			at_risk_customers: f?.atRisk ?? null,
			expected_monthly_loss_eur: f?.expectedLoss ?? null,
		});
		for (const [order, st] of r.stages.entries()) {
			rows.stages.push({
				run_id: r.runId,
				stage: st.stage,
				stage_order: order + 1,
				seconds: st.seconds,
				rows_out: st.rows ? sum(Object.values(st.rows)) : null,
				detail: st.detail ? JSON.stringify(st.detail) : null,
			});
			for (const [table, count] of Object.entries(st.rows ?? {}))
				rows.stage_rows.push({
					run_id: r.runId,
					stage: st.stage,
					table_name: table,
					rows: count,
				});
			for (const [fault, count] of Object.entries(st.faults ?? {}))
				rows.faults.push({ run_id: r.runId, stage: st.stage, fault, count });
		}
	}

	// --- the run's lake tables and data quality -------------------------------
	for (const [layerOrder, layer] of LAYERS.entries()) {
		const prefix = `${lakeKeys.runPrefix(runId)}${layer}/`;
		for (const key of await store.list(prefix)) {
			const name = key.slice(prefix.length);
			if (!name.endsWith(".parquet") || name.includes("/")) continue;
			const bytes = await store.get(key);
			const t = parquetToTable(bytes);
			rows.layer_tables.push({
				layer,
				layer_order: layerOrder + 1,
				table_name: name.replace(/\.parquet$/, ""),
				object_key: key,
				rows: t.numRows(),
				columns: t.numCols(),
				bytes: bytes.byteLength,
			});
		}
	}
	const qualityPrefix = `${lakeKeys.runPrefix(runId)}quality/`;
	for (const key of await store.list(qualityPrefix)) {
		if (!key.endsWith(".json")) continue;
		const q = await getJson<QualityReport>(store, key);
		rows.quality.push({
			table_name: q.table,
			rows: q.rows,
			passed: flag(q.passed),
			errors: q.errors,
			warnings: q.warnings,
		});
		for (const v of q.violations)
			rows.quality_violations.push({
				table_name: q.table,
				rule: v.rule,
				column_name: v.column ?? null,
				severity: v.severity,
				detail: v.detail,
			});
		for (const c of q.columns as unknown as Obj[])
			rows.quality_columns.push({
				table_name: q.table,
				column_name: String(c.name),
				nulls: num(c.nulls),
				null_rate: num(c.nullRate),
				distinct_values: num(c.distinct),
				min_value: num(c.min),
				max_value: num(c.max),
			});
	}

	// --- drift ----------------------------------------------------------------
	const driftKey = lakeKeys.doc(runId, "monitoring", "drift");
	let drift: (DriftReport & { modelVersion?: string }) | undefined;
	if (await store.exists(driftKey)) {
		drift = await getJson<DriftReport & { modelVersion?: string }>(
			store,
			driftKey,
		);
		const mv = drift.modelVersion ?? scoringVersion;
		for (const d of drift.features) rows.drift.push(driftRow(d, "feature", mv));
		if (drift.prediction)
			rows.drift.push(driftRow(drift.prediction, "prediction", mv));
	}

	// --- experiment ladder: this run's, else the newest earlier run's ---------
	let ladderRun: string | null = null;
	const candidates = [
		runId,
		...records
			.map((r) => r.runId)
			.filter((id) => id !== runId)
			.reverse(),
	];
	for (const id of candidates) {
		const t = await tryTable(
			store,
			lakeKeys.table(id, "models", "experiments"),
		);
		if (!t) continue;
		ladderRun = id;
		for (const e of t.objects() as Obj[])
			rows.experiments.push({
				experiment: String(e.experiment),
				algorithm: String(e.algorithm),
				n_features: num(e.n_features),
				pr_auc: num(e.pr_auc),
				roc_auc: num(e.roc_auc),
				precision: num(e.precision),
				recall: num(e.recall),
				f1: num(e.f1),
				seconds: num(e.seconds),
				source_run_id: id,
			});
		break;
	}

	// --- the headline row -----------------------------------------------------
	const labels = rows.customers
		.map((c) => c.churn)
		.filter((x): x is number => x !== null);
	const atRiskLoss = sum(
		rows.customers
			.filter((c) => c.risk_tier === "High" || c.risk_tier === "Critical")
			.map((c) => c.expected_monthly_loss_eur ?? 0),
	);
	const offers = rows.customers.filter(
		(c) => c.action !== null && c.action !== "no_offer",
	);
	const lastStatus = current?.history.at(-1);
	rows.run_summary.push({
		run_id: runId,
		batch_id: current?.batchId ?? null,
		run_status: current?.status ?? null,
		started_at: current?.startedAt ?? null,
		finished_at: current?.finishedAt ?? lastStatus?.at ?? null,
		as_of_date: str(scores[0]?.as_of_date),
		generated_at: new Date().toISOString(),
		customers: figures.customers,
		observed_churn_rate: labels.length ? sum(labels) / labels.length : null,
		mean_churn_proba: scores.length
			? sum(scores.map((r) => num(r.churn_proba) ?? 0)) / scores.length
			: null,
		predicted_churners: sum(scores.map((r) => num(r.churn_pred) ?? 0)),
		at_risk_customers: figures.atRisk,
		at_risk_share: scores.length ? figures.atRisk / scores.length : null,
		expected_monthly_loss_eur: figures.expectedLoss,
		at_risk_expected_monthly_loss_eur: round2(atRiskLoss),
		offers: offers.length,
		offer_budget_eur: round2(sum(offers.map((c) => c.offer_budget_eur ?? 0))),
		model_version: scoringVersion,
		champion_version: champion?.version ?? null,
		pr_auc: scoringModel?.metrics.pr_auc ?? null,
		roc_auc: scoringModel?.metrics.roc_auc ?? null,
		threshold:
			scoringModel?.threshold.threshold ??
			scoringModel?.metrics.threshold ??
			null,
		gate_minimum: scoringModel?.gate.minimum ?? null,
		gate_passed: flag(scoringModel?.gate.passed),
		drift_checked: flag(drift !== undefined),
		drifted_features: drift ? drift.driftedFeatures.length : null,
		prediction_drifted: drift ? flag(drift.prediction?.drifted ?? false) : null,
		ladder_rows: rows.experiments.length,
		ladder_run_id: ladderRun,
	});

	// --- write ----------------------------------------------------------------
	await mkdir(outDir, { recursive: true });
	const counts = {} as Record<ReportTableName, number>;
	for (const name of REPORT_TABLE_NAMES) {
		await writeFile(
			join(outDir, `${name}.parquet`),
			rowsToParquet(REPORT_TABLES[name], rows[name] as Obj[]),
		);
		counts[name] = rows[name].length;
	}
	return { outDir, runId, tables: counts };
}

/** Rows → Parquet with the contract's column types (an empty table keeps its schema). */
export function rowsToParquet(
	schema: Readonly<Record<string, "string" | "number">>,
	rows: Obj[],
): Uint8Array {
	const columns = Object.fromEntries(
		Object.entries(schema).map(([col, type]) => [
			col,
			type === "number"
				? vectorFromArray(
						rows.map((r) => num(r[col])),
						new Float64(),
					)
				: vectorFromArray(
						rows.map((r) => str(r[col])),
						new Utf8(),
					),
		]),
	);
	const ipc = tableToIPC(new Table(columns), "stream");
	const props = new pq.WriterPropertiesBuilder()
		.setCompression(pq.Compression.ZSTD)
		.build();
	return pq.writeParquet(pq.Table.fromIPCStream(ipc), props);
}
