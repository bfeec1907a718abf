/**
 * A short-lived native DuckDB session. Each consumption shard gets its own
 * in-memory instance, so shards can run side by side with a bounded thread
 * count and memory limit each, exactly as separate Lambdas would.
 */
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";

export interface DuckOptions {
	threads?: number;
	/** DuckDB memory limit, e.g. "1GB". */
	memoryLimit?: string;
}

export async function withDuckDB<T>(
	opts: DuckOptions,
	fn: (con: DuckDBConnection) => Promise<T>,
): Promise<T> {
	const instance = await DuckDBInstance.create(":memory:", {
		threads: String(opts.threads ?? 1),
		memory_limit: opts.memoryLimit ?? "1GB",
		// Never reach for the network (extension autoload) in a pipeline step.
		autoinstall_known_extensions: "false",
	});
	const con = await instance.connect();
	try {
		return await fn(con);
	} finally {
		con.closeSync();
		instance.closeSync();
	}
}

/** A SQL string literal. */
export function sqlString(s: string): string {
	return `'${s.replaceAll("'", "''")}'`;
}

/** A SQL list of string literals, e.g. for read_parquet([...]). */
export function sqlList(items: readonly string[]): string {
	return `[${items.map(sqlString).join(", ")}]`;
}
