/**
 * Data-quality contracts (docs/data-quality.md): every table declares its
 * columns, types, key, allowed null rate and value ranges, each rule with the
 * domain reason it holds; `checkTable` turns a table into a per-table report.
 * Errors stop the run (DataQualityError), warnings are recorded.
 *
 * Null allowances are either domain facts (a number: 1 where a value is
 * legitimately absent, 0 where it always exists) or a judgement — how much of
 * a faulty extract is absorbed — named by a tolerance that the run sets
 * (`QualityTolerances`, CLI flags of `run`).
 */
import type { QualityViolation } from "../errors.ts";
import { columnValues, type Table } from "../io/tables.ts";

export type ColumnType =
	| "string"
	| "number"
	| "integer"
	| "flag"
	| "date"
	| "month";

/**
 * The judgement thresholds of the contracts, set per run (execution input
 * `quality`, CLI `--max-invalid-share`, `--max-imputed-price-share`,
 * `--max-invalid-hourly-share`).
 */
export interface QualityTolerances {
	/**
	 * Largest share of a table's rows that may lack a value the domain says
	 * exists (a customer without attributes, contract or consumption, a month
	 * without a cost row): absorbed and counted up to it, a broken extract beyond.
	 */
	maxInvalidShare: number;
	/**
	 * Largest share of customer-months whose electricity price is missing
	 * before silver imputes it: imputation stands on the real prices around it.
	 */
	maxImputedPriceShare: number;
	/**
	 * Largest share of hourly consumption rows dropped for an unparsable or
	 * out-of-year timestamp or an unparsable reading: beyond it the run fails
	 * naming the file and the first such rows (InvalidHourlyRowsError).
	 */
	maxInvalidHourlyShare: number;
}
export type ToleranceName = keyof QualityTolerances;

/** Defaults (docs/data-quality.md): 1 % faulty rows, 10 % imputed prices, 0.1 % dropped hourly rows. */
export const DEFAULT_TOLERANCES: Readonly<QualityTolerances> = Object.freeze({
	maxInvalidShare: 0.01,
	maxImputedPriceShare: 0.1,
	maxInvalidHourlyShare: 0.001,
});

/** Validates tolerances from an execution input or the CLI: each a share in [0, 1]. */
export function resolveTolerances(
	t: Partial<QualityTolerances> | undefined,
): QualityTolerances {
	const out = { ...DEFAULT_TOLERANCES, ...t };
	for (const [k, v] of Object.entries(out))
		if (typeof v !== "number" || !(v >= 0 && v <= 1))
			throw new RangeError(
				`quality tolerance ${k} must be a share in [0, 1], got ${v}`,
			);
	return out;
}

export interface ColumnContract {
	name: string;
	type: ColumnType;
	/** Largest allowed share of nulls (0..1), or the run tolerance that sets it. Default 0. */
	maxNullRate?: number | ToleranceName;
	/** Why the column's rules hold in the domain, in one line (shown with a violation). */
	reason: string;
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
	/** Why the key is unique in the domain, in one line (required with a key). */
	keyReason?: string;
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

/** The null allowance of a column under the run's tolerances. */
export function maxNullRateOf(
	col: ColumnContract,
	tolerances: QualityTolerances = DEFAULT_TOLERANCES,
): number {
	const m = col.maxNullRate ?? 0;
	return typeof m === "number" ? m : tolerances[m];
}

/**
 * A share rule over whole entities that a column rule cannot see (e.g.
 * customers without any consumption row): an error when `count / total`
 * exceeds the tolerance.
 */
export function shareViolation(
	table: string,
	rule: string,
	count: number,
	total: number,
	maxShare: number,
	what: string,
	reason: string,
): QualityViolation | undefined {
	const share = total === 0 ? 0 : count / total;
	if (share <= maxShare) return undefined;
	return {
		table,
		rule,
		severity: "error",
		detail: `${count} of ${total} ${what} (${(share * 100).toFixed(2)}%) exceeds ${(maxShare * 100).toFixed(2)}%`,
		reason,
	};
}

/** Check a table against its contract. Never throws; `extra` adds rules checked elsewhere. */
export function checkTable(
	contract: TableContract,
	table: Table,
	tolerances: QualityTolerances = DEFAULT_TOLERANCES,
	extra: readonly QualityViolation[] = [],
): QualityReport {
	const rows = table.numRows();
	const violations: QualityViolation[] = [];
	const add = (
		rule: string,
		detail: string,
		column?: string,
		severity: "error" | "warning" = "error",
		reason?: string,
	) =>
		violations.push({
			table: contract.table,
			rule,
			column,
			severity,
			detail,
			...(reason ? { reason } : {}),
		});
	const present = new Set(table.columnNames());
	if (contract.minRows !== undefined && rows < contract.minRows)
		add("min_rows", `${rows} rows, expected at least ${contract.minRows}`);

	const profiles: ColumnProfile[] = [];
	for (const col of contract.columns) {
		if (!present.has(col.name)) {
			add("column_present", "missing column", col.name);
			continue;
		}
		const maxNullRate = maxNullRateOf(col, tolerances);
		const values = columnValues(table, col.name);
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
		if (nullRate > maxNullRate)
			add(
				"null_rate",
				`null rate ${(nullRate * 100).toFixed(2)}% (${nulls} of ${rows}) exceeds ${(maxNullRate * 100).toFixed(2)}%${typeof col.maxNullRate === "string" ? ` (${col.maxNullRate})` : ""}`,
				col.name,
				"error",
				col.reason,
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
				col.reason,
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
		const cols = contract.key.map((k) => columnValues(table, k));
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
				undefined,
				"error",
				contract.keyReason,
			);
	}
	violations.push(...extra);

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
