/**
 * Format readers for the small datasets: CSV (optionally gzip) and JSON
 * arrays of records. They only split the file into records keyed by column
 * name, with the 1-based data row each came from; typing happens in the
 * loader against the zod schemas.
 */
import { readFile } from "node:fs/promises";
import { gunzipSync } from "node:zlib";
import { CsvError, parse } from "csv-parse/sync";
import { RawContractError } from "../../errors.ts";

export interface RawRecords {
	file: string;
	/** Column names present in the file (CSV header, or keys of the JSON records). */
	columns: string[];
	/** One object per data row, index i = data row i + 1. */
	records: Record<string, unknown>[];
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

export async function readCsvRecords(file: string): Promise<RawRecords> {
	const text = await readText(file);
	const rows = text.includes('"')
		? parseQuotedCsv(file, text)
		: splitPlainCsv(text);
	const [header, ...data] = rows;
	if (!header) throw new RawContractError({ file }, "empty file");
	const columns = header.map((h) => h.trim());
	const records = data.map((cells, i) => {
		if (cells.length < columns.length)
			throw new RawContractError(
				{ file, row: i + 1, column: columns[cells.length] },
				`row has ${cells.length} fields, header has ${columns.length}`,
			);
		const rec: Record<string, unknown> = {};
		for (let c = 0; c < columns.length; c++) rec[columns[c]] = cells[c];
		return rec;
	});
	return { file, columns, records };
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
	return {
		file,
		columns: [...columns],
		records: value as Record<string, unknown>[],
	};
}
