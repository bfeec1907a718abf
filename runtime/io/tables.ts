/**
 * Parquet I/O for the small (post-bronze) tables, which live in memory as
 * arquero tables. arquero → Arrow IPC → parquet-wasm (zstd) and back; no
 * native code, so the same module runs in Lambda.
 *
 * Reading does not use arquero's `fromArrow`: its dictionary fast path takes
 * the dictionary of the *last* record batch for every batch of a column. A
 * Parquet file decodes into one record batch per page or row group, each
 * carrying its own (replacement) dictionary, so beyond one batch every string
 * column read back wrong (docs/architecture.md, "Tables in memory"). We decode
 * the IPC stream with flechette, which honours per-batch dictionaries, and
 * hand arquero plain column arrays.
 */
import { readFile } from "node:fs/promises";
import {
	type DataType,
	float32,
	float64,
	int8,
	int16,
	int32,
	tableFromIPC,
	uint8,
	uint16,
	uint32,
	utf8,
} from "@uwdata/flechette";
import { type ColumnTable, table as columnTable, toArrowIPC } from "arquero";
import * as pq from "parquet-wasm/node";
import { writeFileAtomic } from "./atomic.ts";

export type Table = ColumnTable;

/** Arrow types of typed-array columns (an empty one has nothing to infer from). */
const TYPED_ARRAY_TYPES = new Map<unknown, () => DataType>([
	[Float64Array, float64],
	[Float32Array, float32],
	[Int8Array, int8],
	[Int16Array, int16],
	[Int32Array, int32],
	[Uint8Array, uint8],
	[Uint16Array, uint16],
	[Uint32Array, uint32],
]);

/** Strings mostly distinct in this many leading values are written plain. */
const CARDINALITY_SAMPLE = 4_096;

/**
 * Explicit Arrow types where inference would fail or be slow: an empty typed
 * array keeps its type (flechette cannot infer one from no batches); string columns whose values are mostly
 * distinct (ids) are written as plain UTF-8, because building an Arrow
 * dictionary of millions of distinct strings costs seconds and gains nothing.
 * Parquet dictionary-encodes pages on its own either way.
 */
function arrowTypes(table: Table): Record<string, DataType> {
	const types: Record<string, DataType> = {};
	const data = table.data() as unknown as Record<string, ArrayLike<unknown>>;
	for (const name of table.columnNames()) {
		const values = data[name];
		const typed = TYPED_ARRAY_TYPES.get(values.constructor);
		if (typed) {
			// A non-empty typed array keeps arquero's zero-copy path untyped.
			if (values.length === 0) types[name] = typed();
			continue;
		}
		const sample = new Set<unknown>();
		let strings = 0;
		const n = Math.min(values.length, CARDINALITY_SAMPLE);
		for (let i = 0; i < n; i++) {
			const v = values[i];
			if (v === null || v === undefined) continue;
			if (typeof v !== "string") break;
			strings++;
			sample.add(v);
		}
		if (strings > 0 && sample.size > strings / 2) types[name] = utf8();
	}
	return types;
}

/** Columns holding numbers (a typed array, or numbers in its first non-null value). */
function numericColumns(table: Table): string[] {
	const data = table.data() as unknown as Record<string, ArrayLike<unknown>>;
	return table.columnNames().filter((name) => {
		const values = data[name];
		if (ArrayBuffer.isView(values)) return true;
		for (let i = 0; i < values.length; i++)
			if (values[i] !== null && values[i] !== undefined)
				return typeof values[i] === "number";
		return false;
	});
}

/**
 * Serialise a table to Parquet bytes (zstd). Number columns are written
 * without a Parquet dictionary: measures rarely repeat, so the writer's
 * dictionary attempt only costs — on the 241 k × 29 bronze_customer_month,
 * writing took 408 ms with it and 228 ms without, reading 252 and 217 ms, and
 * the file shrank from 8.4 to 6.4 MB. Strings keep it (months, provinces).
 */
export function tableToParquet(table: Table): Uint8Array {
	const ipc = toArrowIPC(table, {
		format: "stream",
		types: arrowTypes(table),
	});
	const wasmTable = pq.Table.fromIPCStream(ipc);
	let props = new pq.WriterPropertiesBuilder().setCompression(
		pq.Compression.ZSTD,
	);
	for (const name of numericColumns(table))
		props = props.setColumnDictionaryEnabled(name, false);
	return pq.writeParquet(wasmTable, props.build());
}

/** Parse Parquet bytes into a table. */
export function parquetToTable(bytes: Uint8Array): Table {
	return ipcToTable(pq.readParquet(bytes).intoIPCStream());
}

/**
 * Arrow IPC stream → arquero table with one plain array per column: typed
 * arrays for null-free numbers, JS arrays otherwise (strings, nulls, dates as
 * `Date`, as arquero's own reader gives them).
 */
export function ipcToTable(ipc: Uint8Array): Table {
	const arrow = tableFromIPC(ipc, { useDate: true });
	const columns: Record<string, ArrayLike<unknown>> = {};
	for (const field of arrow.schema.fields) {
		const values = arrow.getChild(field.name).toArray();
		// A single-batch typed array is a view into the whole IPC buffer; copy
		// it so the buffer can be freed once every column is extracted.
		columns[field.name] =
			ArrayBuffer.isView(values) && values.byteLength < values.buffer.byteLength
				? (values as unknown as { slice(): ArrayLike<unknown> }).slice()
				: values;
	}
	return columnTable(columns);
}

/**
 * A column's values for reading, in row order: the backing array itself when
 * the table is neither filtered nor ordered (no copy), else `table.array`.
 * arquero's `array` copies through a per-row scan; on the 1.2 M-row
 * customer-month table of 100 k customers, silver spent a fifth of its time
 * there. Callers must not modify the result.
 */
export function columnValues(table: Table, name: string): ArrayLike<unknown> {
	if (!table.isFiltered() && !table.isOrdered()) {
		const data = (table.data() as unknown as Record<string, unknown>)[name];
		if (Array.isArray(data) || ArrayBuffer.isView(data))
			return data as ArrayLike<unknown>;
	}
	return table.array(name) as ArrayLike<unknown>;
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
