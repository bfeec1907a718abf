/**
 * CSV consumption parsed once (docs/data-quality.md, "Hourly integrity"): one
 * DuckDB pass reads the CSV as text and writes Parquet parts partitioned by
 * hash of the trimmed customer id, so the shards built on them are
 * customer-disjoint and each reads only its own part instead of re-parsing
 * the whole file. The values are typed here, once, by the rule a shard
 * applies to a CSV (`typedCsvSql`): an unparsable row keeps a NULL timestamp
 * and its raw text, so it is still counted (and shown), not fatal.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { type DuckOptions, sqlString, withDuckDB } from "../raw/duckdb.ts";
import { csvReader, typedCsvSql } from "./hourly-aggregate.ts";

export interface StagedCsvPart {
	bucket: number;
	/** Local path of the Parquet part. */
	path: string;
}

export async function stageCsvConsumption(
	csvPath: string,
	outDir: string,
	buckets: number,
	duck: DuckOptions = { threads: 2, memoryLimit: "2GB" },
): Promise<StagedCsvPart[]> {
	if (!Number.isInteger(buckets) || buckets < 1)
		throw new RangeError(
			`bucket count must be a positive integer, got ${buckets}`,
		);
	await withDuckDB(duck, async (con) => {
		// The same reader and typing as a shard reading the CSV directly (hourly-aggregate.ts).
		await con.run(`COPY (
			SELECT *, (hash(trim(customer_id)) % ${buckets})::INTEGER AS bucket
			FROM (${typedCsvSql(csvReader(csvPath), true)})
		) TO ${sqlString(outDir)} (FORMAT parquet, PARTITION_BY (bucket), OVERWRITE_OR_IGNORE true)`);
	});
	const parts: StagedCsvPart[] = [];
	for (const dir of (await readdir(outDir)).sort()) {
		const m = /^bucket=(\d+)$/.exec(dir);
		if (!m) continue;
		for (const f of (await readdir(join(outDir, dir))).sort())
			if (f.endsWith(".parquet"))
				parts.push({ bucket: Number(m[1]), path: join(outDir, dir, f) });
	}
	return parts.sort((a, b) => a.bucket - b.bucket);
}
