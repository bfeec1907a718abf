/**
 * Parquet I/O for the small (post-bronze) tables, which live in memory as
 * arquero tables. arquero → Arrow IPC → parquet-wasm (zstd) and back; no
 * native code, so the same module runs in Lambda.
 */
import { readFile } from "node:fs/promises";
import { type ColumnTable, fromArrow, toArrowIPC } from "arquero";
import * as pq from "parquet-wasm/node";
import { writeFileAtomic } from "./atomic.ts";

export type Table = ColumnTable;

/** Serialise a table to Parquet bytes. */
export function tableToParquet(table: Table): Uint8Array {
	const ipc = toArrowIPC(table, { format: "stream" });
	const wasmTable = pq.Table.fromIPCStream(ipc);
	const props = new pq.WriterPropertiesBuilder()
		.setCompression(pq.Compression.ZSTD)
		.build();
	return pq.writeParquet(wasmTable, props);
}

/** Parse Parquet bytes into a table. */
export function parquetToTable(bytes: Uint8Array): Table {
	const wasmTable = pq.readParquet(bytes);
	return fromArrow(wasmTable.intoIPCStream()) as Table;
}

/** Write a table atomically (temp file + rename) so readers never see half a file. */
export async function writeParquetFile(
	path: string,
	table: Table,
): Promise<void> {
	await writeFileAtomic(path, tableToParquet(table));
}

export async function readParquetFile(path: string): Promise<Table> {
	return parquetToTable(new Uint8Array(await readFile(path)));
}
