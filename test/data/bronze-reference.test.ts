/**
 * The pipeline's bronze_customer_month consumption columns equal an
 * independent DuckDB aggregation of the same hourly files
 * (test/support/bronze-reference.ts) on a hand-written batch, through the real
 * stage handlers (ValidateRaw → BronzeShard × n → BronzeReduce). The bench
 * runs the same comparison at 100 k customers.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withDuckDB } from "../../runtime/data/raw/duckdb.ts";
import { Lake } from "../../runtime/io/lake.ts";
import { LocalRunManifest } from "../../runtime/io/manifest.ts";
import { tableToParquet } from "../../runtime/io/tables.ts";
import {
	createHandlers,
	type RunState,
} from "../../runtime/pipeline/handlers.ts";
import {
	HOURLY,
	type HourRow,
	writeHourlyParquet,
	writeTinyBatch,
} from "../fixtures/raw/tiny-batch.ts";
import {
	compareWithReference,
	referenceSql,
} from "../support/bronze-reference.ts";

type H = (input: unknown) => Promise<unknown>;

/** Extra hand-written hours: every period boundary of a weekday, a holiday weekday and a Sunday. */
const BOUNDARIES: HourRow[] = Array.from({ length: 24 }, (_, h) => [
	[
		"C3",
		`2024-03-05 ${String(h).padStart(2, "0")}:00:00`,
		0.1 * (h + 1),
		0.0123,
	] as HourRow,
	[
		"C3",
		`2024-05-01 ${String(h).padStart(2, "0")}:00:00`,
		0.2,
		null,
	] as HourRow,
	[
		"C2",
		`2024-03-10 ${String(h).padStart(2, "0")}:00:00`,
		0.0001,
		0.0002,
	] as HourRow,
]).flat();

/**
 * Duplicated hours, in both parts (C1 is in the first, C2 and C3 in the
 * second): exact copies, conflicting readings, a padded id, a row in 2025.
 */
const DUPLICATES: HourRow[] = [
	["C1", "2024-01-02 10:00:00", 2.0, 0.1], // exact copy of a HOURLY row
	["C1", "2024-01-02 08:00:00", 0.75, 0], // conflicting (HOURLY has 0.25)
	[" C1", "2024-01-07 12:00:00", 3.0, 0.4], // padded id, gas conflicting
	["C3", "2024-03-05 10:00:00", 0.5, 0.0123], // conflicting with BOUNDARIES (1.1)
	["C3", "2024-03-05 10:00:00", 9.5, null], // larger electricity, no gas
	["C2", "2024-03-10 05:00:00", 0.0001, 0.0002], // exact copy
	["C2", "2025-01-01 00:00:00", 1, 1], // out of the batch year
	// The wall-clock hour repeated when DST ends: two real hours, then a third row (a duplicate).
	["C3", "2024-10-27 02:00:00", 0.4, 0],
	["C3", "2024-10-27 02:00:00", 0.7, 0.1],
	["C3", "2024-10-27 02:00:00", 0.5, 0],
	["C2", "2024-10-27 02:00:00", 0.3, 0],
	["C2", "2024-10-27 02:00:00", 0.3, 0],
];

/** Complete prices and costs for every customer-month above, so no quality rule is in play here. */
const PRICE_HEADER =
	"customer_id,pricing_date,variable_price_tier1_eur_kwh,variable_price_tier2_eur_kwh,variable_price_tier3_eur_kwh,elec_fixed_fee_eur_month,elec_fixed_cost_eur_month,gas_variable_price_eur_m3,gas_fixed_revenue_eur_year,gas_fixed_cost_eur_year";
const MONTHS = {
	C1: ["01", "02"],
	C2: ["01", "03", "10"],
	C3: ["03", "05", "10"],
};
const PRICES = [
	PRICE_HEADER,
	...Object.entries(MONTHS).flatMap(([id, ms]) =>
		ms.map((m) => `${id},2024-${m}-01,0.2,0.15,0.1,5,2,0.9,60,30`),
	),
].join("\n");
const COSTS = [
	"month,province,elec_var_cost_eur_kwh,gas_var_cost_eur_m3,peaje_elec_eur_kwh",
	...["01", "02", "03", "05", "10"].flatMap((m) =>
		["28", "08"].map((p) => `2024-${m},${p},0.07,0.3,0.02`),
	),
].join("\n");

let root: string;
let bronzePath: string;
let hourly: string[];
let churnLabel: string;
let reduceFaults: Record<string, number>;

beforeAll(async () => {
	root = await mkdtemp(join(tmpdir(), "bronze-ref-"));
	const lake = new Lake(root);
	const batchId = "hand";
	const batchDir = await writeTinyBatch(lake.rawDir(batchId), {
		consumption: "parts",
		files: {
			"price_history.csv": PRICES,
			"costs_by_province_month.csv": COSTS,
		},
		hourly: [...HOURLY, ...BOUNDARIES, ...DUPLICATES],
	});
	hourly = ["part-000.parquet", "part-001.parquet"].map((f) =>
		join(batchDir, "consumption_hourly_2024", f),
	);
	churnLabel = join(batchDir, "churn_label.csv");
	await new LocalRunManifest(lake.root).start(batchId, "r1", { force: true });
	const h = createHandlers() as unknown as Record<string, H>;
	const state: RunState = {
		runId: "r1",
		batchId,
		dataRoot: lake.root,
		mode: "auto",
		shardCount: 3,
		gate: 0,
		seed: 1,
		quality: { maxInvalidHourlyShare: 0.05 },
	};
	state.raw = (await h.ValidateRaw(state)) as RunState["raw"];
	state.bronzeShards = (await Promise.all(
		(state.raw?.shards ?? []).map((shard, index) =>
			h.BronzeShard({ runId: "r1", dataRoot: lake.root, shard, index }),
		),
	)) as RunState["bronzeShards"];
	await h.BronzeReduce(state);
	reduceFaults =
		(await new LocalRunManifest(lake.root).get("r1"))?.stages.find(
			(x) => x.stage === "BronzeReduce",
		)?.faults ?? {};
	bronzePath = lake.tablePath("r1", "bronze", "bronze_customer_month");
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe("bronze_customer_month against the independent DuckDB aggregation", () => {
	it("equals it row for row", async () => {
		const c = await compareWithReference(bronzePath, hourly, churnLabel, {
			threads: 1,
		});
		expect(c.examples).toEqual([]);
		expect(c).toMatchObject({ mismatchedRows: 0, maxAbsDifference: 0 });
		expect(c.referenceRows).toBeGreaterThanOrEqual(5);
	});

	it("a missing id's duplicated rows do not hide a customer without duplicates", async () => {
		// The reference once selected the customers with duplicates by NOT IN,
		// which a NULL id in that list turns into "no row at all" (100 k batch).
		const file = join(root, "null-ids.parquet");
		const label = join(root, "null-ids.csv");
		await writeHourlyParquet(file, [
			["C1", "2024-01-02 10:00:00", 1, 0],
			[null, "2024-01-02 10:00:00", 1, 0],
			[null, "2024-01-02 10:00:00", 1, 0],
		]);
		await writeFile(label, "customer_id,churn\nC1,0\n");
		const rows = await withDuckDB({}, async (con) =>
			(await con.runAndReadAll(referenceSql([file], label))).getRowObjectsJS(),
		);
		expect(rows).toMatchObject([
			{ customer_id: "C1", month: "2024-01", hours_in_month: 1n },
		]);
	});

	it("computed in customer buckets (as the bench does at scale) it is the same reference", async () => {
		const c = await compareWithReference(bronzePath, hourly, churnLabel, {
			threads: 1,
			buckets: 3,
		});
		const whole = await compareWithReference(bronzePath, hourly, churnLabel);
		expect(c).toMatchObject({ mismatchedRows: 0, maxAbsDifference: 0 });
		expect(c.referenceRows).toBe(whole.referenceRows);
	});

	it("counts the duplicated and out-of-year rows by kind", () => {
		expect(reduceFaults).toMatchObject({
			consumption_duplicate_rows_exact: 2,
			consumption_duplicate_rows_conflicting: 5,
			consumption_rows_out_of_year_dropped: 1,
		});
	});

	it("catches a table that differs in one cell or one row", async () => {
		const { readParquetFile } = await import("../../runtime/io/tables.ts");
		const good = await readParquetFile(bronzePath);
		const peak = Float64Array.from(
			good.array("elec_kwh_tier_1_peak") as ArrayLike<number>,
		);
		peak[0] += 1e-6;
		const off = good.assign({ elec_kwh_tier_1_peak: peak });
		const path = join(root, "off.parquet");
		await writeFile(path, tableToParquet(off));
		expect(
			(await compareWithReference(path, hourly, churnLabel)).mismatchedRows,
		).toBe(1);
		await writeFile(path, tableToParquet(good.slice(1)));
		expect(
			(await compareWithReference(path, hourly, churnLabel)).mismatchedRows,
		).toBe(1);
	});
});
