/**
 * CSV consumption parsed once (docs/data-quality.md, "Hourly integrity"):
 * ValidateRaw converts the CSV into Parquet parts by customer hash under the
 * run (typed once, raw text kept for bad rows), uploads them to the store,
 * and BronzeShard reads only its part — the
 * raw CSV can be gone by then. The result equals a direct aggregation of the
 * CSV, unparsable values are still dropped and counted, duplicates resolved.
 */
import { mkdtemp, readdir, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aggregateConsumption } from "../../runtime/data/bronze/hourly-aggregate.ts";
import { stageCsvConsumption } from "../../runtime/data/bronze/stage-csv.ts";
import { locateConsumption } from "../../runtime/data/raw/consumption-source.ts";
import { withDuckDB } from "../../runtime/data/raw/duckdb.ts";
import { Lake } from "../../runtime/io/lake.ts";
import { LocalRunManifest } from "../../runtime/io/manifest.ts";
import { readParquetFile } from "../../runtime/io/tables.ts";
import {
	createHandlers,
	type RunState,
} from "../../runtime/pipeline/handlers.ts";
import {
	HOURLY,
	type HourRow,
	hourlyCsv,
	writeTinyBatch,
} from "../fixtures/raw/tiny-batch.ts";

type H = (input: unknown) => Promise<unknown>;

const EXTRA: HourRow[] = [
	["C1", "2024-01-02 10:00:00", 2.0, 0.1], // exact duplicate of a HOURLY row
	["C2", "2024-01-03 23:00:00", 1.5, 0], // conflicting with HOURLY's 1.0
	["C2", "2024-01-05 10:00:00", 0.5, 0],
];
/** Rows a typed reader cannot hold: a CSV only. */
const BAD_LINES = "C1,not a time,1.0,0\nC2,2024-01-05 11:00:00,abc,0\n";

let root: string;
let lake: Lake;
let state: RunState;
let csvDir: string;
const h = createHandlers() as unknown as Record<string, H>;

beforeAll(async () => {
	root = await mkdtemp(join(tmpdir(), "csv-staging-"));
	lake = new Lake(root);
	csvDir = await writeTinyBatch(lake.rawDir("csv"), { consumption: "none" });
	await writeFile(
		join(csvDir, "consumption_hourly_2024.csv"),
		hourlyCsv([...HOURLY, ...EXTRA]) + BAD_LINES,
	);
	await new LocalRunManifest(lake.root).start("csv", "r1", { force: true });
	state = {
		runId: "r1",
		batchId: "csv",
		dataRoot: lake.root,
		mode: "auto",
		shardCount: 3,
		gate: 0,
		seed: 1,
		quality: { maxInvalidHourlyShare: 0.5, maxInvalidShare: 0.5 },
	};
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe("CSV consumption staged once by ValidateRaw", () => {
	let direct: Awaited<ReturnType<typeof aggregateConsumption>>;

	it("writes customer-disjoint Parquet parts under the run and one shard per part", async () => {
		direct = await aggregateConsumption(await locateConsumption(csvDir), {
			shards: 1,
			maxInvalidHourlyShare: 0.5,
		});
		state.raw = (await h.ValidateRaw(state)) as RunState["raw"];
		const shards = state.raw?.shards ?? [];
		expect(shards.length).toBeGreaterThanOrEqual(2);
		for (const sh of shards) {
			expect(sh.format).toBe("staged-csv");
			expect(sh.hash).toBeUndefined();
			for (const pc of sh.pieces)
				expect(pc.path).toMatch(
					/^runs\/r1\/staged\/consumption\/bucket-\d{3}\/.+\.parquet$/,
				);
		}
		// Each (trimmed) customer in exactly one part.
		const owners = await withDuckDB({}, async (con) => {
			const r = await con.runAndReadAll(
				`SELECT trim(customer_id) AS id, count(DISTINCT filename) AS files
				 FROM read_parquet('${join(root, "runs/r1/staged/consumption")}/*/*.parquet', filename = true) GROUP BY 1`,
			);
			return r.getRowObjectsJS();
		});
		expect(owners.length).toBe(4); // C1, C2, C7 and the empty id
		expect(owners.every((o) => Number(o.files) === 1)).toBe(true);
	});

	it("shards read only their parts (the raw CSV may be gone), and the result equals a direct aggregation", async () => {
		await unlink(join(csvDir, "consumption_hourly_2024.csv"));
		state.bronzeShards = (await Promise.all(
			(state.raw?.shards ?? []).map((shard, index) =>
				h.BronzeShard({ runId: "r1", dataRoot: lake.root, shard, index }),
			),
		)) as RunState["bronzeShards"];
		await h.BronzeReduce(state);
		const bronze = (
			await readParquetFile(
				lake.tablePath("r1", "bronze", "bronze_customer_month"),
			)
		).objects() as Record<string, unknown>[];
		const expected = (
			direct.table.objects() as Record<string, unknown>[]
		).filter((r) => r.customer_id !== "C7");
		expect(bronze.map((r) => `${r.customer_id} ${r.month}`)).toEqual(
			expected.map((r) => `${r.customer_id} ${r.month}`),
		);
		bronze.forEach((r, i) => {
			for (const [k, v] of Object.entries(expected[i]))
				expect(r[k], `${r.customer_id} ${r.month} ${k}`).toBe(v);
		});
		const reduce = (
			await new LocalRunManifest(lake.root).get("r1")
		)?.stages.find((x) => x.stage === "BronzeReduce");
		expect(reduce?.faults).toMatchObject({
			consumption_rows_invalid_dropped: 2,
			consumption_duplicate_rows_exact: 1,
			consumption_duplicate_rows_conflicting: 1,
		});
		expect(reduce?.detail).toMatchObject({ straddlingCustomers: 0 });
		// C2 January: 1.5 (conflict resolved to the largest) + 1.0 + 0.5 (padded) + 0.5.
		expect(bronze.find((r) => r.customer_id === "C2")).toMatchObject({
			monthly_elec_kwh: 3.5,
			hours_in_month: 4,
		});
	});
});

describe("stageCsvConsumption", () => {
	it("types the text once, keeps the raw text of bad rows, and partitions every row once", async () => {
		const dir = await mkdtemp(join(tmpdir(), "stage-csv-"));
		try {
			const csv = join(dir, "c.csv");
			await writeFile(
				csv,
				"\uFEFFcustomer_id,timestamp,consumption_elec_kwh,consumption_gas_m3,extra\r\n" +
					" A1 ,2024-01-01 00:00:00, 1.50 ,,x\r\nA1,bad,abc,0,y\r\nB2,2024-01-01 01:00:00,2,0,z\r\n",
			);
			const parts = await stageCsvConsumption(csv, join(dir, "out"), 4);
			const rows = await withDuckDB({}, async (con) =>
				(
					await con.runAndReadAll(
						`SELECT * FROM read_parquet([${parts.map((p) => `'${p.path}'`).join(", ")}], hive_partitioning = false) ORDER BY timestamp`,
					)
				).getRowObjectsJS(),
			);
			expect(rows).toHaveLength(3);
			// Typed once; the raw text kept for the unparsable row only.
			expect(
				rows.map((r) => [
					r.consumption_elec_kwh,
					r.consumption_gas_m3,
					r.raw_timestamp,
					r.raw_consumption_elec_kwh,
				]),
			).toEqual([
				[1.5, null, null, null],
				[2, 0, null, null],
				[null, 0, "bad", "abc"],
			]);
			expect(rows[2].timestamp).toBeNull();
			expect(Object.keys(rows[0])).toEqual([
				"customer_id",
				"timestamp",
				"consumption_elec_kwh",
				"consumption_gas_m3",
				"raw_timestamp",
				"raw_consumption_elec_kwh",
				"raw_consumption_gas_m3",
			]);
			// " A1 " and "A1" land in the same part (the hash is of the trimmed id).
			const a1 = await withDuckDB({}, async (con) =>
				(
					await con.runAndReadAll(
						`SELECT count(DISTINCT filename)::INTEGER AS n FROM read_parquet([${parts.map((p) => `'${p.path}'`).join(", ")}], filename = true) WHERE trim(customer_id) = 'A1'`,
					)
				).getRowObjectsJS(),
			);
			expect(a1).toEqual([{ n: 1 }]);
			const dirs = await readdir(join(dir, "out"));
			expect(dirs.every((d) => /^bucket=\d$/.test(d))).toBe(true);
		} finally {
			await rm(dir, { recursive: true, force: true });
		}
	});
});
