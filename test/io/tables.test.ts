/**
 * Table ↔ Parquet round trip at sizes that cross the library boundaries: one
 * Parquet row group holds 1,048,576 rows (parquet-wasm's default), a record
 * batch read back ~1,024, and a column's dictionary page falls back to plain
 * encoding past 1 MB. Every column type the pipeline's tables use, with and
 * without nulls, dictionary (few distinct) and plain (all distinct) strings.
 * What we read back must equal what we wrote and what DuckDB reads from the
 * same file, row for row.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as aq from "arquero";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sqlString, withDuckDB } from "../../runtime/data/raw/duckdb.ts";
import {
	columnValues,
	parquetToTable,
	readParquetFile,
	type Table,
	tableToParquet,
	writeParquetFile,
} from "../../runtime/io/tables.ts";
import { seededRng } from "../../runtime/model/random.ts";
import { IN_FAST_SUBSET } from "../support/fast-subset.ts";

type Column = ArrayLike<unknown>;

const SEGMENTS = ["Residential", "SME", "Corporate", "Rural·Ñandú"];
const DAY = 86_400_000;

/** A table of `n` rows with every column kind; deterministic per seed. */
function sampleTable(n: number, seed: number): Table {
	const rnd = seededRng(seed);
	const row = new Int32Array(n);
	const customerId = new Array<string>(n); // plain: all distinct
	const segment = new Array<string | null>(n); // dictionary, with nulls
	const tariff = new Array<string>(n); // dictionary, no nulls
	const amount = new Float64Array(n); // float, no nulls
	const price = new Array<number | null>(n); // float with nulls
	const count = new Array<number>(n); // small ints
	const big = new Array<number>(n); // ints past 2^31
	const flag = new Array<boolean | null>(n);
	const month = new Array<Date>(n); // day precision
	const at = new Array<Date | null>(n); // millisecond timestamps
	for (let i = 0; i < n; i++) {
		row[i] = i;
		customerId[i] = `CUST-${(i * 7919).toString(36).padStart(8, "0")}`;
		segment[i] = rnd() < 0.1 ? null : SEGMENTS[Math.floor(rnd() * 4)];
		tariff[i] = `T${Math.floor(rnd() * 3000)}`;
		amount[i] = (rnd() - 0.3) * 1e4;
		price[i] = rnd() < 0.2 ? null : Math.round(rnd() * 1e6) / 1e6;
		count[i] = Math.floor(rnd() * 100);
		big[i] = 2 ** 31 + Math.floor(rnd() * 1e9);
		flag[i] = rnd() < 0.05 ? null : rnd() < 0.5;
		month[i] = new Date(Date.UTC(2024, i % 12, 1));
		at[i] =
			rnd() < 0.01 ? null : new Date(1.7e12 + Math.floor(rnd() * 365 * DAY));
	}
	if (n > 0) {
		amount[0] = -0;
		amount[n - 1] = Number.NaN;
	}
	return aq.table({
		row,
		customer_id: customerId,
		segment,
		tariff,
		amount,
		price,
		count,
		big,
		flag,
		month,
		at,
	});
}

/** Values compare as the pipeline sees them: dates by instant, NaN equal to NaN. */
function plain(v: unknown): unknown {
	if (v instanceof Date) return v.getTime();
	if (typeof v === "bigint") return Number(v);
	return v;
}

function firstDifference(
	name: string,
	a: Column,
	b: Column,
): string | undefined {
	if (a.length !== b.length) return `${name}: ${a.length} vs ${b.length} rows`;
	for (let i = 0; i < a.length; i++) {
		if (!Object.is(plain(a[i]), plain(b[i])))
			return `${name} row ${i}: ${String(a[i])} vs ${String(b[i])}`;
	}
	return undefined;
}

function expectSameTable(actual: Table, expected: Table): void {
	expect(actual.columnNames()).toEqual(expected.columnNames());
	expect(actual.numRows()).toBe(expected.numRows());
	const diffs = expected
		.columnNames()
		.map((c) => firstDifference(c, actual.array(c), expected.array(c)))
		.filter(Boolean);
	expect(diffs).toEqual([]);
}

describe("Table ↔ Parquet round trip", () => {
	it.each([0, 1, 1_025, 70_000])("%d rows: read back equals written", (n) => {
		const t = sampleTable(n, n + 1);
		expectSameTable(parquetToTable(tableToParquet(t)), t);
	});

	it("keeps an all-null column and an empty string", () => {
		const t = aq.table({
			id: ["a", "", "c"],
			gas_price: [null, null, null],
			note: [null, "", "x"],
		});
		const back = parquetToTable(tableToParquet(t));
		expect(back.array("id")).toEqual(["a", "", "c"]);
		expect(Array.from(back.array("gas_price"))).toEqual([null, null, null]);
		expect(Array.from(back.array("note"))).toEqual([null, "", "x"]);
	});
});

// Big-table block: the full suite only (test/support/fast-subset.ts).
describe.skipIf(IN_FAST_SUBSET)(
	"at 2.1 M rows (three row groups, thousands of record batches)",
	{
		timeout: 300_000,
	},
	() => {
		const N = 2_100_000;
		let dir: string;
		let path: string;
		let written: Table;
		let read: Table;

		beforeAll(async () => {
			dir = await mkdtemp(join(tmpdir(), "tables-"));
			path = join(dir, "big.parquet");
			written = sampleTable(N, 7);
			await writeParquetFile(path, written);
			read = await readParquetFile(path);
		});
		afterAll(() => rm(dir, { recursive: true, force: true }));

		it("spans several row groups", async () => {
			const groups = await withDuckDB({}, async (con) => {
				const r = await con.runAndReadAll(
					`SELECT count(DISTINCT row_group_id) FROM parquet_metadata(${sqlString(path)})`,
				);
				return Number(r.getRows()[0][0]);
			});
			expect(groups).toBeGreaterThanOrEqual(2);
		});

		it("reads back exactly what was written", () => {
			expectSameTable(read, written);
		});

		/**
		 * DuckDB is the independent reader. Converting all 23 M values to JS would
		 * take minutes, so it compares (a) every 509th row and the rows around each
		 * row-group boundary, exactly — 509 is below any record batch's length, so
		 * every batch of every column is sampled — and (b) over all rows, the
		 * count of distinct ids and each column's count of non-null values.
		 */
		it("reads what DuckDB reads from the same file", async () => {
			const edges = [1_048_576, 2_097_152].flatMap((b) => [
				b - 2,
				b - 1,
				b,
				b + 1,
			]);
			const { rows, stats } = await withDuckDB(
				{ threads: 2, memoryLimit: "4GB" },
				async (con) => {
					const r = await con.runAndReadAll(
						`SELECT * FROM read_parquet(${sqlString(path)})
					 WHERE "row" % 509 = 0 OR "row" IN (${edges.join(", ")}) ORDER BY "row"`,
					);
					const cols = written.columnNames();
					const agg = await con.runAndReadAll(
						`SELECT count(DISTINCT customer_id), ${cols.map((c) => `count("${c}")`).join(", ")}
					 FROM read_parquet(${sqlString(path)})`,
					);
					return {
						rows: r.getColumnsObjectJS(),
						stats: agg.getRows()[0].map(Number),
					};
				},
			);
			const sampled = (rows.row as number[]).map(Number);
			expect(sampled.length).toBeGreaterThan(N / 509);
			const diffs = written.columnNames().map((c) => {
				const ours = read.array(c);
				return firstDifference(
					c,
					sampled.map((i) => ours[i]),
					rows[c] as Column,
				);
			});
			expect(diffs.filter(Boolean)).toEqual([]);
			// Every id is distinct by construction; the broken reader returned 12,620
			// distinct ids of 1.2 M at 100 k customers.
			const nonNull = written.columnNames().map((c) => {
				const values = columnValues(read, c);
				let k = 0;
				for (let i = 0; i < values.length; i++)
					if (values[i] !== null && values[i] !== undefined) k++;
				return k;
			});
			expect(stats).toEqual([N, ...nonNull]);
		});
	},
);
