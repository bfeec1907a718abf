import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planConsumptionShards } from "../runtime/data/bronze/consumption-shards.ts";
import {
	aggregateConsumption,
	aggregateConsumptionShard,
	mergeShardAggregates,
	readShardAggregate,
	writeShardAggregate,
} from "../runtime/data/bronze/hourly-aggregate.ts";
import {
	type ConsumptionSource,
	locateConsumption,
} from "../runtime/data/raw/consumption-source.ts";
import { LocalObjectStore } from "../runtime/io/object-store.ts";
import { writeTinyBatch } from "./fixtures/raw/tiny-batch.ts";

const root = await mkdtemp(join(tmpdir(), "bronze-agg-"));
afterAll(() => rm(root, { recursive: true, force: true }));

type Row = Record<string, unknown>;
const rowsOf = (t: { objects(): object[] }) => t.objects() as Row[];

describe("hourly → customer-month, hand-computed (fixtures/raw/tiny-batch.ts HOURLY)", () => {
	it("clamps negatives, splits tariff periods, drops empty ids, trims ids", async () => {
		const src = await locateConsumption(
			await writeTinyBatch(join(root, "tiny")),
		);
		const { table, faults, maxTimestamp } = await aggregateConsumption(src, {
			shards: 1,
		});
		const rows = rowsOf(table);
		expect(rows.map((r) => `${r.customer_id} ${r.month}`)).toEqual([
			"C1 2024-01",
			"C1 2024-02",
			"C2 2024-01",
			"C7 2024-01",
		]);
		// C1 January: peak 2.0 (Tue 10 h); standard 0.25 (Tue 8 h); off-peak 1.5 (New Year)
		// + 0 (−0.5 clamped, 7 h) + 1.0 (Sat, Epiphany) + 3.0 (Sun) = 5.5; gas 0.1 m3 at peak.
		expect(rows[0]).toMatchObject({
			monthly_elec_kwh: 7.75,
			elec_kwh_tier_1_peak: 2,
			elec_kwh_tier_2_standard: 0.25,
			elec_kwh_tier_3_offpeak: 5.5,
			monthly_gas_m3: 0.1,
			gas_m3_tier_1_peak: 0.1,
			gas_m3_tier_2_standard: 0,
			gas_m3_tier_3_offpeak: 0,
			holiday_hours_in_month: 2,
			hours_in_month: 6,
		});
		expect(rows[0].monthly_gas_kwh).toBeCloseTo(1.1, 12);
		expect(rows[0].gas_kwh_tier_1_peak).toBeCloseTo(1.1, 12);
		// C1 February: Thu 21 h peak 4.0 (gas −0.2 → 0), 22 h standard 0.5 with gas 0.3.
		expect(rows[1]).toMatchObject({
			monthly_elec_kwh: 4.5,
			elec_kwh_tier_1_peak: 4,
			elec_kwh_tier_2_standard: 0.5,
			elec_kwh_tier_3_offpeak: 0,
			monthly_gas_m3: 0.3,
			gas_m3_tier_1_peak: 0,
			gas_m3_tier_2_standard: 0.3,
			holiday_hours_in_month: 0,
			hours_in_month: 2,
		});
		expect(rows[1].gas_kwh_tier_2_standard).toBeCloseTo(3.3, 12);
		// C2 January: Wed 23 h standard 1.0, Thu 0 h off-peak 1.0, " C2 " Wed 13 h peak 0.5.
		expect(rows[2]).toMatchObject({
			monthly_elec_kwh: 2.5,
			elec_kwh_tier_1_peak: 0.5,
			elec_kwh_tier_2_standard: 1,
			elec_kwh_tier_3_offpeak: 1,
			hours_in_month: 3,
		});
		// Latest kept hour 2024-02-01 22:00 → 767 expected hours: C1 has 8, C2 3, C7 1.
		expect(faults).toEqual({
			negative_elec_readings_clamped: 1,
			negative_gas_readings_clamped: 1,
			consumption_rows_empty_customer_id: 1,
			consumption_customers_with_missing_hours: 3,
			consumption_missing_hours_total: 759 + 764 + 766,
		});
		expect(maxTimestamp).toBe("2024-02-01T22:00:00");
	});

	it("CSV input: unparsable rows are dropped and counted, null readings counted", async () => {
		const dir = await writeTinyBatch(join(root, "tiny-csv"), {
			consumption: "none",
		});
		await writeFile(
			join(dir, "consumption_hourly_2024.csv"),
			"customer_id,timestamp,consumption_elec_kwh,consumption_gas_m3\n" +
				"C1,2024-01-02 10:00:00,2.0,0\n" +
				"C1,not a time,1.0,0\n" +
				"C1,2024-01-02 11:00:00,abc,0\n" +
				"C1,2024-01-02 12:00:00,,0\n" +
				'"C1",2024-01-02 18:00:00,1.25,0.5\n',
		);
		const { table, faults } = await aggregateConsumption(
			await locateConsumption(dir),
			{ shards: 1, maxInvalidHourlyShare: 0.5 },
		);
		expect(rowsOf(table)).toEqual([
			expect.objectContaining({
				customer_id: "C1",
				month: "2024-01",
				monthly_elec_kwh: 3.25,
				elec_kwh_tier_1_peak: 3.25,
				hours_in_month: 3,
			}),
		]);
		expect(faults).toMatchObject({
			consumption_rows_invalid_dropped: 2,
			consumption_elec_null_readings: 1,
		});
	});
});

describe("shards merge to the single-pass result", () => {
	let single: ConsumptionSource;
	let byCustomer: ConsumptionSource;
	let byMonth: ConsumptionSource;
	let csvGz: ConsumptionSource;

	beforeAll(async () => {
		// 40 customers × Jan–Mar 2024 hourly (87,360 rows), 3-decimal readings with ~2% negatives,
		// a few empty ids; written in four layouts from the same table.
		const inst = await DuckDBInstance.create(":memory:", { threads: "1" });
		const con = await inst.connect();
		await con.run("SELECT setseed(0.42)");
		await con.run(`CREATE TABLE h AS
			SELECT CASE WHEN c = 39 AND hour(ts) = 3 THEN '' ELSE printf('K%03d', c) END AS customer_id, ts AS "timestamp",
				round(random() * 2 - 0.04, 3) AS consumption_elec_kwh,
				CASE WHEN c % 4 = 0 THEN round(random() * 0.4 - 0.01, 3) ELSE 0 END AS consumption_gas_m3
			FROM range(40) a(c), range(TIMESTAMP '2024-01-01', TIMESTAMP '2024-04-01', INTERVAL 1 HOUR) b(ts)
			ORDER BY c, ts`);
		const mk = async (name: string, parts = true) => {
			const d = join(root, name);
			await mkdir(parts ? join(d, "consumption_hourly_2024") : d, {
				recursive: true,
			});
			return d;
		};
		const one = await mk("single", false);
		await con.run(
			`COPY h TO '${join(one, "consumption_hourly_2024.parquet")}' (FORMAT parquet, ROW_GROUP_SIZE 10000)`,
		);
		const cust = await mk("by-customer");
		for (const [i, lo, hi] of [
			[0, 0, 13],
			[1, 13, 27],
			[2, 27, 40],
		])
			await con.run(
				`COPY (SELECT * FROM h WHERE coalesce(nullif(customer_id, ''), 'K039') >= printf('K%03d', ${lo}) AND coalesce(nullif(customer_id, ''), 'K039') < printf('K%03d', ${hi}))
				TO '${join(cust, "consumption_hourly_2024", `part-${i}.parquet`)}' (FORMAT parquet)`,
			);
		const month = await mk("by-month");
		for (const m of [1, 2, 3])
			await con.run(
				`COPY (SELECT * FROM h WHERE month("timestamp") = ${m}) TO '${join(month, "consumption_hourly_2024", `part-${m}.parquet`)}' (FORMAT parquet)`,
			);
		const csv = (
			await con.runAndReadAll(
				`SELECT customer_id, strftime("timestamp", '%Y-%m-%d %H:%M:%S') AS ts, consumption_elec_kwh::VARCHAR AS e, consumption_gas_m3::VARCHAR AS g FROM h`,
			)
		).getRows();
		const gz = join(root, "csv-gz");
		await mkdir(gz, { recursive: true });
		await writeFile(
			join(gz, "consumption_hourly_2024.csv.gz"),
			gzipSync(
				`customer_id,timestamp,consumption_elec_kwh,consumption_gas_m3\n${csv.map((r) => r.join(",")).join("\n")}\n`,
			),
		);
		con.closeSync();
		inst.closeSync();
		[single, byCustomer, byMonth, csvGz] = await Promise.all(
			[one, cust, month, gz].map(locateConsumption),
		);
	});

	it("plans shards per layout", () => {
		expect(single.files[0].rowGroups).toHaveLength(9);
		const rg = planConsumptionShards(single, 3);
		expect(rg).toHaveLength(3);
		expect(
			rg
				.flatMap((s) =>
					s.pieces.map((p) => (p.rowEnd ?? 0) - (p.rowStart ?? 0)),
				)
				.reduce((a, b) => a + b),
		).toBe(87_360);
		// DuckDB writes row groups of 10,240 rows here (multiples of its 2,048-row vectors): 8 full + 1 of 5,440.
		expect(single.files[0].rowGroups).toEqual([
			...Array(8).fill(10_240),
			5_440,
		]);
		expect(rg.map((s) => s.pieces)).toEqual([
			[{ path: single.files[0].path, rowStart: 0, rowEnd: 30_720 }],
			[{ path: single.files[0].path, rowStart: 30_720, rowEnd: 61_440 }],
			[{ path: single.files[0].path, rowStart: 61_440, rowEnd: 87_360 }],
		]);
		expect(planConsumptionShards(single, 1)[0].pieces).toEqual([
			{ path: single.files[0].path },
		]);
		expect(
			planConsumptionShards(byCustomer, 3).map((s) => s.pieces.length),
		).toEqual([1, 1, 1]);
		// Parts of 13, 14 and 13 customers: the middle part's midpoint falls in the second half.
		expect(
			planConsumptionShards(byCustomer, 2).map((s) => s.pieces.length),
		).toEqual([1, 2]);
		// More shards than parts: split by row groups; a row group is the smallest unit.
		expect(planConsumptionShards(byMonth, 5)).toHaveLength(3); // three 1-row-group parts
		const five = planConsumptionShards(single, 5);
		expect(five).toHaveLength(5);
		const covered = five.flatMap((s) =>
			s.pieces.map((p) => [p.rowStart, p.rowEnd]),
		);
		// Row-group midpoints × 5 / 87,360: 0.29, 0.88 | 1.47 | 2.05, 2.64 | 3.22, 3.81 | 4.40, 4.84.
		expect(covered.flat()).toEqual([
			0, 20_480, 20_480, 30_720, 30_720, 51_200, 51_200, 71_680, 71_680, 87_360,
		]);
		const csvShards = planConsumptionShards(csvGz, 3);
		expect(csvShards.map((s) => s.hash)).toEqual(
			[0, 1, 2].map((remainder) => ({ modulo: 3, remainder })),
		);
		expect(JSON.parse(JSON.stringify(rg))).toEqual(rg);
		expect(() => planConsumptionShards(single, 0)).toThrow(RangeError);
	});

	it("1 shard = 3 row-group shards = 3 customer parts = month parts (3 and 2 shards) = CSV.gz hash shards", async () => {
		const reference = await aggregateConsumption(single, { shards: 1 });
		expect(reference.table.numRows()).toBe(40 * 3);
		expect(reference.faults.consumption_rows_empty_customer_id).toBe(91);
		expect(reference.faults.negative_elec_readings_clamped).toBeGreaterThan(0);
		expect(reference.faults.negative_gas_readings_clamped).toBeGreaterThan(0);
		const expected = rowsOf(reference.table);
		for (const [source, shards] of [
			[single, 3],
			[byCustomer, 3],
			[byMonth, 3],
			[byMonth, 2],
			[csvGz, 3],
		] as const) {
			const merged = await aggregateConsumption(source, {
				shards,
				concurrency: 2,
			});
			expect(merged.shards).toBe(shards);
			expect(rowsOf(merged.table)).toEqual(expected);
			expect(merged.faults).toEqual(reference.faults);
			expect(merged.maxTimestamp).toBe("2024-03-31T23:00:00");
		}
	});

	it("shard results survive a round trip through Parquet + JSON (what a Lambda writes to S3)", async () => {
		const shards = planConsumptionShards(byMonth, 3);
		const parts = [];
		const store = new LocalObjectStore(join(root, "shard-out"));
		for (const shard of shards) {
			const agg = await aggregateConsumptionShard(shard);
			const key = `${shard.id}.parquet`;
			await writeShardAggregate(store, key, agg);
			parts.push(await readShardAggregate(store, key));
		}
		const fromFiles = mergeShardAggregates(parts);
		const direct = await aggregateConsumption(byMonth, { shards: 1 });
		expect(rowsOf(fromFiles.table)).toEqual(rowsOf(direct.table));
		expect(fromFiles.faults).toEqual(direct.faults);
	});
});
