/**
 * The report's data contract: exportReportData on a small pipeline run,
 * called from the PublishReport stage exactly as the pipeline calls it (the
 * run still "started", latest not moved yet), checked against the pipeline's
 * own outputs; and the Evidence project reads exactly the contract's tables.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lake, lakeKeys, putJson } from "../runtime/io/lake.ts";
import { LocalRunManifest } from "../runtime/io/manifest.ts";
import { LocalObjectStore } from "../runtime/io/object-store.ts";
import { readParquetFile, type Table } from "../runtime/io/tables.ts";
import { LocalModelRegistry } from "../runtime/model/registry.ts";
import {
	REALIZED_PERFORMANCE_DOC,
	realizedPerformance,
} from "../runtime/monitoring/realized.ts";
import { executeRun } from "../runtime/pipeline/execute.ts";
import type { ReportPublisher } from "../runtime/pipeline/handlers.ts";
import { REPORTS_DIR } from "../runtime/report/build.ts";
import {
	REPORT_TABLE_NAMES,
	REPORT_TABLES,
	type ReportTableName,
} from "../runtime/report/contract.ts";
import {
	downsample,
	type ExportResult,
	exportReportData,
	ReportDataError,
} from "../runtime/report/export.ts";
import { reportPublisher } from "../runtime/report/publish.ts";
import { generateBatch } from "../runtime/synth/generate.ts";
import { checkPages } from "./support/page-queries.ts";

// Compile-time check (tsc): the stage publisher fits the pipeline's PublishReport hook.
const stagePublisher: ReportPublisher = reportPublisher();

const CUSTOMERS = 300;
let root: string;
let lake: Lake;
let runId = "";
let secondRunId = "";
let exported: ExportResult;
let secondExport: ExportResult;
let statusDuringPublish = "";

const read = (dir: string, t: ReportTableName): Promise<Table> =>
	readParquetFile(join(dir, `${t}.parquet`));
const rowsOf = async (dir: string, t: ReportTableName) =>
	(await read(dir, t)).objects() as Record<string, unknown>[];

beforeAll(async () => {
	root = await mkdtemp(join(tmpdir(), "sg-report-export-"));
	lake = new Lake(root);
	await generateBatch({
		customers: CUSTOMERS,
		seed: 5,
		outDir: lake.rawDir("b1"),
		partCustomers: 100,
	});
	await generateBatch({
		customers: CUSTOMERS,
		seed: 6,
		outDir: lake.rawDir("b2"),
		partCustomers: 100,
		drift: 1,
	});
	const first = await executeRun({
		dataRoot: root,
		batchId: "b1",
		shardCount: 2,
		gate: 0,
		publishReport: async (p, run) => {
			statusDuringPublish =
				(await p.manifest.get(run.runId))?.status ?? "missing";
			exported = await exportReportData(
				{
					store: p.store,
					manifest: p.manifest,
					registry: p.registry,
					runId: run.runId,
				},
				join(root, "export-1"),
			);
			return { tables: exported.tables };
		},
	});
	expect(first.ok, JSON.stringify(first.record?.history)).toBe(true);
	runId = first.runId;
	const second = await executeRun({
		dataRoot: root,
		batchId: "b2",
		shardCount: 2,
		gate: 0,
	});
	expect(second.ok, JSON.stringify(second.record?.history)).toBe(true);
	secondRunId = second.runId;
	secondExport = await exportReportData(
		{
			store: new LocalObjectStore(root),
			manifest: new LocalRunManifest(root),
			registry: new LocalModelRegistry(root),
			runId: secondRunId,
		},
		join(root, "export-2"),
	);
}, 600_000);

afterAll(async () => {
	await rm(root, { recursive: true, force: true });
});

describe("exportReportData", () => {
	it("runs inside PublishReport, before the run is marked succeeded", () => {
		expect(statusDuringPublish).toBe("started");
		expect(exported.runId).toBe(runId);
	});

	it("writes every table of the contract with exactly its columns and types", async () => {
		for (const t of REPORT_TABLE_NAMES) {
			const table = await read(exported.outDir, t);
			expect(table.columnNames(), t).toEqual(Object.keys(REPORT_TABLES[t]));
			expect(table.numRows(), t).toBe(exported.tables[t]);
			// Typed columns even when every value is null or the table is empty.
			for (const [col, type] of Object.entries(REPORT_TABLES[t])) {
				const values = table.array(col) as ArrayLike<unknown>;
				for (let i = 0; i < values.length; i++) {
					const v = values[i];
					if (v !== null)
						expect(typeof v, `${t}.${col}`).toBe(
							type === "number" ? "number" : "string",
						);
				}
			}
		}
	});

	it("headline figures equal the pipeline's scores and registry", async () => {
		const scores = (
			await readParquetFile(lake.tablePath(runId, "scored", "scores"))
		).objects() as {
			risk_tier: string;
			expected_monthly_loss: number;
			churn_pred: number;
		}[];
		const [s] = await rowsOf(exported.outDir, "run_summary");
		const atRisk = scores.filter(
			(r) => r.risk_tier === "High" || r.risk_tier === "Critical",
		).length;
		const loss = scores.reduce((a, r) => a + r.expected_monthly_loss, 0);
		const champion = await new LocalModelRegistry(root).champion();
		expect(s.run_id).toBe(runId);
		expect(s.batch_id).toBe("b1");
		// Still "started" in the manifest, presented as it stands once MarkSucceeded (next) runs.
		expect(s.run_status).toBe("succeeded");
		expect(s.finished_at).not.toBeNull();
		expect(s.customers).toBe(CUSTOMERS);
		expect(s.at_risk_customers).toBe(atRisk);
		expect(s.expected_monthly_loss_eur).toBeCloseTo(loss, 2);
		expect(s.predicted_churners).toBe(
			scores.reduce((a, r) => a + r.churn_pred, 0),
		);
		expect(s.model_version).toBe(champion?.version);
		expect(s.pr_auc).toBe(champion?.metrics.pr_auc);
		expect(s.roc_auc).toBe(champion?.metrics.roc_auc);
		expect(s.gate_passed).toBe(1);
		// First run: no drift reference existed, no ladder was run.
		expect(s.drift_checked).toBe(0);
		expect(exported.tables.drift).toBe(0);
		expect(s.ladder_rows).toBe(0);
		expect(s.ladder_run_id).toBeNull();
	});

	it("one customers row per scored customer, joined with recommendations and gold", async () => {
		const customers = await rowsOf(exported.outDir, "customers");
		expect(customers).toHaveLength(CUSTOMERS);
		const recs = (
			await readParquetFile(lake.tablePath(runId, "scored", "recommendations"))
		).objects() as Record<string, unknown>[];
		const gold = (
			await readParquetFile(lake.tablePath(runId, "gold", "gold_customer"))
		).objects() as Record<string, unknown>[];
		const byId = new Map(customers.map((c) => [c.customer_id, c]));
		for (const r of recs.slice(0, 50)) {
			const c = byId.get(r.customer_id);
			expect(c?.action).toBe(r.action);
			expect(c?.offer_budget_eur).toBe(r.offer_budget_eur);
			expect(c?.risk_tier).toBe(r.risk_tier);
			expect(c?.tier_order).toBe(
				{ Low: 1, Medium: 2, High: 3, Critical: 4 }[r.risk_tier as string],
			);
		}
		for (const g of gold.slice(0, 50)) {
			const c = byId.get(g.customer_id);
			expect(c?.segment).toBe(g.segment);
			expect(c?.churn).toBe(g.churn);
			expect(c?.avg_monthly_margin_eur).toBe(g.avg_monthly_margin);
		}
	});

	it("model tables: registry history, downsampled curves, confusion matrix", async () => {
		const models = await rowsOf(exported.outDir, "models");
		const versions = await new LocalModelRegistry(root).list();
		expect(models.map((m) => m.version)).toEqual(
			versions.map((v) => v.version),
		);
		expect(models[0]).toMatchObject({ is_champion: 1, is_scoring_model: 1 });
		const ev = await new LocalModelRegistry(root).loadEvaluation("v0001");
		const confusion = await rowsOf(exported.outDir, "confusion");
		const cell = (a: string, p: string) =>
			confusion.find((c) => c.actual === a && c.predicted === p)?.customers;
		expect(cell("churn", "churn")).toBe(ev.metrics.confusion.tp);
		expect(cell("stay", "churn")).toBe(ev.metrics.confusion.fp);
		expect(cell("churn", "stay")).toBe(ev.metrics.confusion.fn);
		expect(cell("stay", "stay")).toBe(ev.metrics.confusion.tn);
		const pr = await rowsOf(exported.outDir, "pr_curve");
		expect(pr.length).toBe(Math.min(400, ev.curves.pr.recall.length));
		expect(pr[0].recall).toBe(ev.curves.pr.recall[0]);
		expect(pr.at(-1)?.recall).toBe(ev.curves.pr.recall.at(-1));
	});

	it("pipeline tables: stages, faults, layers and quality of the run", async () => {
		const record = await new LocalRunManifest(root).get(runId);
		const stages = (await rowsOf(exported.outDir, "stages")).filter(
			(s) => s.run_id === runId,
		);
		// Exported during PublishReport: every stage before it is recorded.
		expect(stages.map((s) => s.stage)).toEqual(
			record?.stages
				.map((s) => s.stage)
				.filter((s) => s !== "PublishReport" && s !== "MarkSucceeded"),
		);
		const layers = await rowsOf(exported.outDir, "layer_tables");
		const gold = layers.find((l) => l.table_name === "gold_customer");
		expect(gold).toMatchObject({ layer: "gold", rows: CUSTOMERS });
		expect(
			layers.find((l) => l.table_name === "bronze_customer_month")?.rows,
		).toBe(CUSTOMERS * 12);
		const quality = await rowsOf(exported.outDir, "quality");
		expect(quality.map((q) => q.table_name).sort()).toEqual([
			"bronze_customer",
			"bronze_customer_month",
			"gold_customer",
			"silver_customer",
			"silver_customer_month",
		]);
		const faults = await rowsOf(exported.outDir, "faults");
		expect(
			faults.find((f) => f.fault === "negative_elec_readings_clamped")?.count,
		).toBeGreaterThan(0);
	});

	it("a later run: history of both runs, drift against the champion, the earlier run's ladder", async () => {
		const runs = await rowsOf(secondExport.outDir, "runs");
		expect(runs.map((r) => r.run_id)).toEqual([runId, secondRunId]);
		expect(runs.map((r) => r.is_current)).toEqual([0, 1]);
		// The earlier run's figures for the trend come from its own scores.
		const firstScores = await readParquetFile(
			lake.tablePath(runId, "scored", "scores"),
		);
		expect(runs[0].customers).toBe(firstScores.numRows());
		expect(runs[0].status).toBe("succeeded");
		const drift = JSON.parse(
			await readFile(lake.docPath(secondRunId, "monitoring", "drift"), "utf8"),
		) as { features: unknown[]; driftedFeatures: string[] };
		const rows = await rowsOf(secondExport.outDir, "drift");
		expect(rows.filter((r) => r.kind === "feature")).toHaveLength(
			drift.features.length,
		);
		expect(rows.filter((r) => r.kind === "prediction")).toHaveLength(1);
		const [s] = await rowsOf(secondExport.outDir, "run_summary");
		expect(s.drift_checked).toBe(1);
		expect(s.drifted_features).toBe(drift.driftedFeatures.length);
		expect(
			rows.filter((r) => r.drifted === 1 && r.kind === "feature").length,
		).toBe(drift.driftedFeatures.length);
	});

	it("shows the newest ladder of an earlier run when the run has none", async () => {
		const store = new LocalObjectStore(root);
		const { rowsToParquet } = await import("../runtime/report/export.ts");
		await store.put(
			`runs/${runId}/models/experiments.parquet`,
			rowsToParquet(
				{ experiment: "string", algorithm: "string", pr_auc: "number" },
				[
					{ experiment: "E0", algorithm: "logistic", pr_auc: 0.25 },
					{ experiment: "E1", algorithm: "xgboost", pr_auc: 0.4 },
				],
			),
		);
		const r = await exportReportData(
			{
				store,
				manifest: new LocalRunManifest(root),
				registry: new LocalModelRegistry(root),
				runId: secondRunId,
			},
			join(root, "export-3"),
		);
		const ladder = await rowsOf(r.outDir, "experiments");
		expect(
			ladder.map((e) => [e.experiment, e.pr_auc, e.source_run_id]),
		).toEqual([
			["E0", 0.25, runId],
			["E1", 0.4, runId],
		]);
		const [s] = await rowsOf(r.outDir, "run_summary");
		expect(s).toMatchObject({ ladder_rows: 2, ladder_run_id: runId });
	});

	it("tiers come from runtime/scoring/tiers.ts, at risk included", async () => {
		const tiers = await rowsOf(exported.outDir, "tiers");
		expect(tiers).toEqual([
			{
				tier: "Low",
				tier_order: 1,
				lower_bound: 0,
				upper_bound: 0.4,
				at_risk: 0,
			},
			{
				tier: "Medium",
				tier_order: 2,
				lower_bound: 0.4,
				upper_bound: 0.6,
				at_risk: 0,
			},
			{
				tier: "High",
				tier_order: 3,
				lower_bound: 0.6,
				upper_bound: 0.8,
				at_risk: 1,
			},
			{
				tier: "Critical",
				tier_order: 4,
				lower_bound: 0.8,
				upper_bound: 1,
				at_risk: 1,
			},
		]);
		// No page spells the at-risk tiers out in SQL: they read lake.tiers.
		const pagesDir = join(REPORTS_DIR, "pages");
		for (const p of await readdir(pagesDir))
			if (p.endsWith(".md"))
				expect(await readFile(join(pagesDir, p), "utf8"), p).not.toMatch(
					/in \('High', 'Critical'\)/,
				);
	});

	it("churn drivers: observed churn per level equals a count over gold, with Wilson intervals", async () => {
		const gold = (
			await readParquetFile(lake.tablePath(runId, "gold", "gold_customer"))
		).objects() as Record<string, unknown>[];
		const drivers = await rowsOf(exported.outDir, "churn_drivers");
		const [s] = await rowsOf(exported.outDir, "run_summary");
		expect(s.labelled_customers).toBe(gold.length);
		for (const dim of [
			"segment",
			"renewal_bucket",
			"tenure_bucket",
			"sentiment_label",
			"customer_intent",
			"sales_channel",
			"is_high_competition_province",
			"is_dual_fuel",
		]) {
			const rows = drivers.filter((d) => d.dimension === dim);
			expect(rows.length, dim).toBeGreaterThan(1);
			expect(
				rows.reduce((a, r) => a + (r.customers as number), 0),
				dim,
			).toBe(gold.length);
			expect(
				rows.map((r) => r.level_order),
				dim,
			).toEqual(rows.map((_, i) => i + 1));
			for (const r of rows) {
				expect(r.churn_rate).toBeCloseTo(
					(r.churners as number) / (r.customers as number),
					12,
				);
				expect(r.ci_low as number).toBeLessThanOrEqual(r.churn_rate as number);
				expect(r.ci_high as number).toBeGreaterThanOrEqual(
					r.churn_rate as number,
				);
			}
		}
		const sme = gold.filter((g) => g.segment === "SME");
		const smeRow = drivers.find(
			(d) => d.dimension === "segment" && d.level === "SME",
		);
		expect(smeRow?.customers).toBe(sme.length);
		expect(smeRow?.churners).toBe(sme.filter((g) => g.churn === 1).length);
		const dual = drivers.find(
			(d) => d.dimension === "is_dual_fuel" && d.level === "dual fuel",
		);
		expect(dual?.customers).toBe(
			gold.filter((g) => g.is_dual_fuel === 1).length,
		);
		// Buckets follow their months: the expired / shortest bucket first.
		const renewal = drivers.filter((d) => d.dimension === "renewal_bucket");
		for (let i = 1; i < renewal.length; i++)
			expect(renewal[i].value_min as number).toBeGreaterThan(
				renewal[i - 1].value_min as number,
			);
	});

	it("drift distributions: the reference alone on the training run, both sides later", async () => {
		const first = await rowsOf(exported.outDir, "drift_distributions");
		expect(first.length).toBeGreaterThan(0);
		expect(first.every((b) => b.current_share === null)).toBe(true);
		expect(new Set(first.map((b) => b.feature))).toContain("segment");
		expect(new Set(first.map((b) => b.feature))).toContain("churn_proba");
		const seg = first.filter((b) => b.feature === "segment");
		const gold = (
			await readParquetFile(lake.tablePath(runId, "gold", "gold_customer"))
		).objects() as Record<string, unknown>[];
		for (const b of seg)
			expect(b.reference_count, String(b.bin)).toBe(
				gold.filter((g) => g.segment === b.bin).length,
			);
		const second = await rowsOf(secondExport.outDir, "drift_distributions");
		expect(second.every((b) => b.current_share !== null)).toBe(true);
		const drift = await rowsOf(secondExport.outDir, "drift");
		const segment = drift.find((d) => d.feature === "segment");
		expect(segment).toMatchObject({
			feature_type: "categorical",
			test: "chi2",
			effect_metric: "jensen_shannon",
			effect_threshold: 0.1,
			alpha: 0.01,
		});
	});

	it("realized performance: none on a training run, the Score stage's record and its trend later", async () => {
		expect(exported.tables.realized_performance).toBe(0);
		const [s1] = await rowsOf(exported.outDir, "run_summary");
		expect(s1.realized_run_id).toBeNull();
		// The record the Score stage writes for a labelled score-mode batch (docs/realized-performance.md).
		const store = new LocalObjectStore(root);
		const scores = (
			await readParquetFile(lake.tablePath(secondRunId, "scored", "scores"))
		).objects() as {
			customer_id: string;
			churn_proba: number;
			risk_tier: string;
		}[];
		const gold = new Map(
			(
				(
					await readParquetFile(
						lake.tablePath(secondRunId, "gold", "gold_customer"),
					)
				).objects() as { customer_id: string; churn: number }[]
			).map((g) => [g.customer_id, g.churn]),
		);
		const perf = realizedPerformance({
			scores: scores.map((x) => x.churn_proba),
			labels: scores.map((x) => gold.get(x.customer_id) as number),
			tiers: scores.map((x) => x.risk_tier),
			gate: 0.7,
		});
		await putJson(
			store,
			lakeKeys.doc(secondRunId, "monitoring", REALIZED_PERFORMANCE_DOC),
			{ modelVersion: "v0001", ...perf },
		);
		const r = await exportReportData(
			{
				store,
				manifest: new LocalRunManifest(root),
				registry: new LocalModelRegistry(root),
				runId: secondRunId,
			},
			join(root, "export-realized"),
		);
		const rows = await rowsOf(r.outDir, "realized_performance");
		const champion = await new LocalModelRegistry(root).get("v0001");
		expect(rows).toHaveLength(1);
		expect(rows[0]).toMatchObject({
			run_id: secondRunId,
			batch_id: "b2",
			is_current: 1,
			customers: CUSTOMERS,
			churners: perf.churners,
			pr_auc: perf.prAuc,
			training_pr_auc: champion?.metrics.pr_auc,
			below_gate: perf.belowGate ? 1 : 0,
		});
		const cal = await rowsOf(r.outDir, "realized_calibration");
		expect(cal.map((b) => b.bin)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
		expect(cal.reduce((a, b) => a + (b.customers as number), 0)).toBe(
			CUSTOMERS,
		);
		const tiers = await rowsOf(r.outDir, "realized_tiers");
		expect(tiers.map((t) => t.tier)).toEqual([
			"Low",
			"Medium",
			"High",
			"Critical",
		]);
		expect(tiers.reduce((a, t) => a + (t.churners as number), 0)).toBe(
			perf.churners,
		);
		const [s2] = await rowsOf(r.outDir, "run_summary");
		expect(s2.realized_run_id).toBe(secondRunId);
		// Presenting the first run again: the later run's record is not its history.
		const again = await exportReportData(
			{
				store,
				manifest: new LocalRunManifest(root),
				registry: new LocalModelRegistry(root),
				runId,
			},
			join(root, "export-first-again"),
		);
		expect(again.tables.realized_performance).toBe(0);
		expect(again.tables.realized_calibration).toBe(0);
	});

	it("refuses a run that has no scores", async () => {
		await expect(
			exportReportData(
				{
					store: new LocalObjectStore(root),
					manifest: new LocalRunManifest(root),
					registry: new LocalModelRegistry(root),
					runId: "no-such-run",
				},
				join(root, "export-x"),
			),
		).rejects.toThrow(ReportDataError);
		expect(existsSync(join(root, "export-x"))).toBe(false);
	});

	it("provides the PublishReport stage's publisher", () => {
		expect(typeof stagePublisher).toBe("function");
	});

	it("downsample keeps both ends and at most max points", () => {
		expect(downsample(5, 10)).toEqual([0, 1, 2, 3, 4]);
		const d = downsample(4021, 400);
		expect(d.length).toBeLessThanOrEqual(400);
		expect(d[0]).toBe(0);
		expect(d.at(-1)).toBe(4020);
	});
});

describe("the Evidence project reads exactly the contract", () => {
	it("one source query per contract table, each reading its exported file", async () => {
		const dir = join(REPORTS_DIR, "sources", "lake");
		const sqlFiles = (await readdir(dir)).filter((f) => f.endsWith(".sql"));
		expect(sqlFiles.map((f) => f.replace(/\.sql$/, "")).sort()).toEqual(
			[...REPORT_TABLE_NAMES].sort(),
		);
		for (const t of REPORT_TABLE_NAMES)
			expect((await readFile(join(dir, `${t}.sql`), "utf8")).trim()).toBe(
				`select * from read_parquet('report-data/${t}.parquet')`,
			);
	});

	it("every page query runs on the exported tables and every component names a column of its query", async () => {
		const pagesDir = join(REPORTS_DIR, "pages");
		// The training run (no drift comparison, no realized record) and the later run (both).
		expect(await checkPages(pagesDir, exported.outDir)).toEqual([]);
		expect(await checkPages(pagesDir, secondExport.outDir)).toEqual([]);
	});

	it("pages query only contract tables and columns", async () => {
		const pagesDir = join(REPORTS_DIR, "pages");
		const pages = (await readdir(pagesDir)).filter((f) => f.endsWith(".md"));
		expect(pages.length).toBe(11);
		const known = new Set<string>(REPORT_TABLE_NAMES);
		for (const p of pages) {
			const text = await readFile(join(pagesDir, p), "utf8");
			for (const m of text.matchAll(/\blake\.([a-z_]+)/g))
				expect(known.has(m[1]), `${p}: lake.${m[1]}`).toBe(true);
		}
	});
});
