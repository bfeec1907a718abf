/**
 * Hourly integrity (docs/data-quality.md, "Hourly integrity") on hand-written
 * rows with hand-computed results: duplicate (customer, hour) rows — exact
 * ones dropped, conflicting ones resolved to the largest reading per channel —
 * never inflate a total, whatever the row order or the shard they fall in;
 * out-of-year and unparsable rows are dropped, counted, and fail the run
 * beyond the tolerated share; missing hours are summarised.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, it } from "vitest";
import { planConsumptionShards } from "../../runtime/data/bronze/consumption-shards.ts";
import { aggregateConsumption } from "../../runtime/data/bronze/hourly-aggregate.ts";
import { locateConsumption } from "../../runtime/data/raw/consumption-source.ts";
import { InvalidHourlyRowsError } from "../../runtime/errors.ts";
import {
	type HourRow,
	hourlyCsv,
	writeHourlyParquet,
} from "../fixtures/raw/tiny-batch.ts";

const root = await mkdtemp(join(tmpdir(), "hourly-integrity-"));
afterAll(() => rm(root, { recursive: true, force: true }));

/** C1, January 2024: six distinct hours written 13 times. */
const C1: HourRow[] = [
	// Tue 10 h, peak: three identical rows → 2 exact duplicates; kept 2.0 / 0.1.
	["C1", "2024-01-02 10:00:00", 2.0, 0.1],
	["C1", "2024-01-02 10:00:00", 2.0, 0.1],
	["C1", "2024-01-02 10:00:00", 2.0, 0.1],
	// Tue 8 h, standard: electricity differs → 1 conflicting; kept 0.75.
	["C1", "2024-01-02 08:00:00", 0.25, 0],
	["C1", "2024-01-02 08:00:00", 0.75, 0],
	// Tue 7 h, off-peak: gas missing in one → 1 conflicting; kept 1.0 / 0.5.
	["C1", "2024-01-02 07:00:00", 1.0, null],
	["C1", "2024-01-02 07:00:00", 1.0, 0.5],
	// Wed 12 h, peak: the same customer once padded → 1 exact duplicate; kept 3.0.
	[" C1", "2024-01-03 12:00:00", 3.0, 0],
	["C1", "2024-01-03 12:00:00", 3.0, 0],
	// Wed 13 h, peak: a negative and a positive reading → 1 conflicting; kept 0.5 (nothing clamped).
	["C1", "2024-01-03 13:00:00", -1.0, 0],
	["C1", "2024-01-03 13:00:00", 0.5, 0],
	// Thu 10 h, peak: two empty rows → 1 exact duplicate; one null reading per channel.
	["C1", "2024-01-04 10:00:00", null, null],
	["C1", "2024-01-04 10:00:00", null, null],
];
const OTHERS: HourRow[] = [
	["C2", "2024-01-03 23:00:00", 1.0, 0], // Wed 23 h, standard
	["C2", "2023-12-31 23:00:00", 5.0, 0], // before the batch year: dropped
	["C2", "2025-01-01 00:00:00", 5.0, 0], // after it: dropped
];
const ROWS = [...C1, ...OTHERS];

const EXPECTED_C1 = {
	customer_id: "C1",
	month: "2024-01",
	monthly_elec_kwh: 7.25, // 2.0 + 0.75 + 1.0 + 3.0 + 0.5 + 0
	elec_kwh_tier_1_peak: 5.5, // 2.0 + 3.0 + 0.5 + 0
	elec_kwh_tier_2_standard: 0.75,
	elec_kwh_tier_3_offpeak: 1,
	monthly_gas_m3: 0.6, // 0.1 + 0.5
	gas_m3_tier_1_peak: 0.1,
	gas_m3_tier_2_standard: 0,
	gas_m3_tier_3_offpeak: 0.5,
	hours_in_month: 6,
	holiday_hours_in_month: 0,
};
const EXPECTED_FAULTS = {
	consumption_duplicate_rows_exact: 4,
	consumption_duplicate_rows_conflicting: 3,
	consumption_elec_null_readings: 1,
	consumption_gas_null_readings: 1,
	consumption_rows_out_of_year_dropped: 2,
	// Latest kept hour 2024-01-04 10:00 → 83 expected hours: C1 lacks 77, C2 82.
	consumption_customers_with_missing_hours: 2,
	consumption_missing_hours_total: 159,
};

async function batch(
	name: string,
	write: (dir: string) => Promise<void>,
): Promise<string> {
	const dir = join(root, name);
	await mkdir(dir, { recursive: true });
	await write(dir);
	return dir;
}
const file = (dir: string, ext: string) =>
	join(dir, `consumption_hourly_2024${ext}`);
const lenient = { maxInvalidHourlyShare: 0.5 };

describe("duplicate hourly rows", () => {
	it("are dropped (exact) or resolved to the largest reading (conflicting), counted, and never inflate a total", async () => {
		const dir = await batch("dups", (d) =>
			writeHourlyParquet(file(d, ".parquet"), ROWS),
		);
		const r = await aggregateConsumption(await locateConsumption(dir), {
			shards: 1,
			...lenient,
		});
		const rows = r.table.objects() as Record<string, unknown>[];
		expect(rows).toHaveLength(2);
		expect(rows[0]).toMatchObject(EXPECTED_C1);
		expect(rows[1]).toMatchObject({
			customer_id: "C2",
			monthly_elec_kwh: 1,
			hours_in_month: 1,
		});
		expect(r.faults).toEqual(EXPECTED_FAULTS);
		expect(r.rowsRead).toBe(16);
		expect(r.missingHours).toEqual({
			expectedHours: 83,
			customersWithMissingHours: 2,
			totalMissingHours: 159,
			worstCustomer: "C2",
			worstMissingHours: 82,
		});
	});

	it("give the same result in any row order, from CSV too", async () => {
		const reversed = await batch("dups-reversed", (d) =>
			writeHourlyParquet(file(d, ".parquet"), [...ROWS].reverse()),
		);
		const csv = await batch("dups-csv", (d) =>
			writeFile(file(d, ".csv"), hourlyCsv([...ROWS].reverse())),
		);
		for (const dir of [reversed, csv]) {
			const r = await aggregateConsumption(await locateConsumption(dir), {
				shards: 2,
				...lenient,
			});
			expect(r.table.objects()[0]).toMatchObject(EXPECTED_C1);
			expect(r.faults).toEqual(EXPECTED_FAULTS);
		}
	});

	it("are resolved exactly when the duplicates fall in different shards (parts overlapping in customers)", async () => {
		// Each part holds one of every duplicated pair: no shard sees a duplicate.
		const first = [0, 3, 5, 7, 9, 11].map((i) => C1[i]);
		const second = C1.filter((_, i) => !first.includes(C1[i]));
		const dir = await batch("dups-parts", async (d) => {
			await mkdir(file(d, ""));
			await writeHourlyParquet(join(file(d, ""), "part-0.parquet"), [
				...first,
				OTHERS[0],
			]);
			await writeHourlyParquet(join(file(d, ""), "part-1.parquet"), [
				...second,
				...OTHERS.slice(1),
			]);
		});
		const src = await locateConsumption(dir);
		expect(planConsumptionShards(src, 2).map((s) => s.pieces.length)).toEqual([
			1, 1,
		]);
		const r = await aggregateConsumption(src, { shards: 2, ...lenient });
		expect(r.table.objects()[0]).toMatchObject(EXPECTED_C1);
		expect(r.faults).toEqual(EXPECTED_FAULTS);
	});

	it("are resolved exactly when a single file is split between shards by row groups", async () => {
		// C3: 4,096 hours of 1.0 kWh from 2024-01-01 00:00, in row groups of 2,048;
		// the hour 2,047 is repeated with 2.0 kWh as the first row of the second group.
		const dir = await batch("dups-row-groups", async (d) => {
			const inst = await DuckDBInstance.create(":memory:", { threads: "1" });
			const con = await inst.connect();
			await con.run(`COPY (
				SELECT 'C3' AS customer_id, TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS "timestamp",
					CASE WHEN i = 2047 AND dup THEN 2.0 ELSE 1.0 END::DOUBLE AS consumption_elec_kwh, 0.0::DOUBLE AS consumption_gas_m3
				FROM (SELECT range AS i, false AS dup FROM range(4096) UNION ALL SELECT 2047, true)
				ORDER BY i, dup
			) TO '${file(d, ".parquet")}' (FORMAT parquet, ROW_GROUP_SIZE 2048)`);
			con.closeSync();
			inst.closeSync();
		});
		const src = await locateConsumption(dir);
		expect(src.files[0].rowGroups).toEqual([2048, 2048, 1]);
		const shards = planConsumptionShards(src, 2);
		expect(shards.map((s) => s.pieces[0].rowStart)).toEqual([0, 2048]);
		const r = await aggregateConsumption(src, { shards: 2 });
		const total = (r.table.array("monthly_elec_kwh") as Float64Array).reduce(
			(a, b) => a + b,
			0,
		);
		const hours = (r.table.array("hours_in_month") as Float64Array).reduce(
			(a, b) => a + b,
			0,
		);
		expect(total).toBe(4097); // 4,095 × 1.0 + 2.0
		expect(hours).toBe(4096);
		expect(r.faults).toEqual({ consumption_duplicate_rows_conflicting: 1 });
	});
});

describe("the wall-clock hour repeated when daylight saving time ends", () => {
	it("holds two real hours (summed, not a duplicate); a third row there is one", async () => {
		const rep = "2024-10-27 02:00:00"; // Sunday: off-peak
		const dir = await batch("dst", (d) =>
			writeHourlyParquet(file(d, ".parquet"), [
				["D1", rep, 0.4, 0],
				["D1", rep, 0.4, 0], // the same reading in both real hours: both kept
				["D2", rep, 0.4, 0],
				["D2", rep, 0.9, 0.2],
				["D2", rep, 0.6, 0], // third row: the two largest per channel kept
				["D2", "2024-10-27 03:00:00", 1.0, 0],
			]),
		);
		const r = await aggregateConsumption(await locateConsumption(dir), {
			shards: 1,
		});
		const rows = r.table.objects() as Record<string, unknown>[];
		expect(rows[0]).toMatchObject({
			customer_id: "D1",
			monthly_elec_kwh: 0.8,
			hours_in_month: 2,
		});
		expect(rows[1]).toMatchObject({
			customer_id: "D2",
			monthly_elec_kwh: 2.5, // 0.9 + 0.6 + 1.0
			monthly_gas_m3: 0.2,
			hours_in_month: 3,
		});
		expect(r.faults.consumption_duplicate_rows_conflicting).toBe(1);
		expect(r.faults.consumption_duplicate_rows_exact).toBeUndefined();
		// To 2024-10-27 03:00: 300 days × 24 + 4 hours, less 31 March 02:00, plus 27 October 02:00 again.
		expect(r.missingHours.expectedHours).toBe(7204);
	});
});

describe("unparsable and out-of-year rows", () => {
	it("beyond the tolerated share fail the run, naming the file and the first offending rows", async () => {
		const dir = await batch("out-of-year", (d) =>
			writeFile(
				file(d, ".csv"),
				hourlyCsv([
					["C2", "2024-01-03 23:00:00", 1.0, 0],
					["C2", "2023-12-31 23:00:00", 5.0, 0],
					["C2", "31/01/2024 10:00", 1.0, 0],
				]),
			),
		);
		const src = await locateConsumption(dir);
		const err = await aggregateConsumption(src, { shards: 1 }).catch(
			(e: unknown) => e,
		);
		expect(err).toBeInstanceOf(InvalidHourlyRowsError);
		const e = err as InvalidHourlyRowsError;
		expect(e.message).toContain("consumption_hourly_2024.csv");
		expect(e.message).toContain("2 of 3 hourly rows");
		expect(e.examples.map((x) => x.timestamp).sort()).toEqual([
			"2023-12-31 23:00:00",
			"31/01/2024 10:00",
		]);
		// Tolerated: dropped and counted by kind.
		const ok = await aggregateConsumption(src, {
			shards: 1,
			maxInvalidHourlyShare: 0.7,
		});
		expect(ok.faults).toMatchObject({
			consumption_rows_invalid_dropped: 1,
			consumption_rows_out_of_year_dropped: 1,
		});
		expect(ok.table.numRows()).toBe(1);
	});
});
