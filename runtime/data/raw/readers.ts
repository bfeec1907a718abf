/**
 * Format readers for the small datasets: CSV (optionally gzip) and JSON
 * arrays of records. They only split the file into cells and give the loader
 * column-wise access to them (data row i + 1 is index i); typing happens in
 * the loader, one column at a time.
 */
import { readFile } from "node:fs/promises";
import { gunzipSync } from "node:zlib";
import { CsvError, parse } from "csv-parse/sync";
import { RawContractError } from "../../errors.ts";

export interface RawRecords {
	file: string;
	format: "csv" | "json";
	/** Column names present in the file (CSV header, or keys of the JSON records). */
	columns: string[];
	/** Data rows (CSV) or records (JSON). */
	length: number;
	/** The cells of one column: `cell(i)` is data row i + 1; undefined where a JSON record lacks the field. */
	column(name: string): (i: number) => unknown;
	/** JSON: whether record i has the field at all (a CSV row always has every header column). */
	has(name: string): (i: number) => boolean;
}

async function readText(file: string): Promise<string> {
	let bytes: Buffer;
	try {
		bytes = await readFile(file);
	} catch (e) {
		throw new RawContractError(
			{ file },
			`cannot read file (${(e as NodeJS.ErrnoException).code ?? e})`,
		);
	}
	if (file.endsWith(".gz")) {
		try {
			bytes = gunzipSync(bytes);
		} catch {
			throw new RawContractError({ file }, "not a valid gzip file");
		}
	}
	const text = bytes.toString("utf8");
	if (text.trim() === "") throw new RawContractError({ file }, "empty file");
	return text;
}

/**
 * The contract's CSVs are comma-separated and have several columns; a header
 * without a comma but with another delimiter is a wrongly exported file, which
 * would otherwise surface as a confusing "missing column" or quoting error.
 */
function checkDelimiter(file: string, text: string): void {
	const end = text.indexOf("\n");
	const header = (end < 0 ? text : text.slice(0, end)).replace(/^\uFEFF/, "");
	if (header.includes(",")) return;
	const other = [";", "\t", "|"].find((d) => header.includes(d));
	if (other)
		throw new RawContractError(
			{ file },
			`the header ${JSON.stringify(header.trim())} parses as one column: the file seems delimited by ${JSON.stringify(other)}, the contract expects ","`,
		);
}

export async function readCsvRecords(file: string): Promise<RawRecords> {
	const text = await readText(file);
	checkDelimiter(file, text);
	const rows = text.includes('"')
		? parseQuotedCsv(file, text)
		: splitPlainCsv(text);
	const [header, ...data] = rows;
	if (!header) throw new RawContractError({ file }, "empty file");
	const columns = header.map((h) => h.trim());
	data.forEach((cells, i) => {
		if (cells.length < columns.length)
			throw new RawContractError(
				{ file, row: i + 1, column: columns[cells.length] },
				`row has ${cells.length} fields, header has ${columns.length}`,
			);
	});
	const always = () => true;
	return {
		file,
		format: "csv",
		columns,
		length: data.length,
		column(name) {
			const c = columns.indexOf(name);
			return (i) => data[i][c];
		},
		has: () => always,
	};
}

/**
 * Without a quote character a CSV cannot hold quoted fields, so splitting on
 * line breaks and commas is exact, and several times faster than the general
 * parser on the 240 k-row price history.
 */
function splitPlainCsv(text: string): string[][] {
	const rows: string[][] = [];
	for (const line of text.replace(/^\uFEFF/, "").split("\n")) {
		const l = line.endsWith("\r") ? line.slice(0, -1) : line;
		if (l.trim() !== "") rows.push(l.split(","));
	}
	return rows;
}

function parseQuotedCsv(file: string, text: string): string[][] {
	try {
		return parse(text, {
			bom: true,
			relax_column_count: true,
			skip_empty_lines: true,
		});
	} catch (e) {
		if (e instanceof CsvError) {
			const line = (e as CsvError & { lines?: number }).lines;
			throw new RawContractError(
				{ file, row: line !== undefined ? Math.max(line - 1, 1) : undefined },
				`malformed CSV: ${e.message}`,
			);
		}
		throw e;
	}
}

export async function readJsonRecords(file: string): Promise<RawRecords> {
	const text = await readText(file);
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch (e) {
		throw new RawContractError(
			{ file },
			`invalid JSON: ${(e as Error).message}`,
		);
	}
	if (!Array.isArray(value))
		throw new RawContractError(
			{ file },
			"wrong type: expected a JSON array of records",
		);
	const columns = new Set<string>();
	value.forEach((rec, i) => {
		if (rec === null || typeof rec !== "object" || Array.isArray(rec))
			throw new RawContractError(
				{ file, row: i + 1 },
				`wrong type: expected a record, got ${JSON.stringify(rec)}`,
			);
		for (const k of Object.keys(rec)) columns.add(k);
	});
	const records = value as Record<string, unknown>[];
	return {
		file,
		format: "json",
		columns: [...columns],
		length: records.length,
		column: (name) => (i) => records[i][name],
		has: (name) => (i) => name in records[i],
	};
}
