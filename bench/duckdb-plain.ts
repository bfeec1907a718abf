/**
 * The yardstick for raw → bronze: one plain DuckDB SQL aggregation of the
 * same hourly files to customer-month, with 2 threads, written to Parquet, as
 * one whole process. "Plain" is what a careful analyst would write by hand:
 * per trimmed customer id and month, the elec and gas sums per tariff period
 * and the hours — no duplicate resolution, no fault counting, no validation.
 * `--exact` runs the independent reference instead
 * (test/support/bronze-reference.ts: the duplicate rule and the churn-label
 * filter included), which costs several times more.
 *
 *   tsx bench/duckdb-plain.ts <batchDir> <out.parquet> [--calendar | --exact]
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { holidaySql, tariffPeriodSql } from "../runtime/data/bronze/tariff.ts";
import { sqlList, sqlString, withDuckDB } from "../runtime/data/raw/duckdb.ts";
import { referenceSql } from "../test/support/bronze-reference.ts";

/**
 * The hand-written aggregation: one GROUP BY over the hourly parts, the
 * tariff period evaluated per row (`calendar`: looked up in a table of the
 * year's hours instead, as the pipeline does — the cheaper variant).
 */
export function plainSql(parts: readonly string[], calendar = false): string {
	const sums = (x: string, name: string) =>
		[1, 2, 3]
			.map((p) => `sum(${x}) FILTER (WHERE period = ${p}) AS ${name}_tier_${p}`)
			.join(", ");
	return `SELECT customer_id, month, sum(e) AS monthly_elec_kwh, sum(g) AS monthly_gas_m3,
			${sums("e", "elec_kwh")}, ${sums("g", "gas_m3")}, count(*) AS hours_in_month
		FROM (
			SELECT trim(customer_id) AS customer_id, strftime(s.ts, '%Y-%m') AS month,
				consumption_elec_kwh AS e, consumption_gas_m3 AS g,
				${calendar ? "c.period" : `CASE WHEN ${holidaySql("ts")} THEN 3 ELSE ${tariffPeriodSql("ts")} END`} AS period
			FROM (SELECT *, "timestamp"::TIMESTAMP AS ts FROM read_parquet(${sqlList(parts)})) s
			${calendar ? "LEFT JOIN hours c ON c.ts = s.ts" : ""}
		)
		GROUP BY ALL`;
}

async function main() {
	const [batchDir, out, flag] = process.argv.slice(2);
	const partsDir = join(batchDir, "consumption_hourly_2024");
	const parts = (await readdir(partsDir))
		.filter((f) => f.endsWith(".parquet"))
		.map((f) => join(partsDir, f));
	const sql =
		flag === "--exact"
			? referenceSql(parts, join(batchDir, "churn_label.csv"))
			: plainSql(parts, flag === "--calendar");
	const t0 = performance.now();
	await withDuckDB({ threads: 2, memoryLimit: "4GB" }, async (con) => {
		if (flag === "--calendar")
			await con.run(`CREATE TEMP TABLE hours AS SELECT ts,
				CASE WHEN ${holidaySql("ts")} THEN 3 ELSE ${tariffPeriodSql("ts")} END AS period
				FROM range(TIMESTAMP '2024-01-01', TIMESTAMP '2025-01-01', INTERVAL 1 HOUR) r(ts)`);
		await con.run(`COPY (${sql}) TO ${sqlString(out)} (FORMAT parquet)`);
	});
	const seconds = (performance.now() - t0) / 1000;
	const maxRssMb = process.resourceUsage().maxRSS / 1024;
	process.stdout.write(`${JSON.stringify({ seconds, maxRssMb })}\n`);
}

main().catch((e) => {
	process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
	process.exit(1);
});
