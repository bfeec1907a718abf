/**
 * The yardstick for raw → bronze: one plain DuckDB SQL aggregation of the
 * same hourly files to customer-month (test/support/bronze-reference.ts), with
 * 2 threads, written to Parquet, as one whole process.
 *
 *   tsx bench/duckdb-plain.ts <batchDir> <out.parquet>
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { sqlString, withDuckDB } from "../runtime/data/raw/duckdb.ts";
import { referenceSql } from "../test/support/bronze-reference.ts";

async function main() {
	const [batchDir, out] = process.argv.slice(2);
	const partsDir = join(batchDir, "consumption_hourly_2024");
	const parts = (await readdir(partsDir))
		.filter((f) => f.endsWith(".parquet"))
		.map((f) => join(partsDir, f));
	const t0 = performance.now();
	await withDuckDB({ threads: 2, memoryLimit: "4GB" }, (con) =>
		con.run(
			`COPY (${referenceSql(parts, join(batchDir, "churn_label.csv"))}) TO ${sqlString(out)} (FORMAT parquet)`,
		),
	);
	const seconds = (performance.now() - t0) / 1000;
	const maxRssMb = process.resourceUsage().maxRSS / 1024;
	process.stdout.write(`${JSON.stringify({ seconds, maxRssMb })}\n`);
}

main().catch((e) => {
	process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
	process.exit(1);
});
