/**
 * The fast path of raw validation (docs/data-quality.md, "Raw validation"):
 * a small CSV dataset typed by DuckDB's native reader and written straight to
 * Parquet, under exactly the rules of the JavaScript converters (fields.ts)
 * expressed in SQL. It accepts a file only when every cell passes; on the
 * first doubt — a cell the SQL rejects, a file shape it does not handle the
 * way the JavaScript reader does — it answers `undefined` and the caller runs
 * the JavaScript loader, which then reports the exact problem (file, 1-based
 * row, column, value) or, for a shape the SQL only declined, the same table.
 * The JavaScript loader stays the definition; test/raw-fast-path.test.ts holds
 * the two paths equal.
 */
import { readFile } from "node:fs/promises";
import type { DuckDBConnection } from "@duckdb/node-api";
import { sqlString } from "./duckdb.ts";
import type { FieldSpec } from "./fields.ts";
import {
	DATASETS,
	ELEC_PRICE_COLUMNS,
	type SmallDatasetName,
} from "./schemas.ts";

/**
 * JavaScript's String.prototype.trim() set (WhiteSpace and LineTerminator) as
 * an RE2 class (DuckDB's trim() strips spaces only).
 */
const JS_WHITESPACE = String.raw`[\t\n\v\f\r \x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}]`;
/** fields.ts NUMBER_RE (RE2 reads it the same). */
const NUMBER_RE = String.raw`[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?`;

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
const re = (s: string) => sqlString(s);

/**
 * A column's typed value and whether its cell is *canonical*, as SQL over the
 * text cell `c` (NULL when empty). The fast path only accepts the canonical
 * spelling of each kind — no surrounding whitespace, numbers as NUMBER_RE
 * writes them, flags "0"/"1", dates "YYYY-MM-DD", months "YYYY-MM" — whose
 * typed value is plain to compute; any other spelling, valid or not, is left
 * to the JavaScript converters, which accept or reject it exactly.
 */
export function columnSql(
	c: string,
	spec: FieldSpec,
): { value: string; ok: string } {
	const edgeSpace = `regexp_matches(${c}, ${re(`^${JS_WHITESPACE}|${JS_WHITESPACE}$`)})`;
	const whenNull = spec.required ? "false" : "true";
	const nullable = (value: string, ok: string) => ({
		value,
		ok: `CASE WHEN ${c} IS NULL THEN ${whenNull} ELSE coalesce(${ok}, false) END`,
	});
	switch (spec.kind) {
		case "id":
			// An empty id is absorbed (the loader drops and counts the row).
			return {
				value: `coalesce(${c}, '')`,
				ok: `${c} IS NULL OR NOT ${edgeSpace}`,
			};
		case "trimmed":
			return nullable(c, `NOT ${edgeSpace}`);
		case "string":
			// Kept as written, but an all-whitespace cell is blank (null) in the JavaScript rule.
			return nullable(
				`CASE WHEN regexp_full_match(${c}, ${re(`${JS_WHITESPACE}+`)}) THEN NULL ELSE ${c} END`,
				"true",
			);
		case "number": {
			// A spelling the regex accepts but DOUBLE cannot hold (1e400) goes to JavaScript.
			const v = `TRY_CAST(${c} AS DOUBLE)`;
			return nullable(
				v,
				`regexp_full_match(${c}, ${re(NUMBER_RE)}) AND isfinite(${v})`,
			);
		}
		case "flag":
			return nullable(`TRY_CAST(${c} AS DOUBLE)`, `${c} IN ('0', '1')`);
		case "date":
			// Years below 100 are invalid in the JavaScript rule (Date.UTC maps them to 19xx).
			return nullable(
				c,
				`regexp_full_match(${c}, ${re(String.raw`\d{4}-\d{2}-\d{2}`)}) AND ${c} >= '0100' AND TRY_CAST(${c} AS DATE) IS NOT NULL`,
			);
		case "month":
			return nullable(
				c,
				`regexp_full_match(${c}, ${re(String.raw`\d{4}-(0[1-9]|1[0-2])`)})`,
			);
	}
}

/**
 * Whether the file is a plain CSV the fast path reads exactly as the
 * JavaScript reader does: uncompressed, no quote character (so no quoted
 * fields to interpret), no carriage return outside a CRLF line end.
 */
export async function isPlainCsv(file: string): Promise<boolean> {
	if (!file.endsWith(".csv")) return false;
	const bytes = await readFile(file);
	if (bytes.indexOf(0x22) >= 0) return false;
	for (let i = bytes.indexOf(0x0d); i >= 0; i = bytes.indexOf(0x0d, i + 1))
		if (bytes[i + 1] !== 0x0a) return false;
	return true;
}

export interface FastPathResult {
	rows: number;
	faults: Record<string, number>;
}

/**
 * Type the dataset's CSV with DuckDB and write it as Parquet to `out`
 * (strings VARCHAR, numbers and flags DOUBLE). `undefined` when the file needs
 * the JavaScript loader; nothing is written then.
 */
export async function stageCsvFast(
	con: DuckDBConnection,
	name: SmallDatasetName,
	file: string,
	out: string,
): Promise<FastPathResult | undefined> {
	const spec = DATASETS[name];
	if (!(await isPlainCsv(file))) return undefined;
	const view = `raw_${name}`;
	const table = `text_${name}`;
	try {
		// All text, no quoting, every row exactly as many fields as the header.
		await con.run(
			`CREATE OR REPLACE TEMP VIEW ${view} AS SELECT * FROM read_csv(${sqlString(file)},
				header = true, all_varchar = true, delim = ',', quote = '', escape = '',
				auto_detect = true, sample_size = 1, null_padding = false, strict_mode = true)`,
		);
		const header = (
			await con.runAndReadAll(`DESCRIBE ${view}`)
		).getColumnsObjectJS().column_name as string[];
		const columns = Object.keys(spec.columns);
		if (!columns.every((c) => header.includes(c))) return undefined;

		const typed = columns.map((c) => ({
			c,
			...columnSql(ident(c), spec.columns[c]),
		}));
		// The text once into memory (required columns only); the checks and the write read it.
		await con.run(
			`CREATE OR REPLACE TEMP TABLE ${table} AS SELECT ${columns.map(ident).join(", ")} FROM ${view}`,
		);
		const id = typed.find((t) => t.c === "customer_id")?.value;
		const gaps = name === "price_history" ? priceGapSql(id ?? "''") : "";
		// One count per column: a chain of ANDs over every cell is slower.
		const checks = (
			await con.runAndReadAll(
				`SELECT count(*)::DOUBLE AS n,
					(${typed.map((t) => `count_if(NOT (${t.ok}))`).join(" + ")})::DOUBLE AS bad,
					${id ? `count_if(${id} = '')::DOUBLE` : "0::DOUBLE"} AS empty_ids,
					${name === "churn_label" ? `(count(*) - count(DISTINCT ${id}))::DOUBLE` : "0::DOUBLE"} AS dup_ids
					${gaps}
				FROM ${table}`,
			)
		).getRowObjectsJS()[0] as Record<string, number>;
		const n = Number(checks.n);
		const emptyIds = Number(checks.empty_ids);
		if (Number(checks.bad) > 0) return undefined;
		if (n === 0 && !spec.allowNoRows) return undefined;
		// churn_label: an empty or repeated id is an error the JavaScript loader words.
		if (name === "churn_label" && (emptyIds > 0 || Number(checks.dup_ids) > 0))
			return undefined;

		// Rows with an empty id are dropped and counted (churn_label has none here).
		const keep = id ? `WHERE ${id} <> ''` : "";
		await con.run(
			`COPY (SELECT ${typed.map((t) => `${t.value} AS ${ident(t.c)}`).join(", ")} FROM ${table} ${keep})
			TO ${sqlString(out)} (FORMAT parquet)`,
		);
		const faults: Record<string, number> = {};
		if (emptyIds > 0)
			faults[`${spec.faultPrefix}_rows_empty_customer_id`] = emptyIds;
		if (Number(checks.zero) > 0)
			faults.price_elec_values_zero = Number(checks.zero);
		if (Number(checks.missing) > 0)
			faults.price_values_missing = Number(checks.missing);
		return { rows: n - emptyIds, faults };
	} catch {
		// DuckDB refused the file's shape (a short row, a bad header…): JavaScript words it.
		return undefined;
	} finally {
		await con.run(`DROP TABLE IF EXISTS ${table}; DROP VIEW IF EXISTS ${view}`);
	}
}

/** The price gaps the JavaScript loader counts (load-batch.ts countPriceGaps), over rows with an id. */
function priceGapSql(id: string): string {
	const columns = DATASETS.price_history.columns;
	const value = (c: string) => columnSql(ident(c), columns[c]).value;
	const kept = (cond: string) => `count_if(${id} <> '' AND ${cond})`;
	const numbers = Object.keys(columns).filter(
		(c) => columns[c].kind === "number",
	);
	return `, (${numbers.map((c) => kept(`${value(c)} IS NULL`)).join(" + ")})::DOUBLE AS missing,
		(${ELEC_PRICE_COLUMNS.map((c) => kept(`${value(c)} = 0`)).join(" + ")})::DOUBLE AS zero`;
}
