/**
 * Data-quality contracts (DATA_SPEC §7): every table declares its columns,
 * types, key, allowed null rate and value ranges; `checkTable` turns a table
 * into a per-table report. Errors stop the run (DataQualityError), warnings
 * are recorded.
 */
import type { QualityViolation } from "../errors.ts";
import type { Table } from "../io/tables.ts";

export type ColumnType =
	| "string"
	| "number"
	| "integer"
	| "flag"
	| "date"
	| "month";

export interface ColumnContract {
	name: string;
	type: ColumnType;
	/** Largest allowed share of nulls (0..1). Default 0. */
	maxNullRate?: number;
	min?: number;
	max?: number;
	/** Allowed values for strings. */
	allowed?: readonly string[];
	/** Severity of a range/allowed violation (type and presence are always errors). Default "error". */
	severity?: "error" | "warning";
}

export interface TableContract {
	table: string;
	key?: readonly string[];
	minRows?: number;
	columns: readonly ColumnContract[];
}

export interface ColumnProfile {
	name: string;
	nulls: number;
	nullRate: number;
	min?: number;
	max?: number;
	distinct?: number;
}

export interface QualityReport {
	table: string;
	rows: number;
	passed: boolean;
	errors: number;
	warnings: number;
	violations: QualityViolation[];
	columns: ColumnProfile[];
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const MONTH_RE = /^\d{4}-\d{2}$/;

function typeOk(type: ColumnType, v: unknown): boolean {
	switch (type) {
		case "string":
			return typeof v === "string";
		case "number":
			return typeof v === "number" && Number.isFinite(v);
		case "integer":
			return typeof v === "number" && Number.isInteger(v);
		case "flag":
			return v === 0 || v === 1;
		case "date":
			return typeof v === "string" && DATE_RE.test(v);
		case "month":
			return typeof v === "string" && MONTH_RE.test(v);
	}
}

/** Check a table against its contract. Never throws; see `assertQuality`. */
export function checkTable(
	contract: TableContract,
	table: Table,
): QualityReport {
	const rows = table.numRows();
	const violations: QualityViolation[] = [];
	const add = (
		rule: string,
		detail: string,
		column?: string,
		severity: "error" | "warning" = "error",
	) =>
		violations.push({ table: contract.table, rule, column, severity, detail });
	const present = new Set(table.columnNames());
	if (contract.minRows !== undefined && rows < contract.minRows)
		add("min_rows", `${rows} rows, expected at least ${contract.minRows}`);

	const profiles: ColumnProfile[] = [];
	for (const col of contract.columns) {
		if (!present.has(col.name)) {
			add("column_present", "missing column", col.name);
			continue;
		}
		const values = table.array(col.name) as ArrayLike<unknown>;
		let nulls = 0;
		let badType = 0;
		let firstBad: { row: number; value: unknown } | undefined;
		let outOfRange = 0;
		let min = Number.POSITIVE_INFINITY;
		let max = Number.NEGATIVE_INFINITY;
		const distinct = col.type === "string" ? new Set<unknown>() : undefined;
		const allowed = col.allowed ? new Set(col.allowed) : undefined;
		for (let i = 0; i < values.length; i++) {
			const v = values[i];
			if (
				v === null ||
				v === undefined ||
				(typeof v === "number" && Number.isNaN(v))
			) {
				nulls++;
				continue;
			}
			if (!typeOk(col.type, v)) {
				badType++;
				firstBad ??= { row: i + 1, value: v };
				continue;
			}
			if (typeof v === "number") {
				if (v < min) min = v;
				if (v > max) max = v;
				if (
					(col.min !== undefined && v < col.min) ||
					(col.max !== undefined && v > col.max)
				)
					outOfRange++;
			} else {
				distinct?.add(v);
				if (allowed && !allowed.has(v as string)) outOfRange++;
			}
		}
		const nullRate = rows === 0 ? 0 : nulls / rows;
		if (badType > 0)
			add(
				"type",
				`${badType} values are not ${col.type} (first at row ${firstBad?.row}: ${JSON.stringify(firstBad?.value)})`,
				col.name,
			);
		if (nullRate > (col.maxNullRate ?? 0))
			add(
				"null_rate",
				`null rate ${(nullRate * 100).toFixed(2)}% exceeds ${((col.maxNullRate ?? 0) * 100).toFixed(2)}%`,
				col.name,
			);
		if (outOfRange > 0) {
			const what = col.allowed
				? `not in {${col.allowed.join(", ")}}`
				: `outside [${col.min ?? "-inf"}, ${col.max ?? "inf"}]`;
			add(
				"range",
				`${outOfRange} values ${what}`,
				col.name,
				col.severity ?? "error",
			);
		}
		profiles.push({
			name: col.name,
			nulls,
			nullRate,
			...(Number.isFinite(min) ? { min, max } : {}),
			...(distinct ? { distinct: distinct.size } : {}),
		});
	}

	if (contract.key?.every((k) => present.has(k))) {
		const cols = contract.key.map((k) => table.array(k) as ArrayLike<unknown>);
		const seen = new Set<string>();
		let dups = 0;
		for (let i = 0; i < rows; i++) {
			const key = cols.map((c) => String(c[i])).join("\u0000");
			if (seen.has(key)) dups++;
			else seen.add(key);
		}
		if (dups > 0)
			add(
				"key_unique",
				`${dups} duplicate keys on (${contract.key.join(", ")})`,
			);
	}

	const errors = violations.filter((v) => v.severity === "error").length;
	return {
		table: contract.table,
		rows,
		passed: errors === 0,
		errors,
		warnings: violations.length - errors,
		violations,
		columns: profiles,
	};
}
