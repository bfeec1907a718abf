/**
 * The report pages' queries and the columns their components use, checked
 * against exported report tables in native DuckDB: a query error or a
 * component naming a column its query lacks fails here in seconds, instead
 * of failing the strict Evidence build minutes later (or silently rendering
 * nothing).
 *
 * Evidence's semantics, as far as the pages use them: ```sql <name> blocks;
 * `${other}` inlines another query as a subquery; `${inputs.x.value}` (or
 * `${inputs.x}`) is the input's defaultValue; tables are `lake.<table>`.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { REPORT_TABLE_NAMES } from "../../runtime/report/contract.ts";

/** Component attributes that name a column of the component's data. */
const COLUMN_PROPS = [
	"x",
	"y",
	"value",
	"series",
	"name",
	"midpoint",
	"intervalBottom",
	"intervalTop",
	"column",
];

export interface PageProblem {
	page: string;
	problem: string;
}

function queriesOf(text: string): Map<string, string> {
	const out = new Map<string, string>();
	for (const m of text.matchAll(/```sql (\w+)\n([\s\S]*?)```/g))
		out.set(m[1], m[2].trim());
	return out;
}

function inputDefaults(text: string): Map<string, string> {
	const out = new Map<string, string>();
	for (const m of text.matchAll(/<(?:Dropdown|TextInput)\b([^>]*)>/g)) {
		const name = /\bname=(\w+)/.exec(m[1])?.[1];
		if (!name) continue;
		out.set(name, /\bdefaultValue="([^"]*)"/.exec(m[1])?.[1] ?? "");
	}
	return out;
}

function resolve(
	sql: string,
	queries: Map<string, string>,
	inputs: Map<string, string>,
	depth = 0,
): string {
	if (depth > 10) throw new Error("query references nest too deep");
	return sql
		.replace(/\$\{inputs\.(\w+)(?:\.value)?\}/g, (_, n) => inputs.get(n) ?? "")
		.replace(/\$\{(\w+)\}/g, (_, n) => {
			const q = queries.get(n);
			if (q === undefined) throw new Error(`unknown query \${${n}}`);
			return `(${resolve(q, queries, inputs, depth + 1)})`;
		});
}

/** Components with `data={query}` and the columns they name (DataTable: its <Column id=…> children). */
function componentColumns(
	text: string,
): Array<{ query: string; column: string; tag: string }> {
	const out: Array<{ query: string; column: string; tag: string }> = [];
	for (const m of text.matchAll(/<(\w+)\b([^>]*?)\bdata=\{(\w+)\}([^>]*)>/g)) {
		const [, tag, before, query, after] = m;
		const attrs = `${before} ${after}`;
		for (const p of COLUMN_PROPS) {
			// An input's `name` is the input's own name, not a column.
			if (p === "name" && (tag === "Dropdown" || tag === "TextInput")) continue;
			const v = new RegExp(`(?:^|\\s)${p}=([A-Za-z_]\\w*)`).exec(attrs)?.[1];
			if (v) out.push({ query, column: v, tag });
		}
		if (tag === "DataTable") {
			const end = text.indexOf("</DataTable>", m.index);
			const body = text.slice(m.index, end);
			for (const c of body.matchAll(/<Column id=(\w+)/g))
				out.push({ query, column: c[1], tag });
		}
	}
	return out;
}

/** Run every page's queries over the exported tables in `dataDir`; the problems found. */
export async function checkPages(
	pagesDir: string,
	dataDir: string,
): Promise<PageProblem[]> {
	const db = await DuckDBInstance.create(":memory:");
	const conn = await db.connect();
	await conn.run("create schema lake");
	for (const t of REPORT_TABLE_NAMES)
		await conn.run(
			`create view lake.${t} as select * from read_parquet('${join(dataDir, `${t}.parquet`)}')`,
		);
	const problems: PageProblem[] = [];
	for (const page of (await readdir(pagesDir)).filter((f) =>
		f.endsWith(".md"),
	)) {
		const text = await readFile(join(pagesDir, page), "utf8");
		const queries = queriesOf(text);
		const inputs = inputDefaults(text);
		const columns = new Map<string, string[]>();
		for (const [name, sql] of queries) {
			try {
				const r = await conn.runAndReadAll(resolve(sql, queries, inputs));
				columns.set(name, r.columnNames());
			} catch (e) {
				problems.push({
					page,
					problem: `query ${name}: ${(e as Error).message}`,
				});
			}
		}
		for (const { query, column, tag } of componentColumns(text)) {
			const cols = columns.get(query);
			if (!queries.has(query))
				problems.push({
					page,
					problem: `<${tag}> uses unknown query ${query}`,
				});
			else if (cols && !cols.includes(column))
				problems.push({
					page,
					problem: `<${tag} data={${query}}> names column ${column}, which the query lacks`,
				});
		}
	}
	conn.closeSync();
	return problems;
}
