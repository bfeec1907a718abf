/**
 * Hourly consumption → customer-month aggregation (DATA_SPEC §2), run by
 * native DuckDB per shard so the hourly rows never enter JavaScript.
 *
 * Readings are summed as integer micro-units (round(kWh × 10⁶)): integer sums
 * are associative, so merging shard partials gives bit-for-bit the single-pass
 * result whatever the split (float sums would differ in the last bits with the
 * summation order). Readings carry ≤ 4 decimals, so nothing is lost.
 */
import * as aq from "arquero";
import type { ObjectStore } from "../../io/object-store.ts";
import { parquetToTable, type Table, tableToParquet } from "../../io/tables.ts";
import type { ConsumptionSource } from "../raw/consumption-source.ts";
import {
	type DuckOptions,
	sqlList,
	sqlString,
	withDuckDB,
} from "../raw/duckdb.ts";
import {
	type ConsumptionShard,
	planConsumptionShards,
} from "./consumption-shards.ts";
import { holidaySql, tariffPeriodSql } from "./tariff.ts";

export const GAS_KWH_PER_M3 = 11;
const MICRO = 1e6;

/** Columns of a shard's partial aggregate (sums are integer micro-units, exact in a double up to 2^53). */
export const PARTIAL_SUM_COLUMNS = [
	"hours",
	"holiday_hours",
	"elec_t1_micro",
	"elec_t2_micro",
	"elec_t3_micro",
	"gas_t1_micro",
	"gas_t2_micro",
	"gas_t3_micro",
] as const;

export interface ShardAggregate {
	shardId: string;
	/** customer_id, month and PARTIAL_SUM_COLUMNS; ≤ 1 row per customer-month of this shard. */
	table: Table;
	faults: Record<string, number>;
	/** Latest valid timestamp read (rows with an empty id included), "YYYY-MM-DDTHH:MM:SS"; null when none. */
	maxTimestamp: string | null;
	rowsRead: number;
}

/**
 * The shard's rows as (cid, ts, e, g). A row that cannot be used (timestamp
 * missing or unparsable, or an unparsable reading in a CSV) gets ts NULL: it
 * then matches no calendar hour and is counted as dropped.
 */
function sourceSql(shard: ConsumptionShard): string {
	let typed: string;
	if (shard.format === "csv") {
		// Everything as text, then typed here so a bad value is counted, not fatal.
		const reads = shard.pieces.map(
			(p) =>
				`SELECT cid, CASE WHEN bad THEN NULL ELSE t END AS ts, e, g FROM (
					SELECT customer_id AS cid, try_cast(trim("timestamp") AS TIMESTAMP) AS t,
						try_cast(trim(consumption_elec_kwh) AS DOUBLE) AS e, try_cast(trim(consumption_gas_m3) AS DOUBLE) AS g,
						(t IS NULL OR (e IS NULL AND nullif(trim(consumption_elec_kwh), '') IS NOT NULL)
							OR (g IS NULL AND nullif(trim(consumption_gas_m3), '') IS NOT NULL)) AS bad
					FROM read_csv(${sqlString(p.path)}, header = true, all_varchar = true, delim = ',', quote = '"', null_padding = true))`,
		);
		typed = reads.join(" UNION ALL ");
	} else {
		const cols = `customer_id AS cid, "timestamp"::TIMESTAMP AS ts, consumption_elec_kwh::DOUBLE AS e, consumption_gas_m3::DOUBLE AS g`;
		const whole = shard.pieces
			.filter((p) => p.rowStart === undefined)
			.map((p) => p.path);
		const parts: string[] = [];
		if (whole.length > 0)
			parts.push(`SELECT ${cols} FROM read_parquet(${sqlList(whole)})`);
		for (const p of shard.pieces.filter((x) => x.rowStart !== undefined))
			parts.push(
				`SELECT ${cols} FROM read_parquet(${sqlString(p.path)}, file_row_number = true)
				WHERE file_row_number >= ${p.rowStart} AND file_row_number < ${p.rowEnd}`,
			);
		typed = parts.join(" UNION ALL ");
	}
	const hash = shard.hash
		? `WHERE hash(cid) % ${shard.hash.modulo} = ${shard.hash.remainder}`
		: "";
	return `SELECT * FROM (${typed}) ${hash}`;
}

const HOUR_US = 3_600_000_000;

/**
 * The calendar of hours [loHour, hiHour] (hours since 1970-01-01 00:00 wall-clock):
 * k = (year × 12 + month − 1) × 4 + class, class 0 peak, 1 standard, 2 off-peak,
 * 3 off-peak on a national holiday. Classifying ~9 k calendar hours once and
 * joining is far cheaper than evaluating the tariff rule on every hourly row.
 */
export function calendarSql(loHour: number, hiHour: number): string {
	const t = `make_timestamp(h * ${HOUR_US})`;
	return `CREATE OR REPLACE TEMP TABLE calendar AS
	SELECT h, ((year(${t}) * 12 + month(${t}) - 1) * 4
		+ CASE WHEN ${holidaySql(t)} THEN 3 ELSE (${tariffPeriodSql(t)}) - 1 END)::INTEGER AS k
	FROM range(${loHour}, ${hiHour + 1}) r(h)`;
}

const hourOf = (ts: string) => `epoch_us(${ts}) // ${HOUR_US}`;

/** Hour range and latest timestamp of the shard's valid rows (one cheap pass over the timestamp column). */
export function hourRangeSql(shard: ConsumptionShard): string {
	return `SELECT min(${hourOf("ts")})::DOUBLE AS lo, max(${hourOf("ts")})::DOUBLE AS hi,
		strftime(max(ts), '%Y-%m-%dT%H:%M:%S') AS max_ts FROM (${sourceSql(shard)})`;
}

/**
 * The aggregation query (after calendarSql): per raw customer id and calendar
 * class, then per trimmed id and month. Bad rows get no calendar match and land
 * in month NULL; micro-unit sums of clamped readings keep the merge exact.
 */
export function shardSql(shard: ConsumptionShard): string {
	const micro = (x: string) => `(greatest(${x}, 0) * ${MICRO})::BIGINT`;
	const tier = (col: string, cls: string) =>
		`coalesce(sum(${col}) FILTER (WHERE k % 4 IN (${cls})), 0)::DOUBLE`;
	return `WITH hourly AS (
		SELECT cid, e, g, ${hourOf("ts")} AS h FROM (${sourceSql(shard)})
	), by_class AS (
		SELECT s.cid, c.k, count(*) AS n, sum(${micro("s.e")}) AS em, sum(${micro("s.g")}) AS gm,
			count_if(s.e < 0) AS neg_e, count_if(s.g < 0) AS neg_g,
			count(*) - count(s.e) AS null_e, count(*) - count(s.g) AS null_g,
		FROM hourly s LEFT JOIN calendar c ON c.h = s.h
		GROUP BY ALL
	), by_month AS (
		SELECT coalesce(trim(cid), '') AS customer_id, k // 4 AS ym,
			sum(n)::DOUBLE AS hours, coalesce(sum(n) FILTER (WHERE k % 4 = 3), 0)::DOUBLE AS holiday_hours,
			${tier("em", "0")} AS elec_t1_micro, ${tier("em", "1")} AS elec_t2_micro, ${tier("em", "2, 3")} AS elec_t3_micro,
			${tier("gm", "0")} AS gas_t1_micro, ${tier("gm", "1")} AS gas_t2_micro, ${tier("gm", "2, 3")} AS gas_t3_micro,
			sum(neg_e)::DOUBLE AS neg_e, sum(neg_g)::DOUBLE AS neg_g, sum(null_e)::DOUBLE AS null_e,
			sum(null_g)::DOUBLE AS null_g
		FROM by_class GROUP BY ALL
	)
	SELECT * EXCLUDE (ym),
		CASE WHEN ym IS NULL THEN NULL ELSE printf('%04d-%02d', ym // 12, ym % 12 + 1) END AS month
	FROM by_month`;
}

function addFault(
	faults: Record<string, number>,
	key: string,
	n: number,
): void {
	if (n > 0) faults[key] = (faults[key] ?? 0) + n;
}

export async function aggregateConsumptionShard(
	shard: ConsumptionShard,
	opts: { threads?: number; memoryLimit?: string } = {},
): Promise<ShardAggregate> {
	const duck: DuckOptions = {
		threads: opts.threads ?? 1,
		memoryLimit: opts.memoryLimit ?? "1GB",
	};
	const { cols, maxTimestamp } = await withDuckDB(duck, async (con) => {
		const range = (
			await con.runAndReadAll(hourRangeSql(shard))
		).getRowObjectsJS()[0];
		// No valid row at all: an empty calendar sends every row to the dropped bucket.
		await con.run(
			range.lo === null
				? calendarSql(0, -1)
				: calendarSql(Number(range.lo), Number(range.hi)),
		);
		const cols = (
			await con.runAndReadAll(shardSql(shard))
		).getColumnsObjectJS();
		return { cols, maxTimestamp: (range.max_ts as string | null) ?? null };
	});
	const ids = cols.customer_id as string[];
	const months = cols.month as (string | null)[];
	const num = (c: string) =>
		(cols[c] as (number | null)[]).map((v) => Number(v ?? 0));
	const sums = Object.fromEntries(PARTIAL_SUM_COLUMNS.map((c) => [c, num(c)]));
	const [negE, negG, nullE, nullG] = [
		num("neg_e"),
		num("neg_g"),
		num("null_e"),
		num("null_g"),
	];

	const faults: Record<string, number> = {};
	const keep: number[] = [];
	let rowsRead = 0;
	for (let i = 0; i < ids.length; i++) {
		const n = sums.hours[i];
		rowsRead += n;
		if (ids[i] === "")
			addFault(faults, "consumption_rows_empty_customer_id", n);
		else if (months[i] === null)
			addFault(faults, "consumption_rows_invalid_dropped", n);
		else {
			keep.push(i);
			addFault(faults, "negative_elec_readings_clamped", negE[i]);
			addFault(faults, "negative_gas_readings_clamped", negG[i]);
			addFault(faults, "consumption_elec_null_readings", nullE[i]);
			addFault(faults, "consumption_gas_null_readings", nullG[i]);
		}
	}
	const table = aq.table({
		customer_id: keep.map((i) => ids[i]),
		month: keep.map((i) => months[i]),
		...Object.fromEntries(
			PARTIAL_SUM_COLUMNS.map((c) => [
				c,
				Float64Array.from(keep, (i) => sums[c][i]),
			]),
		),
	});
	return { shardId: shard.id, table, faults, maxTimestamp, rowsRead };
}

/** Monthly consumption quantities (kWh, m3; totals and per tariff period), all ≥ 0. */
export const CONSUMPTION_QUANTITY_COLUMNS = [
	"monthly_elec_kwh",
	"monthly_gas_m3",
	"monthly_gas_kwh",
	"elec_kwh_tier_1_peak",
	"elec_kwh_tier_2_standard",
	"elec_kwh_tier_3_offpeak",
	"gas_m3_tier_1_peak",
	"gas_m3_tier_2_standard",
	"gas_m3_tier_3_offpeak",
	"gas_kwh_tier_1_peak",
	"gas_kwh_tier_2_standard",
	"gas_kwh_tier_3_offpeak",
] as const;

/** Final bronze consumption columns, in order (province and prices are joined later). */
export const CONSUMPTION_MONTH_COLUMNS = [
	"customer_id",
	"month",
	...CONSUMPTION_QUANTITY_COLUMNS,
	"holiday_hours_in_month",
	"hours_in_month",
] as const;

/** Re-aggregate shard partials by (customer_id, month) and derive the kWh/m3 columns. */
export function mergeShardAggregates(parts: readonly ShardAggregate[]): {
	table: Table;
	faults: Record<string, number>;
	maxTimestamp: string;
} {
	const faults: Record<string, number> = {};
	let maxTimestamp: string | null = null;
	const index = new Map<string, number>();
	const keys: [string, string][] = [];
	const acc: Record<string, number[]> = Object.fromEntries(
		PARTIAL_SUM_COLUMNS.map((c) => [c, []]),
	);
	for (const part of parts) {
		for (const [k, v] of Object.entries(part.faults)) addFault(faults, k, v);
		if (
			part.maxTimestamp !== null &&
			(maxTimestamp === null || part.maxTimestamp > maxTimestamp)
		)
			maxTimestamp = part.maxTimestamp;
		const ids = part.table.array("customer_id") as ArrayLike<string>;
		const months = part.table.array("month") as ArrayLike<string>;
		const cols = PARTIAL_SUM_COLUMNS.map(
			(c) => part.table.array(c) as ArrayLike<number>,
		);
		for (let i = 0; i < ids.length; i++) {
			const key = `${ids[i]}\u0000${months[i]}`;
			let j = index.get(key);
			if (j === undefined) {
				j = keys.length;
				index.set(key, j);
				keys.push([ids[i], months[i]]);
				for (const c of PARTIAL_SUM_COLUMNS) acc[c].push(0);
			}
			PARTIAL_SUM_COLUMNS.forEach((c, k) => {
				acc[c][j] += cols[k][i];
			});
		}
	}
	if (maxTimestamp === null)
		throw new Error("no consumption rows were kept in any shard");
	const order = keys
		.map((_, i) => i)
		.sort((a, b) => compareKeys(keys[a], keys[b]));
	// Divide (not multiply by 1e-6): 100000 / 1e6 is exactly the double 0.1.
	const col = (c: (typeof PARTIAL_SUM_COLUMNS)[number], divisor = MICRO) =>
		Float64Array.from(order, (i) => acc[c][i] / divisor);
	const e = [col("elec_t1_micro"), col("elec_t2_micro"), col("elec_t3_micro")];
	const g = [col("gas_t1_micro"), col("gas_t2_micro"), col("gas_t3_micro")];
	// Totals from the exact integer sums (then scaled), so total = sum of tiers up to one rounding.
	const total = (names: (typeof PARTIAL_SUM_COLUMNS)[number][]) =>
		Float64Array.from(
			order,
			(i) => names.reduce((s, n) => s + acc[n][i], 0) / MICRO,
		);
	const gasM3 = total(["gas_t1_micro", "gas_t2_micro", "gas_t3_micro"]);
	const kwh = (a: Float64Array) => a.map((v) => v * GAS_KWH_PER_M3);
	const table = aq.table({
		customer_id: order.map((i) => keys[i][0]),
		month: order.map((i) => keys[i][1]),
		monthly_elec_kwh: total([
			"elec_t1_micro",
			"elec_t2_micro",
			"elec_t3_micro",
		]),
		monthly_gas_m3: gasM3,
		monthly_gas_kwh: kwh(gasM3),
		elec_kwh_tier_1_peak: e[0],
		elec_kwh_tier_2_standard: e[1],
		elec_kwh_tier_3_offpeak: e[2],
		gas_m3_tier_1_peak: g[0],
		gas_m3_tier_2_standard: g[1],
		gas_m3_tier_3_offpeak: g[2],
		gas_kwh_tier_1_peak: kwh(g[0]),
		gas_kwh_tier_2_standard: kwh(g[1]),
		gas_kwh_tier_3_offpeak: kwh(g[2]),
		holiday_hours_in_month: col("holiday_hours", 1),
		hours_in_month: col("hours", 1),
	});
	return { table, faults, maxTimestamp };
}

function compareKeys(a: [string, string], b: [string, string]): number {
	if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
	return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

/** Plan, aggregate `concurrency` shards at a time (one 1-thread DuckDB instance each), merge. */
export async function aggregateConsumption(
	source: ConsumptionSource,
	opts: {
		shards?: number;
		concurrency?: number;
		threadsPerShard?: number;
		memoryLimit?: string;
	} = {},
): Promise<ReturnType<typeof mergeShardAggregates> & { shards: number }> {
	const shards = planConsumptionShards(source, opts.shards ?? 2);
	const results: ShardAggregate[] = new Array(shards.length);
	let next = 0;
	const worker = async () => {
		while (next < shards.length) {
			const i = next++;
			results[i] = await aggregateConsumptionShard(shards[i], {
				threads: opts.threadsPerShard ?? 1,
				memoryLimit: opts.memoryLimit,
			});
		}
	};
	await Promise.all(
		Array.from(
			{ length: Math.max(1, Math.min(opts.concurrency ?? 2, shards.length)) },
			worker,
		),
	);
	return { ...mergeShardAggregates(results), shards: shards.length };
}

/**
 * A shard result as two objects, as a Map iteration writes them to the lake:
 * `<key>` (Parquet) and `<key>.json` (metadata). The metadata goes last, so a
 * reader that finds it also finds the table.
 */
export async function writeShardAggregate(
	store: ObjectStore,
	key: string,
	agg: ShardAggregate,
): Promise<void> {
	const meta = {
		shardId: agg.shardId,
		faults: agg.faults,
		maxTimestamp: agg.maxTimestamp,
		rowsRead: agg.rowsRead,
	};
	await store.put(key, tableToParquet(agg.table));
	await store.put(`${key}.json`, `${JSON.stringify(meta)}\n`);
}

export async function readShardAggregate(
	store: ObjectStore,
	key: string,
): Promise<ShardAggregate> {
	const meta = JSON.parse(await store.getText(`${key}.json`)) as Omit<
		ShardAggregate,
		"table"
	>;
	return { ...meta, table: parquetToTable(await store.get(key)) };
}
