/**
 * Hourly consumption of 2024 for every customer (docs/data-contract.md §1), generated in
 * native DuckDB from a per-customer parameter table. Noise is a hash of
 * (seed, customer, hour), not random(), so the output is identical for
 * a seed whatever the thread scheduling. One Parquet part per contiguous range
 * of customers, sorted by customer then hour: rows are produced in that order
 * by a scan + unnest (no join, no sort), so memory stays bounded, and the parts
 * are the natural shards of the bronze stage.
 */
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { mapPool } from "../util/pool.ts";
import {
	HOLIDAY_DAY_INDEXES,
	HOURS_IN_MONTH,
	HOURS_IN_YEAR,
	monthlyShapeMean,
	SEGMENTS,
	shapeTable,
} from "./calendar.ts";
import { customerId, type Plan } from "./population.ts";
import { Rng } from "./prng.ts";

export const CONSUMPTION_DIR = "consumption_hourly_2024";
/** Fault rates of the real extract: negative readings (per reading). */
export const NEGATIVE_ELEC_RATE = 0.0026;
export const NEGATIVE_GAS_RATE = 0.0001;
/** On average one extra reading with an empty (or null) customer_id per this many customers. */
const CUSTOMERS_PER_EMPTY_ID_ROW = 100;

export interface ConsumptionOptions {
	outDir: string;
	seed: number;
	partCustomers?: number;
	threads?: number;
	memoryLimit?: string;
	onProgress?: (p: { phase: string; done: number; total: number }) => void;
}

export interface ConsumptionResult {
	parts: string[];
	rows: number;
	negativeElecReadings: number;
	negativeGasReadings: number;
	emptyIdRows: number;
}

export async function writeConsumption(
	plan: Plan,
	o: ConsumptionOptions,
): Promise<ConsumptionResult> {
	const dir = join(o.outDir, CONSUMPTION_DIR);
	await rm(dir, { recursive: true, force: true });
	await mkdir(dir, { recursive: true });
	const db = await DuckDBInstance.create(":memory:", {
		threads: String(o.threads ?? 2),
		memory_limit: o.memoryLimit ?? "1GB",
		preserve_insertion_order: "true",
		temp_directory: join(dir, ".spill"),
	});
	const con = await db.connect();
	try {
		const n = plan.customers.length;
		const nDual = plan.customers.filter((c) => c.dualFuel).length;
		// Gas is read only for dual-fuel customers; scale the per-reading rate so
		// negatives are ~0.01 % of all gas readings.
		const gasRate =
			nDual > 0 ? Math.min(1, (NEGATIVE_GAS_RATE * n) / nDual) : 0;
		const per = Math.max(1, Math.floor(o.partCustomers ?? 1000));
		const total = Math.ceil(n / per);
		await loadParameters(con, plan, per, o.seed, join(dir, ".spill"));
		const result: ConsumptionResult = {
			parts: [],
			rows: 0,
			negativeElecReadings: 0,
			negativeGasReadings: 0,
			emptyIdRows: 0,
		};
		const idWidth = customerId(0, n).length - 1;
		// A part's source is one small table row group, so DuckDB runs each COPY
		// on one thread; run as many parts at once as there are threads.
		const workers = Math.max(1, Math.floor(o.threads ?? 2));
		let done = 0;
		const written = await mapPool(
			Array.from({ length: total }, (_, p) => p),
			async (p, _, c: DuckDBConnection) => {
				const part = await writePart(
					c,
					dir,
					p,
					partSql(Math.floor(o.seed), p, gasRate, idWidth),
				);
				o.onProgress?.({ phase: "consumption", done: ++done, total });
				return part;
			},
			{
				concurrency: workers,
				// Lane 0 uses the connection that loaded the parameters; the others open their own.
				openLane: (lane) => (lane === 0 ? con : db.connect()),
				closeLane: (c, lane) => {
					if (lane > 0) c.closeSync();
				},
			},
		);
		// The folder is complete: the marker an uploader sends last, which the
		// batch trigger waits for (runtime/pipeline/trigger.ts).
		await writeFile(join(dir, "_SUCCESS"), "");
		for (const s of written) {
			result.parts.push(`${CONSUMPTION_DIR}/${s.name}`);
			result.rows += s.rows;
			result.negativeElecReadings += s.negE;
			result.negativeGasReadings += s.negG;
			result.emptyIdRows += s.emptyId;
		}
		return result;
	} finally {
		con.closeSync();
		db.closeSync();
		await rm(join(dir, ".spill"), { recursive: true, force: true });
	}
}

interface PartStats {
	name: string;
	rows: number;
	negE: number;
	negG: number;
	emptyId: number;
}

/** COPY one part to a temp name, count what was written, then rename (no half parts on a crash). */
async function writePart(
	con: DuckDBConnection,
	dir: string,
	p: number,
	select: string,
): Promise<PartStats> {
	const name = `part-${String(p).padStart(5, "0")}.parquet`;
	const tmp = join(dir, `${name}.tmp`);
	const q = tmp.replaceAll("'", "''");
	await con.run(
		`COPY (${select}) TO '${q}' (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE 122880)`,
	);
	// Count what was actually written (cheap: a few columns of one part).
	const s = (
		await con.runAndReadAll(`SELECT count(*)::BIGINT AS rows,
			count(*) FILTER (consumption_elec_kwh < 0)::BIGINT AS neg_e,
			count(*) FILTER (consumption_gas_m3 < 0)::BIGINT AS neg_g,
			count(*) FILTER (customer_id IS NULL OR customer_id = '')::BIGINT AS empty_id
			FROM read_parquet('${q}')`)
	).getRowObjects()[0];
	await rename(tmp, join(dir, name));
	return {
		name,
		rows: Number(s.rows),
		negE: Number(s.neg_e),
		negG: Number(s.neg_g),
		emptyId: Number(s.empty_id),
	};
}

/**
 * One row per customer, in customer order, preceded within each part by the
 * injected empty-id readings (one row each, with their hour in `junk_h`).
 * `e`/`g` are the month's mean hourly use divided by the load shape's monthly
 * mean, so e[month] × shape[hour] sums to the planned monthly total. Loaded
 * through a CSV file: DuckDB's reader is far faster than per-value appends,
 * and JS number → text → DuckDB double round-trips exactly.
 */
async function loadParameters(
	con: DuckDBConnection,
	plan: Plan,
	per: number,
	seed: number,
	dir: string,
): Promise<void> {
	const means = SEGMENTS.map((s) => monthlyShapeMean(s));
	const gasMean = monthlyShapeMean("Gas");
	const junk = Rng.stream(seed, "empty-id-readings");
	const lines: string[] = [];
	const zeros = new Array<number>(12).fill(0);
	plan.customers.forEach((c, i) => {
		const part = Math.floor(i / per);
		if (i % per === 0) {
			const k = Math.round(
				(Math.min(per, plan.customers.length - i) /
					CUSTOMERS_PER_EMPTY_ID_ROW) *
					2 *
					junk.next(),
			);
			for (let j = 0; j < k; j++) {
				const e = zeros.map(() => junk.uniform(0.2, 3));
				lines.push(
					[
						part,
						-1 - j,
						0,
						0,
						junk.int(0, HOURS_IN_YEAR - 1),
						...e,
						...zeros,
					].join(","),
				);
			}
		}
		const s = SEGMENTS.indexOf(c.segment);
		const e = c.elecKwh.map((v, m) => v / HOURS_IN_MONTH[m] / means[s][m]);
		const g = c.gasM3.map((v, m) => v / HOURS_IN_MONTH[m] / gasMean[m]);
		lines.push([part, c.idx, s, c.dualFuel ? 1 : 0, "", ...e, ...g].join(","));
	});
	await mkdir(dir, { recursive: true });
	const file = join(dir, "params.csv");
	await writeFile(file, `${lines.join("\n")}\n`);
	const months = Array.from({ length: 12 }, (_, m) => m + 1);
	const columns = [
		"part: 'INTEGER'",
		"idx: 'INTEGER'",
		"seg: 'INTEGER'",
		"dual: 'INTEGER'",
		"junk_h: 'INTEGER'",
		...months.map((m) => `e${m}: 'DOUBLE'`),
		...months.map((m) => `g${m}: 'DOUBLE'`),
	].join(", ");
	await con.run(`CREATE TABLE params AS
		SELECT part, idx, seg, dual = 1 AS dual, junk_h,
			[${months.map((m) => `e${m}`).join(", ")}] AS e, [${months.map((m) => `g${m}`).join(", ")}] AS g
		FROM read_csv('${file.replaceAll("'", "''")}', header = false, columns = {${columns}})`);
	await rm(file);
}

/** A list literal DuckDB reads as DOUBLE[] (exponent form: no DECIMAL detour). */
const doubles = (xs: readonly number[]): string =>
	`[${xs.map((x) => x.toExponential()).join(", ")}]`;

/**
 * One part, in output order: scan params (insertion order) and unnest the
 * 8,784 hours of each customer. Working day = Monday–Friday (1 Jan 2024 was a
 * Monday) and not a national holiday. u(k) is a uniform in [0,1) from a hash
 * of (seed, customer, hour).
 */
function partSql(
	seed: number,
	part: number,
	gasRate: number,
	idWidth: number,
): string {
	// One 64-bit hash per reading, cut into four 16-bit uniforms.
	const u = (k: number) => `(((x >> ${16 * k}) & 65535)::DOUBLE / 65536)`;
	const holidays = HOLIDAY_DAY_INDEXES.join(", ");
	const shape = `CASE seg ${SEGMENTS.map((s, i) => `WHEN ${i} THEN ${doubles(shapeTable(s))}`).join(" ")} ELSE ${doubles(new Array(48).fill(1))} END`;
	return `
		SELECT
			CASE WHEN idx >= 0 THEN 'C' || lpad((idx + 1)::VARCHAR, ${idWidth}, '0') WHEN idx % 2 = 0 THEN '' END AS customer_id,
			TIMESTAMP '2024-01-01 00:00:00' + to_hours(h) AS "timestamp",
			CASE WHEN idx >= 0 AND ue < ${NEGATIVE_ELEC_RATE} THEN -round(0.001 + x_e * ue / ${NEGATIVE_ELEC_RATE}, 3)
				ELSE round(x_e, 3) END AS consumption_elec_kwh,
			CASE WHEN dual AND ug < ${gasRate} THEN -round(0.0001 + x_g, 4) ELSE round(x_g, 4) END AS consumption_gas_m3
		FROM (
			SELECT idx, h, dual,
				e[m] * shape[w + hod + 1] * (0.7 + 0.6 * ${u(0)}) AS x_e,
				g[m] * gshape[w + hod + 1] * (0.6 + 0.8 * ${u(1)}) AS x_g,
				${u(2)} AS ue, ${u(3)} AS ug
			FROM (
				SELECT *, hash(${seed}, idx, h) AS x, month(TIMESTAMP '2024-01-01 00:00:00' + to_hours(h)) AS m, h % 24 AS hod,
					CASE WHEN (h // 24) % 7 < 5 AND (h // 24) NOT IN (${holidays}) THEN 0 ELSE 24 END AS w
				FROM (
					SELECT idx, dual, e, g, ${shape} AS shape, ${doubles(shapeTable("Gas"))} AS gshape,
						unnest(CASE WHEN junk_h IS NULL THEN range(0, ${HOURS_IN_YEAR}) ELSE [junk_h::BIGINT] END) AS h
					FROM params WHERE part = ${part}
				)
			)
		)`;
}
