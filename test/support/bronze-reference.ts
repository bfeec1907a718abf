/**
 * An independent reference for bronze_customer_month's consumption columns:
 * one plain DuckDB SQL aggregation of the hourly files, written from the data
 * contract without the pipeline's code (docs/architecture.md, "Independent
 * check of bronze") — no shards, no calendar table, no partial merge — and a
 * comparison with the pipeline's table done inside DuckDB, so it runs on a
 * 100 k-customer batch (880 M hourly rows) without the rows entering JS.
 *
 * Duplicate hourly rows follow the documented rule (largest reading per
 * channel), written here as a plain GROUP BY.
 *
 * Readings are summed as rounded micro-units, as the contract's exactness
 * rule allows (readings carry at most 4 decimals), so equal means equal.
 */
import {
	sqlList,
	sqlString,
	withDuckDB,
} from "../../runtime/data/raw/duckdb.ts";

const HOLIDAYS = [
	"01-01",
	"01-06",
	"05-01",
	"08-15",
	"10-12",
	"11-01",
	"12-06",
	"12-08",
	"12-25",
];
const PEAK = [10, 11, 12, 13, 18, 19, 20, 21];
const STANDARD = [8, 9, 14, 15, 16, 17, 22, 23];

/** The reference aggregation over Parquet hourly files, one row per (customer_id, month). */
export function referenceSql(
	hourlyParquet: readonly string[],
	churnLabelCsv: string,
	/** Only customers with hash(trimmed id) % modulo = remainder (a bucket of the whole). */
	bucket?: { modulo: number; remainder: number },
): string {
	const holiday = `strftime(ts, '%m-%d') IN (${HOLIDAYS.map((d) => `'${d}'`).join(", ")})`;
	const period = `CASE WHEN isodow(ts) IN (6, 7) OR ${holiday} THEN 'offpeak'
		WHEN hour(ts) IN (${PEAK.join(", ")}) THEN 'peak'
		WHEN hour(ts) IN (${STANDARD.join(", ")}) THEN 'standard' ELSE 'offpeak' END`;
	const micro = (x: string) => `round(greatest(${x}, 0) * 1000000)::HUGEINT`;
	const sumIf = (x: string, p: string) =>
		`coalesce(sum(${micro(x)}) FILTER (WHERE period = '${p}'), 0) / 1000000`;
	// Duplicate (customer, hour) rows: one reading per channel, the largest
	// (docs/data-quality.md, "Hourly integrity"); only hours of the batch year 2024.
	// The wall-clock hour repeated when DST ends holds up to two real hours: the
	// two largest readings per channel, as two rows.
	const repeated = "TIMESTAMP '2024-10-27 02:00:00'";
	return `WITH src AS (
		SELECT trim(customer_id) AS customer_id, "timestamp"::TIMESTAMP AS ts,
			consumption_elec_kwh::DOUBLE AS e, consumption_gas_m3::DOUBLE AS g
		FROM read_parquet(${sqlList(hourlyParquet)})
		-- Rows without a customer id are dropped (and never join dup_customers:
		-- a NULL there would make every NOT IN below unknown).
		WHERE year("timestamp"::TIMESTAMP) = 2024 AND nullif(trim(customer_id), '') IS NOT NULL${bucket ? ` AND hash(trim(customer_id)) % ${bucket.modulo} = ${bucket.remainder}` : ""}
	), dup_customers AS (
		-- Customers with more rows than distinct timestamps (beyond the DST hour's second row):
		-- only their rows pay for the (customer, timestamp) grouping.
		SELECT customer_id FROM src GROUP BY customer_id
		HAVING count(*) - count(DISTINCT ts) - CASE WHEN count_if(ts = ${repeated}) >= 2 THEN 1 ELSE 0 END > 0
	), dups AS (
		SELECT * FROM src WHERE customer_id IN (SELECT customer_id FROM dup_customers)
	), rows AS (
		SELECT customer_id, ts, e, g FROM src
		WHERE customer_id NOT IN (SELECT customer_id FROM dup_customers)
		UNION ALL
		SELECT customer_id, ts, max(e) AS e, max(g) AS g FROM dups
		WHERE ts <> ${repeated} GROUP BY customer_id, ts
		UNION ALL
		SELECT customer_id, ts, es[i] AS e, gs[i] AS g FROM (
			SELECT customer_id, ts, list_sort(list(e), 'DESC', 'NULLS LAST') AS es,
				list_sort(list(g), 'DESC', 'NULLS LAST') AS gs, least(count(*), 2) AS n
			FROM dups WHERE ts = ${repeated} GROUP BY customer_id, ts
		) CROSS JOIN range(1, 3) r(i) WHERE i <= n
	), classified AS (
		SELECT *, strftime(ts, '%Y-%m') AS month, ${period} AS period, ${holiday} AS is_holiday
		FROM rows WHERE customer_id <> '' AND ts IS NOT NULL
			AND customer_id IN (SELECT trim(customer_id) FROM read_csv(${sqlString(churnLabelCsv)}, all_varchar = true))
	)
	SELECT customer_id, month,
		coalesce(sum(${micro("e")}), 0) / 1000000 AS monthly_elec_kwh,
		coalesce(sum(${micro("g")}), 0) / 1000000 AS monthly_gas_m3,
		coalesce(sum(${micro("g")}), 0) / 1000000 * 11 AS monthly_gas_kwh,
		${sumIf("e", "peak")} AS elec_kwh_tier_1_peak,
		${sumIf("e", "standard")} AS elec_kwh_tier_2_standard,
		${sumIf("e", "offpeak")} AS elec_kwh_tier_3_offpeak,
		${sumIf("g", "peak")} AS gas_m3_tier_1_peak,
		${sumIf("g", "standard")} AS gas_m3_tier_2_standard,
		${sumIf("g", "offpeak")} AS gas_m3_tier_3_offpeak,
		${sumIf("g", "peak")} * 11 AS gas_kwh_tier_1_peak,
		${sumIf("g", "standard")} * 11 AS gas_kwh_tier_2_standard,
		${sumIf("g", "offpeak")} * 11 AS gas_kwh_tier_3_offpeak,
		count(*) FILTER (WHERE is_holiday) AS holiday_hours_in_month,
		count(*) AS hours_in_month
	FROM classified GROUP BY customer_id, month`;
}

export const REFERENCE_COLUMNS = [
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
	"holiday_hours_in_month",
	"hours_in_month",
] as const;

export interface ReferenceComparison {
	referenceRows: number;
	bronzeRows: number;
	/** Rows present on one side only, or with any column differing by more than 1e-9. */
	mismatchedRows: number;
	/** Up to 5 mismatches, for the failure message. */
	examples: Record<string, unknown>[];
	maxAbsDifference: number;
}

/**
 * Compare the pipeline's bronze_customer_month Parquet with the reference, row
 * for row, on the customers of churn_label (bronze keeps no other).
 */
export async function compareWithReference(
	bronzeCustomerMonth: string,
	hourlyParquet: readonly string[],
	churnLabelCsv: string,
	opts: {
		threads?: number;
		memoryLimit?: string;
		/**
		 * Compute the reference in this many customer buckets (default 1): the
		 * duplicate rule groups every hourly row by customer and hour, which at
		 * 100 k customers (880 M rows) needs more memory than one pass may take.
		 * Each customer's rows fall in one bucket, so the result is the same.
		 */
		buckets?: number;
	} = {},
): Promise<ReferenceComparison> {
	const buckets = opts.buckets ?? 1;
	return withDuckDB(
		{ threads: opts.threads ?? 2, memoryLimit: opts.memoryLimit ?? "4GB" },
		async (con) => {
			for (let b = 0; b < buckets; b++) {
				const sql = referenceSql(
					hourlyParquet,
					churnLabelCsv,
					buckets > 1 ? { modulo: buckets, remainder: b } : undefined,
				);
				await con.run(
					b === 0
						? `CREATE TEMP TABLE ref AS ${sql}`
						: `INSERT INTO ref ${sql}`,
				);
			}
			await con.run(
				`CREATE TEMP TABLE bronze AS SELECT customer_id, month, ${REFERENCE_COLUMNS.join(", ")}
				 FROM read_parquet(${sqlString(bronzeCustomerMonth)})`,
			);
			const diff = (c: string) =>
				`abs(coalesce(r.${c}::DOUBLE, 'nan'::DOUBLE) - coalesce(b.${c}::DOUBLE, 'nan'::DOUBLE))`;
			const worst = `greatest(${REFERENCE_COLUMNS.map(diff).join(", ")})`;
			await con.run(
				`CREATE TEMP TABLE cmp AS SELECT coalesce(r.customer_id, b.customer_id) AS customer_id,
					coalesce(r.month, b.month) AS month, r.customer_id IS NULL AS missing_in_reference,
					b.customer_id IS NULL AS missing_in_bronze, ${worst} AS worst
				 FROM ref r FULL OUTER JOIN bronze b USING (customer_id, month)`,
			);
			const one = async (sql: string) =>
				(await con.runAndReadAll(sql)).getRowObjectsJS();
			const [counts] = await one(
				`SELECT (SELECT count(*) FROM ref)::DOUBLE AS ref_rows, (SELECT count(*) FROM bronze)::DOUBLE AS bronze_rows,
					count(*) FILTER (WHERE missing_in_reference OR missing_in_bronze OR isnan(worst) OR worst > 1e-9)::DOUBLE AS bad,
					coalesce(max(worst) FILTER (WHERE NOT isnan(worst)), 0) AS max_diff FROM cmp`,
			);
			const examples = await one(
				`SELECT * FROM cmp WHERE missing_in_reference OR missing_in_bronze OR isnan(worst) OR worst > 1e-9
				 ORDER BY customer_id, month LIMIT 5`,
			);
			return {
				referenceRows: Number(counts.ref_rows),
				bronzeRows: Number(counts.bronze_rows),
				mismatchedRows: Number(counts.bad),
				examples,
				maxAbsDifference: Number(counts.max_diff),
			};
		},
	);
}
