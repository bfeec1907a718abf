/**
 * Hourly consumption → customer-month aggregation (docs/data-contract.md §2), run by
 * native DuckDB per shard so the hourly rows never enter JavaScript.
 *
 * Readings are summed as integer micro-units (round(kWh × 10⁶)): integer sums
 * are associative, so merging shard partials gives bit-for-bit the single-pass
 * result whatever the split (float sums would differ in the last bits with the
 * summation order). Readings carry ≤ 4 decimals, so nothing is lost.
 */
import * as aq from "arquero";
import { InvalidHourlyRowsError } from "../../errors.ts";
import type { ObjectStore } from "../../io/object-store.ts";
import {
	columnValues,
	parquetToTable,
	type Table,
	tableToParquet,
} from "../../io/tables.ts";
import { DEFAULT_TOLERANCES } from "../../monitoring/quality.ts";
import { countFault, mergeFaults } from "../../util/faults.ts";
import { mapPool } from "../../util/pool.ts";
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
/** The batch is calendar 2024 (docs/data-quality.md, "Hourly integrity"): other timestamps are dropped. */
export const CONSUMPTION_YEAR = 2024;
const DEFAULT_MAX_INVALID_HOURLY_SHARE =
	DEFAULT_TOLERANCES.maxInvalidHourlyShare;

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

/**
 * Per customer-month fault counts carried in the partial (not as shard
 * totals), so that a customer re-aggregated across shards replaces them
 * exactly. Column → fault name.
 */
export const PARTIAL_FAULT_COLUMNS = {
	dup_exact: "consumption_duplicate_rows_exact",
	dup_conflict: "consumption_duplicate_rows_conflicting",
	neg_e: "negative_elec_readings_clamped",
	neg_g: "negative_gas_readings_clamped",
	null_e: "consumption_elec_null_readings",
	null_g: "consumption_gas_null_readings",
} as const;
type FaultColumn = keyof typeof PARTIAL_FAULT_COLUMNS;
const FAULT_COLUMNS = Object.keys(PARTIAL_FAULT_COLUMNS) as FaultColumn[];
const PARTIAL_COLUMNS = [...PARTIAL_SUM_COLUMNS, ...FAULT_COLUMNS] as const;
type PartialColumn = (typeof PARTIAL_COLUMNS)[number];

export const UNPARSABLE_ROWS = "consumption_rows_invalid_dropped";
export const OUT_OF_YEAR_ROWS = "consumption_rows_out_of_year_dropped";
export const EMPTY_ID_ROWS = "consumption_rows_empty_customer_id";

/** A dropped hourly row as read, for the error that names the first ones. */
export interface OffendingRow {
	file: string;
	customer_id: string | null;
	timestamp: string | null;
	consumption_elec_kwh: string | null;
	consumption_gas_m3: string | null;
}

export interface ShardAggregate {
	shardId: string;
	/** customer_id, month, PARTIAL_SUM_COLUMNS and the fault columns; ≤ 1 row per customer-month of this shard. */
	table: Table;
	/** Shard totals of the faults not keyed by customer-month (dropped rows). */
	faults: Record<string, number>;
	/** Latest valid timestamp read (rows with an empty id included), "YYYY-MM-DDTHH:MM:SS"; null when none. */
	maxTimestamp: string | null;
	/** Hourly rows read, duplicates and dropped rows included. */
	rowsRead: number;
	/** The first few unparsable or out-of-year rows (empty when none). */
	offendingRows?: OffendingRow[];
}

const TEXT_COLUMNS = [
	"timestamp",
	"consumption_elec_kwh",
	"consumption_gas_m3",
] as const;

/**
 * A CSV's text rows typed, the rule for every text source (a CSV read
 * directly, or staged once by ValidateRaw, stage-csv.ts): a row whose
 * timestamp or a non-blank reading does not parse gets a NULL timestamp (so
 * it is dropped and counted); its raw text is kept in raw_* columns
 * (`rawOnlyWhenBad`: NULL on good rows, so staged parts stay small).
 */
export function typedCsvSql(
	from: string,
	rawOnlyWhenBad = false,
	withFilename = false,
): string {
	const raw = (c: string) =>
		rawOnlyWhenBad
			? `CASE WHEN bad THEN "${c}" END AS raw_${c}`
			: `"${c}" AS raw_${c}`;
	return `SELECT customer_id, CASE WHEN bad THEN NULL ELSE t END AS "timestamp",
			e AS consumption_elec_kwh, g AS consumption_gas_m3, ${TEXT_COLUMNS.map(raw).join(", ")}${withFilename ? ", filename" : ""}
		FROM (
			SELECT *, (t IS NULL OR (e IS NULL AND nullif(trim(consumption_elec_kwh), '') IS NOT NULL)
				OR (g IS NULL AND nullif(trim(consumption_gas_m3), '') IS NOT NULL)) AS bad
			FROM (SELECT *, try_cast(trim("timestamp") AS TIMESTAMP) AS t,
				try_cast(trim(consumption_elec_kwh) AS DOUBLE) AS e, try_cast(trim(consumption_gas_m3) AS DOUBLE) AS g
				FROM ${from}))`;
}

/** The CSV reader options shared by every reading of a consumption CSV (everything as text). */
export const csvReader = (path: string, extra = "") =>
	`read_csv(${sqlString(path)}, header = true, all_varchar = true, delim = ',', quote = '"', null_padding = true${extra})`;

/**
 * The shard's rows as (cid, ts, e, g[, file and raw text]). A row that cannot
 * be used (timestamp missing or unparsable, or an unparsable reading in a CSV)
 * gets ts NULL: it then matches no calendar hour and is counted as dropped.
 */
function sourceSql(shard: ConsumptionShard, origin = false): string {
	let typed: string;
	const fname = origin ? ", filename = true" : "";
	if (shard.format === "csv") {
		// Everything as text, then typed so a bad value is counted, not fatal.
		const rawCols = origin
			? `, filename AS file, ${TEXT_COLUMNS.map((c) => `raw_${c}`).join(", ")}`
			: "";
		typed = shard.pieces
			.map(
				(p) =>
					`SELECT customer_id AS cid, "timestamp" AS ts, consumption_elec_kwh AS e, consumption_gas_m3 AS g${rawCols}
					FROM (${typedCsvSql(csvReader(p.path, fname), false, origin)})`,
			)
			.join(" UNION ALL ");
	} else {
		// A staged CSV is already typed (stage-csv.ts); its raw text is kept for bad rows only.
		const text = (c: string) =>
			shard.format === "staged-csv"
				? `coalesce(raw_${c}, "${c}"::VARCHAR) AS raw_${c}`
				: `"${c}"::VARCHAR AS raw_${c}`;
		const rawCols = origin
			? `, filename AS file, ${TEXT_COLUMNS.map(text).join(", ")}`
			: "";
		const cols = `customer_id AS cid, "timestamp"::TIMESTAMP AS ts, consumption_elec_kwh::DOUBLE AS e, consumption_gas_m3::DOUBLE AS g${rawCols}`;
		const opts = `, hive_partitioning = false${fname}`;
		const whole = shard.pieces
			.filter((p) => p.rowStart === undefined)
			.map((p) => p.path);
		const parts: string[] = [];
		if (whole.length > 0)
			parts.push(`SELECT ${cols} FROM read_parquet(${sqlList(whole)}${opts})`);
		for (const p of shard.pieces.filter((x) => x.rowStart !== undefined))
			parts.push(
				`SELECT ${cols} FROM read_parquet(${sqlString(p.path)}, file_row_number = true${opts})
				WHERE file_row_number >= ${p.rowStart} AND file_row_number < ${p.rowEnd}`,
			);
		typed = parts.join(" UNION ALL ");
	}
	const where: string[] = [];
	if (shard.hash)
		where.push(
			`hash(trim(cid)) % ${shard.hash.modulo} = ${shard.hash.remainder}`,
		);
	if (shard.customers)
		where.push(`trim(cid) IN (SELECT unnest(${sqlList(shard.customers)}))`);
	return `SELECT * FROM (${typed})${where.length ? ` WHERE ${where.join(" AND ")}` : ""}`;
}

const HOUR_US = 3_600_000_000;
const YEAR_START = `TIMESTAMP '${CONSUMPTION_YEAR}-01-01 00:00:00'`;
const YEAR_END = `TIMESTAMP '${CONSUMPTION_YEAR + 1}-01-01 00:00:00'`;
const hourOf = (ts: string) => `epoch_us(${ts}) // ${HOUR_US}`;
/**
 * Timestamps are local wall-clock (docs/data-contract.md §1.1): when daylight saving
 * time ends (last Sunday of October, 03:00 → 02:00) the hour 02:00 occurs
 * twice, so two rows there are two real hours, not a duplicate; the spring
 * hour 02:00 (last Sunday of March) does not exist.
 */
export const REPEATED_HOUR = Date.UTC(CONSUMPTION_YEAR, 9, 27, 2) / 3_600_000;
export const SKIPPED_HOUR = Date.UTC(CONSUMPTION_YEAR, 2, 31, 2) / 3_600_000;
const yearHours = (): [number, number] => [
	Date.UTC(CONSUMPTION_YEAR, 0, 1) / 3_600_000,
	Date.UTC(CONSUMPTION_YEAR + 1, 0, 1) / 3_600_000 - 1,
];

/**
 * The calendar of hours [loHour, hiHour] (hours since 1970-01-01 00:00 wall-clock):
 * k = (year × 12 + month − 1) × 4 + class, class 0 peak, 1 standard, 2 off-peak,
 * 3 off-peak on a national holiday. Classifying ~9 k calendar hours once and
 * joining is far cheaper than evaluating the tariff rule on every hourly row.
 */
export function calendarSql(
	loHour = yearHours()[0],
	hiHour = yearHours()[1],
): string {
	const t = `make_timestamp(h * ${HOUR_US})`;
	return `CREATE OR REPLACE TEMP TABLE calendar AS
	SELECT h, ((year(${t}) * 12 + month(${t}) - 1) * 4
		+ CASE WHEN ${holidaySql(t)} THEN 3 ELSE (${tariffPeriodSql(t)}) - 1 END)::INTEGER AS k
	FROM range(${loHour}, ${hiHour + 1}) r(h)`;
}

const micro = (x: string) => `(greatest(${x}, 0) * ${MICRO})::BIGINT`;
const tier = (col: string, cls: string) =>
	`coalesce(sum(${col}) FILTER (WHERE k % 4 IN (${cls})), 0)::DOUBLE`;
const sumD = (x: string) => `coalesce(sum(${x}), 0)::DOUBLE`;
/** by_class (cid, k, …) → per (trimmed id, month) with the columns of a partial. */
const BY_MONTH = `SELECT coalesce(trim(cid), '') AS customer_id, k // 4 AS ym,
			${sumD("n_rows")} AS rows_read, ${sumD("n_unparsable")} AS unparsable, max(max_h)::DOUBLE AS max_h,
			sum(n)::DOUBLE AS hours, coalesce(sum(n) FILTER (WHERE k % 4 = 3), 0)::DOUBLE AS holiday_hours,
			${tier("em", "0")} AS elec_t1_micro, ${tier("em", "1")} AS elec_t2_micro, ${tier("em", "2, 3")} AS elec_t3_micro,
			${tier("gm", "0")} AS gas_t1_micro, ${tier("gm", "1")} AS gas_t2_micro, ${tier("gm", "2, 3")} AS gas_t3_micro,
			${FAULT_COLUMNS.map((c) => `${sumD(c)} AS ${c}`).join(", ")}`;
const MONTH_OUT = `SELECT * EXCLUDE (ym),
		CASE WHEN ym IS NULL THEN NULL ELSE printf('%04d-%02d', ym // 12, ym % 12 + 1) END AS month
	FROM by_month`;
const hourlySql = (
	shard: ConsumptionShard,
) => `SELECT cid, e, g, ts IS NULL AS unparsable,
			CASE WHEN ts >= ${YEAR_START} AND ts < ${YEAR_END} THEN ${hourOf("ts")} END AS h
		FROM (${sourceSql(shard)})`;

/**
 * The aggregation query of a shard (after calendarSql): per raw customer id
 * and calendar class, then per trimmed id and month — two small aggregation
 * levels, as cheap as a plain aggregation. Duplicate (customer, hour) rows
 * are only *detected* here, exactly: each (id, class) group keeps a bitmap of
 * its hours (hour mod 1024 is unique within a month), OR-ed per trimmed id and
 * month; rows minus set bits = duplicate rows (column `dup`), less the
 * second row of the repeated autumn hour (REPEATED_HOUR). The customers
 * with any are then re-aggregated by `exactShardSql`. Bad rows land in month
 * NULL; micro-unit sums of clamped readings keep the merge exact.
 */
export function shardSql(shard: ConsumptionShard): string {
	return `WITH hourly AS (${hourlySql(shard)}
	), by_class AS (
		SELECT s.cid, c.k, count(*) AS n_rows, count(c.k) AS n, count_if(s.unparsable) AS n_unparsable,
			max(s.h) AS max_h, sum(${micro("s.e")}) AS em, sum(${micro("s.g")}) AS gm,
			bitstring_agg((s.h % 1024)::INTEGER, 0, 1023) FILTER (WHERE c.k IS NOT NULL) AS bits,
			count_if(s.h = ${REPEATED_HOUR}) AS n_rep, 0 AS dup_exact, 0 AS dup_conflict,
			count_if(s.e < 0) AS neg_e, count_if(s.g < 0) AS neg_g,
			count(c.k) - count(s.e) AS null_e, count(c.k) - count(s.g) AS null_g,
		FROM hourly s LEFT JOIN calendar c ON c.h = s.h
		GROUP BY ALL
	), by_month AS (
		${BY_MONTH}, (sum(n) - coalesce(bit_count(bit_or(bits)), 0)
			- CASE WHEN sum(n_rep) >= 2 THEN 1 ELSE 0 END)::DOUBLE AS dup
		FROM by_class GROUP BY ALL
	)
	${MONTH_OUT}`;
}

/**
 * The exact aggregation with duplicates resolved, for the few customers that
 * have any (`shard.customers`), one aggregation level more:
 * 1. per (trimmed id, hour): duplicates collapse to one reading per channel —
 *    the largest (docs/data-quality.md, "Hourly integrity"; the repeated
 *    autumn hour keeps its two largest); exact duplicates
 *    (every reading equal, nulls included) and conflicting ones are told apart;
 *    rows without a usable in-year hour share the group (id, NULL);
 * 2. per (id, calendar class); 3. per (id, month).
 */
export function exactShardSql(shard: ConsumptionShard): string {
	const same = (x: string) =>
		`(min(${x}) IS NOT DISTINCT FROM max(${x}) AND count(${x}) IN (0, count(*)))`;
	const rep = `h = ${REPEATED_HOUR}`;
	// The repeated autumn hour keeps its two largest readings per channel (two real hours).
	const top2 = (x: string) =>
		`list_slice(list_sort(list(${x}) FILTER (WHERE ${rep}), 'DESC', 'NULLS LAST'), 1, 2)`;
	const kept = (x: string, one: string, two: string) =>
		`CASE WHEN ${rep} THEN ${two.replaceAll("$L", top2(x))} ELSE ${one.replaceAll("$X", `max(${x})`)} END`;
	const reading = (x: string) => `
			${kept(x, micro("$X"), `coalesce(list_sum(list_transform($L, v -> ${micro("v")})), 0)`)} AS ${x}m,
			${kept(x, "($X < 0)::INTEGER", "len(list_filter($L, v -> v < 0))")} AS neg_${x},
			${kept(x, "($X IS NULL)::INTEGER", "least(count(*), 2) - len(list_filter($L, v -> v IS NOT NULL))")} AS null_${x}`;
	return `WITH hourly AS (${hourlySql(shard)}
	), by_hour AS (
		SELECT coalesce(trim(cid), '') AS cid, h, count(*) AS n, count_if(unparsable) AS n_unparsable,
			CASE WHEN h IS NULL THEN 0 WHEN ${rep} THEN least(count(*), 2) ELSE 1 END AS kept,
			${reading("e")}, ${reading("g")}, ${same("e")} AND ${same("g")} AS same
		FROM hourly GROUP BY 1, 2
	), by_class AS (
		SELECT s.cid, c.k, sum(s.n) AS n_rows, coalesce(sum(s.kept) FILTER (WHERE c.k IS NOT NULL), 0) AS n,
			sum(s.n - s.kept) FILTER (WHERE c.k IS NOT NULL AND s.same) AS dup_exact,
			sum(s.n - s.kept) FILTER (WHERE c.k IS NOT NULL AND NOT s.same) AS dup_conflict,
			sum(s.n_unparsable) AS n_unparsable, max(s.h) AS max_h,
			sum(s.em) FILTER (WHERE c.k IS NOT NULL) AS em, sum(s.gm) FILTER (WHERE c.k IS NOT NULL) AS gm,
			sum(s.neg_e) FILTER (WHERE c.k IS NOT NULL) AS neg_e, sum(s.neg_g) FILTER (WHERE c.k IS NOT NULL) AS neg_g,
			sum(s.null_e) FILTER (WHERE c.k IS NOT NULL) AS null_e, sum(s.null_g) FILTER (WHERE c.k IS NOT NULL) AS null_g,
		FROM by_hour s LEFT JOIN calendar c ON c.h = s.h
		GROUP BY ALL
	), by_month AS (
		${BY_MONTH}, 0::DOUBLE AS dup
		FROM by_class GROUP BY ALL
	)
	${MONTH_OUT}`;
}

/** The first `limit` rows of the shard that are dropped for their timestamp or a reading, with their file. */
export function offendingRowsSql(shard: ConsumptionShard, limit = 5): string {
	return `SELECT file, cid AS customer_id, raw_timestamp AS "timestamp",
		raw_consumption_elec_kwh AS consumption_elec_kwh, raw_consumption_gas_m3 AS consumption_gas_m3
	FROM (${sourceSql(shard, true)})
	WHERE coalesce(trim(cid), '') <> '' AND (ts IS NULL OR ts < ${YEAR_START} OR ts >= ${YEAR_END})
	LIMIT ${limit}`;
}

const hourToTimestamp = (h: number) =>
	new Date(h * 3_600_000).toISOString().slice(0, 19);

export async function aggregateConsumptionShard(
	shard: ConsumptionShard,
	opts: { threads?: number; memoryLimit?: string } = {},
): Promise<ShardAggregate> {
	const duck: DuckOptions = {
		threads: opts.threads ?? 1,
		memoryLimit: opts.memoryLimit ?? "1GB",
	};
	const { cols, offending } = await withDuckDB(duck, async (con) => {
		await con.run(calendarSql());
		const fast = (
			await con.runAndReadAll(shardSql(shard))
		).getColumnsObjectJS();
		const fastIds = fast.customer_id as string[];
		const fastMonths = fast.month as (string | null)[];
		const dup = fast.dup as number[];
		// Customers with duplicate hours (rare): re-aggregated exactly, their rows replaced.
		const dupCustomers = [
			...new Set(
				fastIds.filter(
					(id, i) => id !== "" && fastMonths[i] !== null && Number(dup[i]) > 0,
				),
			),
		];
		let cols = fast;
		if (dupCustomers.length > 0) {
			const exact = (
				await con.runAndReadAll(
					exactShardSql({ ...shard, customers: dupCustomers }),
				)
			).getColumnsObjectJS();
			const replaced = new Set(dupCustomers);
			// Their dropped rows (month NULL) stay counted by the fast pass.
			const keepFast = fastIds.flatMap((id, i) =>
				replaced.has(id) && fastMonths[i] !== null ? [] : [i],
			);
			const keepExact = (exact.month as (string | null)[]).flatMap((m, i) =>
				m === null ? [] : [i],
			);
			cols = Object.fromEntries(
				Object.keys(fast).map((c) => [
					c,
					[
						...keepFast.map((i) => fast[c][i]),
						...keepExact.map((i) => exact[c][i]),
					],
				]),
			) as typeof fast;
		}
		// Only when something was dropped: a second scan that stops at the first rows found.
		const dropped = (cols.month as (string | null)[]).some(
			(m, i) => m === null && (cols.customer_id as string[])[i] !== "",
		);
		const offending = dropped
			? ((
					await con.runAndReadAll(offendingRowsSql(shard))
				).getRowObjectsJS() as unknown as OffendingRow[])
			: [];
		return { cols, offending };
	});
	const ids = cols.customer_id as string[];
	const months = cols.month as (string | null)[];
	const num = (c: string) =>
		(cols[c] as (number | null)[]).map((v) => Number(v ?? 0));
	const sums = Object.fromEntries(
		PARTIAL_COLUMNS.map((c) => [c, num(c)]),
	) as Record<PartialColumn, number[]>;
	const [rows, unparsable] = [num("rows_read"), num("unparsable")];
	const maxH = (cols.max_h as (number | null)[]).map((v) =>
		v === null ? null : Number(v),
	);

	const faults: Record<string, number> = {};
	const keep: number[] = [];
	let rowsRead = 0;
	let latest: number | null = null;
	for (let i = 0; i < ids.length; i++) {
		rowsRead += rows[i];
		const h = maxH[i];
		if (h !== null && (latest === null || h > latest)) latest = h;
		if (ids[i] === "") countFault(faults, EMPTY_ID_ROWS, rows[i]);
		else if (months[i] === null) {
			countFault(faults, UNPARSABLE_ROWS, unparsable[i]);
			countFault(faults, OUT_OF_YEAR_ROWS, rows[i] - unparsable[i]);
		} else keep.push(i);
	}
	const table = aq.table({
		customer_id: keep.map((i) => ids[i]),
		month: keep.map((i) => months[i]),
		...Object.fromEntries(
			PARTIAL_COLUMNS.map((c) => [
				c,
				Float64Array.from(keep, (i) => sums[c][i]),
			]),
		),
	});
	return {
		shardId: shard.id,
		table,
		faults,
		maxTimestamp: latest === null ? null : hourToTimestamp(latest),
		rowsRead,
		offendingRows: offending.map((r) => ({ ...r, file: String(r.file) })),
	};
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

/** Missing hours per customer, as a summary (docs/data-quality.md, "Hourly integrity"). */
export interface MissingHoursSummary {
	/** Hours of the batch year up to the latest kept timestamp: what each customer should have. */
	expectedHours: number;
	customersWithMissingHours: number;
	totalMissingHours: number;
	worstCustomer: string | null;
	worstMissingHours: number;
}

export interface MergeOptions {
	/** Largest share of hourly rows dropped for their timestamp or a reading (default 0.001); beyond it, InvalidHourlyRowsError. */
	maxInvalidHourlyShare?: number;
	/**
	 * Exact re-aggregation of the customers that straddle shards
	 * (`straddlingCustomers`): their rows in the shard partials are replaced by these.
	 */
	straddling?: ShardAggregate;
}

/**
 * Customers with a customer-month in more than one shard partial. Their
 * duplicate (customer, hour) rows may sit in different shards, which no shard
 * can see: they are re-aggregated from the raw pieces in one pass
 * (`reaggregationShard`). Parts split by customer (hash-staged CSV, customer-
 * or month-partitioned parts) give none; a file split by row groups gives at
 * most the customers at the cuts.
 */
export function straddlingCustomers(parts: readonly ShardAggregate[]): {
	customers: string[];
	shardIds: string[];
} {
	const owner = new Map<string, number>();
	const customers = new Set<string>();
	const shards = new Set<number>();
	parts.forEach((part, p) => {
		const ids = columnValues(part.table, "customer_id") as ArrayLike<string>;
		const months = columnValues(part.table, "month") as ArrayLike<string>;
		for (let i = 0; i < ids.length; i++) {
			const key = `${ids[i]}\u0000${months[i]}`;
			const o = owner.get(key);
			if (o === undefined) owner.set(key, p);
			else if (o !== p) customers.add(ids[i]);
		}
	});
	if (customers.size > 0)
		parts.forEach((part, p) => {
			const ids = columnValues(part.table, "customer_id") as ArrayLike<string>;
			for (let i = 0; i < ids.length; i++)
				if (customers.has(ids[i])) shards.add(p);
		});
	return {
		customers: [...customers].sort(),
		shardIds: [...shards].sort((a, b) => a - b).map((p) => parts[p].shardId),
	};
}

/** One shard over the pieces of the given shards, restricted to the given customers. */
export function reaggregationShard(
	shards: readonly ConsumptionShard[],
	customers: readonly string[],
): ConsumptionShard {
	const formats = new Set(shards.map((s) => s.format));
	if (formats.size !== 1)
		throw new Error(`shards of mixed formats: ${[...formats].join(", ")}`);
	return {
		id: "straddling",
		format: shards[0].format,
		// Hash shards of one CSV share its file: each piece is read once.
		pieces: [
			...new Map(
				shards
					.flatMap((s) => s.pieces)
					.map((p) => [`${p.path}\u0000${p.rowStart}\u0000${p.rowEnd}`, p]),
			).values(),
		],
		customers: [...customers],
	};
}

/** Re-aggregate shard partials by (customer_id, month) and derive the kWh/m3 columns. */
export function mergeShardAggregates(
	parts: readonly ShardAggregate[],
	opts: MergeOptions = {},
): {
	table: Table;
	faults: Record<string, number>;
	maxTimestamp: string;
	rowsRead: number;
	missingHours: MissingHoursSummary;
} {
	const faults: Record<string, number> = {};
	let maxTimestamp: string | null = null;
	let rowsRead = 0;
	const offending: OffendingRow[] = [];
	const index = new Map<string, number>();
	const keys: [string, string][] = [];
	// One slot per distinct (customer, month): at most every partial row.
	const capacity =
		parts.reduce((n, p) => n + p.table.numRows(), 0) +
		(opts.straddling?.table.numRows() ?? 0);
	const acc: Record<string, Float64Array> = Object.fromEntries(
		PARTIAL_COLUMNS.map((c) => [c, new Float64Array(capacity)]),
	);
	const replaced = new Set<string>(
		Array.from(
			(opts.straddling
				? columnValues(opts.straddling.table, "customer_id")
				: []) as ArrayLike<string>,
		),
	);
	// Plain loops over the column arrays: a closure per cell cost a third of the reduce.
	const sums = PARTIAL_COLUMNS.map((c) => acc[c]);
	const add = (table: Table, skip: (id: string) => boolean) => {
		const ids = columnValues(table, "customer_id") as ArrayLike<string>;
		const months = columnValues(table, "month") as ArrayLike<string>;
		const cols = PARTIAL_COLUMNS.map(
			(c) => columnValues(table, c) as ArrayLike<number>,
		);
		for (let i = 0; i < ids.length; i++) {
			if (skip(ids[i])) continue;
			const key = `${ids[i]}\u0000${months[i]}`;
			let j = index.get(key);
			if (j === undefined) {
				j = keys.length;
				index.set(key, j);
				keys.push([ids[i], months[i]]);
			}
			for (let k = 0; k < sums.length; k++) sums[k][j] += cols[k][i];
		}
	};
	// Dropped rows are counted by the shard that read them (never re-counted by the re-aggregation).
	for (const part of parts) {
		mergeFaults(faults, part.faults);
		rowsRead += part.rowsRead;
		offending.push(...(part.offendingRows ?? []));
		if (
			part.maxTimestamp !== null &&
			(maxTimestamp === null || part.maxTimestamp > maxTimestamp)
		)
			maxTimestamp = part.maxTimestamp;
		add(part.table, (id) => replaced.has(id));
	}
	if (opts.straddling) add(opts.straddling.table, () => false);
	const invalid =
		(faults[UNPARSABLE_ROWS] ?? 0) + (faults[OUT_OF_YEAR_ROWS] ?? 0);
	const maxShare =
		opts.maxInvalidHourlyShare ?? DEFAULT_MAX_INVALID_HOURLY_SHARE;
	if (rowsRead > 0 && invalid / rowsRead > maxShare)
		throw new InvalidHourlyRowsError(invalid, rowsRead, maxShare, offending);
	if (maxTimestamp === null)
		throw new Error("no consumption rows were kept in any shard");
	const order = keys
		.map((_, i) => i)
		.sort((a, b) => compareKeys(keys[a], keys[b]));
	for (const c of FAULT_COLUMNS)
		countFault(
			faults,
			PARTIAL_FAULT_COLUMNS[c],
			acc[c].reduce((a, b) => a + b, 0),
		);
	const missingHours = missingHoursSummary(keys, acc.hours, maxTimestamp);
	countFault(
		faults,
		"consumption_customers_with_missing_hours",
		missingHours.customersWithMissingHours,
	);
	countFault(
		faults,
		"consumption_missing_hours_total",
		missingHours.totalMissingHours,
	);
	// Divide (not multiply by 1e-6): 100000 / 1e6 is exactly the double 0.1.
	const col = (c: (typeof PARTIAL_SUM_COLUMNS)[number], divisor = MICRO) => {
		const from = acc[c];
		const out = new Float64Array(order.length);
		for (let r = 0; r < order.length; r++) out[r] = from[order[r]] / divisor;
		return out;
	};
	const e = [col("elec_t1_micro"), col("elec_t2_micro"), col("elec_t3_micro")];
	const g = [col("gas_t1_micro"), col("gas_t2_micro"), col("gas_t3_micro")];
	// Totals from the exact integer sums (then scaled), so total = sum of tiers up to one rounding.
	const total = (names: (typeof PARTIAL_SUM_COLUMNS)[number][]) => {
		const [a, b, c] = names.map((n) => acc[n]);
		const out = new Float64Array(order.length);
		for (let r = 0; r < order.length; r++) {
			const i = order[r];
			out[r] = (a[i] + b[i] + c[i]) / MICRO;
		}
		return out;
	};
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
	return { table, faults, maxTimestamp, rowsRead, missingHours };
}

/** Hours each customer lacks between the start of the batch year and the latest kept timestamp. */
function missingHoursSummary(
	keys: readonly [string, string][],
	hours: ArrayLike<number>,
	maxTimestamp: string,
): MissingHoursSummary {
	// Wall-clock hours: the spring hour does not exist, the autumn one counts twice.
	const last = Date.parse(`${maxTimestamp}Z`) / 3_600_000;
	const expectedHours =
		last -
		Date.UTC(CONSUMPTION_YEAR, 0, 1) / 3_600_000 +
		1 -
		(last >= SKIPPED_HOUR ? 1 : 0) +
		(last >= REPEATED_HOUR ? 1 : 0);
	const kept = new Map<string, number>();
	keys.forEach(([id], i) => {
		kept.set(id, (kept.get(id) ?? 0) + hours[i]);
	});
	const out: MissingHoursSummary = {
		expectedHours,
		customersWithMissingHours: 0,
		totalMissingHours: 0,
		worstCustomer: null,
		worstMissingHours: 0,
	};
	for (const [id, n] of [...kept].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
		const missing = Math.max(0, expectedHours - n);
		if (missing === 0) continue;
		out.customersWithMissingHours++;
		out.totalMissingHours += missing;
		if (missing > out.worstMissingHours) {
			out.worstMissingHours = missing;
			out.worstCustomer = id;
		}
	}
	return out;
}

function compareKeys(a: [string, string], b: [string, string]): number {
	if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
	return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

/**
 * Plan, aggregate `concurrency` shards at a time (one 1-thread DuckDB instance
 * each), re-aggregate the customers that straddle shards, merge.
 */
export async function aggregateConsumption(
	source: ConsumptionSource,
	opts: {
		shards?: number;
		concurrency?: number;
		threadsPerShard?: number;
		memoryLimit?: string;
		maxInvalidHourlyShare?: number;
	} = {},
): Promise<ReturnType<typeof mergeShardAggregates> & { shards: number }> {
	const shards = planConsumptionShards(source, opts.shards ?? 2);
	const results = await mapPool(
		shards,
		(shard) =>
			aggregateConsumptionShard(shard, {
				threads: opts.threadsPerShard ?? 1,
				memoryLimit: opts.memoryLimit,
			}),
		{ concurrency: Math.max(1, opts.concurrency ?? 2) },
	);
	const straddling = await reaggregateStraddling(shards, results, {
		threads: opts.threadsPerShard,
		memoryLimit: opts.memoryLimit,
	});
	return {
		...mergeShardAggregates(results, {
			maxInvalidHourlyShare: opts.maxInvalidHourlyShare,
			straddling,
		}),
		shards: shards.length,
	};
}

/** The exact aggregate of the customers straddling shards, or undefined when none does. */
export async function reaggregateStraddling(
	shards: readonly ConsumptionShard[],
	parts: readonly ShardAggregate[],
	opts: {
		threads?: number;
		memoryLimit?: string;
		/** Makes a shard's pieces readable (in Lambda: downloads them); called only for the shards involved. */
		prepare?: (shard: ConsumptionShard) => Promise<ConsumptionShard>;
	} = {},
): Promise<ShardAggregate | undefined> {
	const { customers, shardIds } = straddlingCustomers(parts);
	if (customers.length === 0) return undefined;
	const involved = await Promise.all(
		shards
			.filter((s) => shardIds.includes(s.id))
			.map((s) => (opts.prepare ? opts.prepare(s) : s)),
	);
	return aggregateConsumptionShard(
		reaggregationShard(involved, customers),
		opts,
	);
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
		offendingRows: agg.offendingRows ?? [],
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
