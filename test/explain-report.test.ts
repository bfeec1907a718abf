/**
 * TreeSHAP through the pipeline: on a small run the Score stage writes the
 * contributions, the global importance and each customer's top drivers, the
 * Recommend stage takes its reason codes from the contributions, and the
 * report's export carries both to the model and lookup pages.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lake } from "../runtime/io/lake.ts";
import { readParquetFile, type Table } from "../runtime/io/tables.ts";
import { executeRun } from "../runtime/pipeline/execute.ts";
import { exportReportData } from "../runtime/report/export.ts";
import { TOP_DRIVERS } from "../runtime/scoring/explanations.ts";
import { reasonCodesFromContributions } from "../runtime/scoring/recommendations.ts";
import { generateBatch } from "../runtime/synth/generate.ts";

let root: string;
let lake: Lake;
let runId = "";
let exportDir = "";
const scoredTable = (name: string): Promise<Table> =>
	readParquetFile(lake.tablePath(runId, "scored", name));

beforeAll(async () => {
	root = await mkdtemp(join(tmpdir(), "sg-explain-report-"));
	lake = new Lake(root);
	await generateBatch({
		customers: 400,
		seed: 9,
		outDir: lake.rawDir("b1"),
		partCustomers: 200,
	});
	exportDir = join(root, "export");
	const r = await executeRun({
		dataRoot: root,
		batchId: "b1",
		shardCount: 2,
		gate: 0,
		publishReport: async (p, run) => {
			await exportReportData(
				{
					store: p.store,
					manifest: p.manifest,
					registry: p.registry,
					runId: run.runId,
				},
				exportDir,
			);
			return { published: true };
		},
	});
	if (!r.ok) throw new Error("pipeline run failed");
	runId = r.runId;
});
afterAll(async () => {
	await rm(root, { recursive: true, force: true });
});

describe("TreeSHAP in the pipeline", () => {
	it("the Score stage writes contributions that add up per customer, and the importance", async () => {
		const contributions = await scoredTable("contributions");
		const importance = await scoredTable("feature_importance");
		const scores = await scoredTable("scores");
		expect(contributions.numRows()).toBe(scores.numRows());
		const features = contributions
			.columnNames()
			.filter((c) => c !== "customer_id" && c !== "bias");
		expect(importance.numRows()).toBe(features.length);
		// Importance = mean |contribution| of the contributions table.
		const top = importance.objects()[0] as {
			feature: string;
			mean_abs_contribution: number;
		};
		const col = Array.from(
			contributions.array(top.feature) as ArrayLike<number>,
		);
		expect(top.mean_abs_contribution).toBeCloseTo(
			col.reduce((s, v) => s + Math.abs(v), 0) / col.length,
			12,
		);
		// Each scored row's first driver is its largest |contribution|.
		const byId = new Map(
			(contributions.objects() as Record<string, number | string>[]).map(
				(r) => [String(r.customer_id), r],
			),
		);
		for (const s of scores.objects() as Record<string, unknown>[]) {
			const c = byId.get(String(s.customer_id));
			if (!c) throw new Error("customer without contributions");
			const largest = Math.max(...features.map((f) => Math.abs(Number(c[f]))));
			expect(Math.abs(Number(s.driver_1_contribution))).toBeCloseTo(largest, 4);
			expect(s[`driver_${TOP_DRIVERS}_feature`]).toBeTypeOf("string");
		}
	});

	it("the Recommend stage's reason codes are the contributions'", async () => {
		const contributions = await scoredTable("contributions");
		const recs = await scoredTable("recommendations");
		const gold = await readParquetFile(
			lake.tablePath(runId, "gold", "gold_customer"),
		);
		const goldById = new Map(
			(gold.objects() as Record<string, unknown>[]).map((g) => [
				String(g.customer_id),
				g,
			]),
		);
		const cById = new Map(
			(contributions.objects() as Record<string, number>[]).map((r) => [
				String(r.customer_id),
				r,
			]),
		);
		let differFromRules = 0;
		for (const r of recs.objects() as Record<string, unknown>[]) {
			const id = String(r.customer_id);
			const expected = reasonCodesFromContributions(
				goldById.get(id) ?? {},
				(f) => cById.get(id)?.[f],
			);
			const codes = String(r.reason_codes)
				.split("|")
				.filter((c) => c !== "negative_margin_no_offer");
			expect(codes).toEqual(expected);
			if (codes.some((c) => c === "consumption_pattern" || c === "price_trend"))
				differFromRules++;
		}
		// Model-driver codes (no rule behind them) do appear: the codes are not the rules'.
		expect(differFromRules).toBeGreaterThan(0);
	});

	it("the report export carries the importance and each customer's drivers", async () => {
		const importance = await readParquetFile(
			join(exportDir, "feature_importance.parquet"),
		);
		const lakeImportance = await scoredTable("feature_importance");
		expect(importance.objects()).toEqual(lakeImportance.objects());
		const customers = await readParquetFile(
			join(exportDir, "customers.parquet"),
		);
		const scores = new Map(
			(
				(await scoredTable("scores")).objects() as Record<string, unknown>[]
			).map((s) => [String(s.customer_id), s]),
		);
		for (const c of customers.objects() as Record<string, unknown>[]) {
			const s = scores.get(String(c.customer_id));
			for (let k = 1; k <= TOP_DRIVERS; k++) {
				expect(c[`driver_${k}_feature`]).toBe(s?.[`driver_${k}_feature`]);
				expect(c[`driver_${k}_contribution`]).toBe(
					s?.[`driver_${k}_contribution`],
				);
			}
		}
	});
});
