/**
 * The DuckDB fast path of raw validation (runtime/data/raw/csv-fast-path.ts)
 * against the JavaScript loader that defines the rules: on every input —
 * hand-written edge cells, bad files, a batch large enough to span many
 * DuckDB vectors and threads — `stageRawBatch` must write the same tables,
 * count the same faults and throw the same error as with the fast path off.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { stageCsvFast } from "../runtime/data/raw/csv-fast-path.ts";
import { withDuckDB } from "../runtime/data/raw/duckdb.ts";
import {
	type StagedBatch,
	stageRawBatch,
} from "../runtime/data/raw/stage-batch.ts";
import { RawContractError } from "../runtime/errors.ts";
import { readParquetFile } from "../runtime/io/tables.ts";
import {
	ATTRIBUTES,
	CHURN_LABEL,
	CONTRACTS,
	COSTS,
	PRICES,
	writeTinyBatch,
} from "./fixtures/raw/tiny-batch.ts";
import { IN_FAST_SUBSET } from "./support/fast-subset.ts";

const root = await mkdtemp(join(tmpdir(), "raw-fast-"));
afterAll(() => rm(root, { recursive: true, force: true }));
let n = 0;
const batch = (files: Record<string, string | null> = {}) =>
	writeTinyBatch(join(root, `b${n++}`), { files });

/** Every staged table as plain rows (values compared with Object.is, so -0 and NaN count). */
async function tables(staged: StagedBatch) {
	const out: Record<string, Record<string, unknown>[]> = {};
	for (const [name, d] of Object.entries(staged.datasets))
		out[name] = (await readParquetFile(d.file)).objects() as Record<
			string,
			unknown
		>[];
	return out;
}

/** Stage the batch both ways; both must succeed with equal output, or fail with the same error. */
async function bothWays(dir: string) {
	const run = (fastPath: boolean) =>
		stageRawBatch(dir, join(dir, `staged-${fastPath}`), { fastPath }).then(
			async (s) => ({ ok: true as const, s, tables: await tables(s) }),
			(e: unknown) => ({ ok: false as const, e }),
		);
	const [fast, js] = [await run(true), await run(false)];
	if (!js.ok) {
		expect(js.e).toBeInstanceOf(RawContractError);
		expect(fast.ok).toBe(false);
		if (!fast.ok) expect(String(fast.e)).toBe(String(js.e));
		return { error: js.e as RawContractError };
	}
	expect(fast.ok).toBe(true);
	if (!fast.ok) throw fast.e;
	expect(fast.tables).toEqual(js.tables);
	expect(fast.s.faults).toEqual(js.s.faults);
	for (const name of Object.keys(
		js.s.datasets,
	) as (keyof StagedBatch["datasets"])[])
		expect(fast.s.datasets[name].rows).toBe(js.s.datasets[name].rows);
	return { fast: fast.s, tables: fast.tables };
}

const via = (s: StagedBatch) =>
	Object.fromEntries(Object.entries(s.datasets).map(([k, d]) => [k, d.via]));

describe("stageRawBatch: the DuckDB fast path equals the JavaScript loader", () => {
	it("plain CSVs go through DuckDB and give the loader's tables and faults", async () => {
		// The fixture quotes a comma and pads cells with spaces: those files would go to JavaScript.
		const plainAttributes = ATTRIBUTES.replace(
			'"Cataluña, Barcelona"',
			"Cataluña",
		).replace(" 28 ", "28");
		const r = await bothWays(
			await batch({
				"customer_attributes.csv": plainAttributes,
				"churn_label.csv": CHURN_LABEL.replace(" C2 ", "C2"),
			}),
		);
		expect(r.fast && via(r.fast)).toEqual({
			churn_label: "duckdb",
			customer_attributes: "duckdb",
			customer_contracts: "javascript", // "2020/02/01", "… 00:00:00": not canonical
			customer_interactions: "javascript", // JSON
			price_history: "duckdb",
			costs_by_province_month: "duckdb",
		});
		expect(r.fast?.faults).toMatchObject({
			price_rows_empty_customer_id: 1,
			price_elec_values_zero: 1,
			price_values_missing: 1,
		});
		expect(r.tables?.churn_label.map((row) => row.customer_id)).toEqual([
			"C1",
			"C2",
			"C3",
		]);
	});

	// Each cell is valid in the JavaScript rule but not canonical: the fast path declines it.
	const declined: Array<[string, string, string, string]> = [
		["price_history.csv", PRICES, "C1,2024-01-15,0.21", "C1,2024-01-15, 0.21"],
		[
			"price_history.csv",
			PRICES,
			"C1,2024-01-15,0.21",
			"C1,2024-01-15,0.21\u00a0",
		],
		["price_history.csv", PRICES, "C1,2024-01-15,0.21", "C1,2024-01-15,1e400"],
		["price_history.csv", PRICES, "C1,2024-01-15", "C1,2024/1/15"],
		["price_history.csv", PRICES, "C1,2024-01-15", "\u3000C1 ,2024-01-15"],
		["churn_label.csv", CHURN_LABEL, "C3,1", "C3,1.0"],
		["churn_label.csv", CHURN_LABEL, "C3,1", "C3,+1"],
		["costs_by_province_month.csv", COSTS, "2024-02,28", "2024-02-01,28"],
		["costs_by_province_month.csv", COSTS, "2024-02,28", "2024-02, 28"],
	];
	it.each(declined)(
		"%s: a valid but non-canonical cell (%#) goes to JavaScript, same result",
		async (file, text, from, to) => {
			const dir = await batch({ [file]: text.replace(from, to) });
			const r = await bothWays(dir);
			expect(r.error).toBeUndefined();
		},
	);

	// Canonical spellings stay on the fast path and still match.
	it("blank and all-whitespace cells, empty ids, -0 and exponents on the fast path", async () => {
		const prices = PRICES.replace(
			"C1,2024-02-01,0.22,0.17,0.12,5,2,,60,30",
			"C1,2024-02-01,-0,1.5e-3,.5,5.,2,,60,30",
		);
		const attributes = `customer_id,contracted_power_kw,is_industrial,is_second_residence,province_code,region,is_high_competition_province,is_urban,sales_channel
C1,4.6,0,0,28,   ,1,1,web
,5,0,0,28,Madrid,1,1,web
C2,,,,,,,,
`;
		const r = await bothWays(
			await batch({
				"price_history.csv": prices,
				"customer_attributes.csv": attributes,
			}),
		);
		expect(r.fast?.datasets.price_history.via).toBe("duckdb");
		expect(r.fast?.datasets.customer_attributes.via).toBe("duckdb");
		expect(r.tables?.customer_attributes[0].region).toBeNull();
		expect(
			Object.is(r.tables?.price_history[2].variable_price_tier1_eur_kwh, -0),
		).toBe(true);
		expect(r.fast?.faults.attribute_rows_empty_customer_id).toBe(1);
	});

	// Bad files: the same RawContractError (file, row, column, message) either way.
	const bad: Array<[string, Record<string, string>]> = [
		[
			"unparsable number",
			{ "price_history.csv": PRICES.replace("0.21", "abc") },
		],
		[
			"impossible date (canonical file)",
			{ "price_history.csv": PRICES.replace("C1,2024-01-15", "C1,2024-02-30") },
		],
		[
			"impossible date",
			{
				"customer_contracts.csv": CONTRACTS.replace(
					"2025-01-10T00:00:00",
					"2024-02-30",
				),
			},
		],
		[
			"year below 100",
			{
				"price_history.csv": PRICES.replace("C1,2024-01-15", "C1,0099-01-15"),
			},
		],
		[
			"flag out of range",
			{ "churn_label.csv": CHURN_LABEL.replace("C3,1", "C3,2") },
		],
		["empty churn id", { "churn_label.csv": `${CHURN_LABEL},1\n` }],
		["duplicate churn id", { "churn_label.csv": `${CHURN_LABEL}C1,1\n` }],
		[
			"required month missing",
			{ "costs_by_province_month.csv": COSTS.replace("2024-02,28", ",28") },
		],
		[
			"month 13",
			{
				"costs_by_province_month.csv": COSTS.replace(
					"2024-02,28",
					"2024-13,28",
				),
			},
		],
		["short row", { "costs_by_province_month.csv": `${COSTS}2024-03,28\n` }],
		["missing column", { "churn_label.csv": "customer_id,label\nC1,0\n" }],
		["semicolons", { "churn_label.csv": "customer_id;churn\nC1;0\n" }],
		[
			"header only",
			{ "customer_contracts.csv": `${CONTRACTS.split("\n")[0]}\n` },
		],
		["empty file", { "churn_label.csv": "" }],
	];
	it.each(bad)("%s: the same error either way", async (_, files) => {
		const r = await bothWays(await batch(files));
		expect(r.error).toBeInstanceOf(RawContractError);
	});

	// Big table: the full suite only (test/support/fast-subset.ts).
	it.skipIf(IN_FAST_SUBSET)(
		"a 300 k-row price history (many DuckDB vectors, both threads) keeps every row in file order",
		async () => {
			const header = PRICES.split("\n")[0];
			const lines = [header];
			for (let i = 0; i < 300_000; i++) {
				const id =
					i % 997 === 0 ? "" : `C${String(i % 40_000).padStart(6, "0")}`;
				const price =
					i % 1_013 === 0
						? ""
						: i % 7 === 0
							? "0"
							: `0.${(i * 7919) % 100_000}`;
				lines.push(
					`${id},2024-${String((i % 12) + 1).padStart(2, "0")}-01,${price},0.15,0.1,${i % 50},2,0.9,60,30`,
				);
			}
			const dir = await batch({ "price_history.csv": `${lines.join("\n")}\n` });
			const r = await bothWays(dir);
			expect(r.fast?.datasets.price_history.via).toBe("duckdb");
			expect(r.fast?.datasets.price_history.rows).toBe(
				300_000 - Math.ceil(300_000 / 997),
			);
		},
		60_000,
	);
});

describe("stageCsvFast", () => {
	it("declines a quoted or compressed file without reading it into DuckDB", async () => {
		const dir = join(root, "single");
		await writeTinyBatch(dir);
		const quoted = join(dir, "quoted.csv");
		await writeFile(quoted, 'customer_id,churn\n"C1",0\n');
		const gz = join(dir, "plain.csv.gz");
		await writeFile(gz, gzipSync("customer_id,churn\nC1,0\n"));
		const plain = join(dir, "plain.csv");
		await writeFile(plain, "customer_id,churn\nC1,0\nC2,1\nC3,0\n");
		await withDuckDB({}, async (con) => {
			expect(
				await stageCsvFast(con, "churn_label", quoted, join(dir, "q.parquet")),
			).toBeUndefined();
			expect(
				await stageCsvFast(con, "churn_label", gz, join(dir, "g.parquet")),
			).toBeUndefined();
			expect(
				await stageCsvFast(con, "churn_label", plain, join(dir, "p.parquet")),
			).toMatchObject({ rows: 3 });
		});
	});
});
