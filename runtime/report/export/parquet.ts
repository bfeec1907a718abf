/** Rows → Parquet files with the contract's column types. */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
	Float64,
	Table,
	tableToIPC,
	Utf8,
	vectorFromArray,
} from "apache-arrow";
import * as pq from "parquet-wasm/node";
import {
	REPORT_TABLE_NAMES,
	REPORT_TABLES,
	type ReportTableName,
} from "../contract.ts";
import { num, type Obj, str, type TableRows } from "./values.ts";

/** Rows → Parquet with the contract's column types (an empty table keeps its schema). */
export function rowsToParquet(
	schema: Readonly<Record<string, "string" | "number">>,
	rows: Obj[],
): Uint8Array {
	const columns = Object.fromEntries(
		Object.entries(schema).map(([col, type]) => [
			col,
			type === "number"
				? vectorFromArray(
						rows.map((r) => num(r[col])),
						new Float64(),
					)
				: vectorFromArray(
						rows.map((r) => str(r[col])),
						new Utf8(),
					),
		]),
	);
	const ipc = tableToIPC(new Table(columns), "stream");
	const props = new pq.WriterPropertiesBuilder()
		.setCompression(pq.Compression.ZSTD)
		.build();
	return pq.writeParquet(pq.Table.fromIPCStream(ipc), props);
}

/** One Parquet file per contract table (a table no builder filled is written empty); row counts back. */
export async function writeReportTables(
	rows: TableRows,
	outDir: string,
): Promise<Record<ReportTableName, number>> {
	await mkdir(outDir, { recursive: true });
	const counts = {} as Record<ReportTableName, number>;
	for (const name of REPORT_TABLE_NAMES) {
		const table = (rows[name] ?? []) as Obj[];
		await writeFile(
			join(outDir, `${name}.parquet`),
			rowsToParquet(REPORT_TABLES[name], table),
		);
		counts[name] = table.length;
	}
	return counts;
}
