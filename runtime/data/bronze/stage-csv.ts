/**
 * CSV consumption parsed once (docs/data-quality.md, "Hourly integrity"): one
 * DuckDB pass reads the CSV as text and writes Parquet parts partitioned by
 * hash of the trimmed customer id, so the shards built on them are
 * customer-disjoint and each reads only its own part instead of re-parsing
 * the whole file. Values stay text: the shard types them exactly as it types
 * a CSV, so an unparsable value is still counted, not fatal.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { type DuckOptions, sqlString, withDuckDB } from "../raw/duckdb.ts";

export interface StagedCsvPart {
	bucket: number;
	/** Local path of the Parquet part. */
	path: string;
}

/** Columns of a staged part (text, as in the CSV). */
const COLUMNS = [
	"customer_id",
	"timestamp",
	"consumption_elec_kwh",
	"consumption_gas_m3",
];

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
		// The same reader options as a shard reading the CSV directly (hourly-aggregate.ts).
		await con.run(`COPY (
			SELECT ${COLUMNS.map((c) => `"${c}"`).join(", ")},
				(hash(trim(customer_id)) % ${buckets})::INTEGER AS bucket
			FROM read_csv(${sqlString(csvPath)}, header = true, all_varchar = true, delim = ',', quote = '"', null_padding = true)
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
