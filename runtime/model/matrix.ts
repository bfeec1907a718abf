/**
 * Gold table → model matrix (docs/data-contract.md §6).
 *
 * 1. Fills with a meaning: "never happened" distances become 9999, missing
 *    interaction strings become "no_interaction", missing flags become 0.
 * 2. Preprocessing fitted on training rows only and saved with the model:
 *    median imputation of numerics (+ standardisation for linear models),
 *    one-hot of categoricals with categories unseen at fit time ignored.
 * 3. A finiteness check before any learner sees the matrix: a NaN aborts the
 *    XGBoost WebAssembly process uncatchably (docs/models.md, "Learners").
 */
import { ModelInputError } from "../errors.ts";
import {
	CATEGORICAL_FEATURES,
	FLAG_FEATURES,
	TIER_1B_STRINGS,
} from "../features/feature-sets.ts";
import { type Table, columnValues as tableColumn } from "../io/tables.ts";
import type { Labels, Matrix } from "./types.ts";

export const ID_COLUMN = "customer_id";
export const LABEL_COLUMN = "churn";

/** Distances to an event that never happened: a value far beyond any real one. */
export const NEVER_FILL = 9999;
export const NEVER_FILLED: ReadonlySet<string> = new Set([
	"last_interaction_days_ago",
	"months_since_last_change",
]);

export const NO_INTERACTION = "no_interaction";
export const NO_INTERACTION_FILLED: ReadonlySet<string> = new Set([
	"customer_intent",
	"sentiment_label",
	...TIER_1B_STRINGS,
]);
/** Other categoricals (segment, buckets, channel) have no null by contract; if one appears it is its own level. */
export const MISSING_CATEGORY = "Unknown";

export { FLAG_FEATURES };

export interface NumericStep {
	name: string;
	/** Training median after the fills (0 when the column had no value at all). */
	median: number;
	/** Standardisation (linear models only): (x − mean) / scale. */
	mean?: number;
	scale?: number;
}

export interface CategoricalStep {
	name: string;
	/** Categories seen in training, sorted; one output column each. */
	categories: string[];
}

/** Serialisable preprocessing, fitted on training rows only. */
export interface Preprocessor {
	format: 1;
	features: string[];
	standardize: boolean;
	numeric: NumericStep[];
	categorical: CategoricalStep[];
	/** Output column names, in matrix order: numerics, then `<feature>=<category>`. */
	columns: string[];
}

export interface PreprocessOptions {
	/** Standardise numerics (for logistic regression). */
	standardize?: boolean;
}

/** The values of one column, or a ModelInputError naming it. */
function columnValues(table: Table, name: string): ArrayLike<unknown> {
	if (!table.columnNames().includes(name))
		throw new ModelInputError(`gold table has no column "${name}"`);
	return tableColumn(table, name);
}

export function customerIds(table: Table): string[] {
	return Array.from(columnValues(table, ID_COLUMN), (v) => String(v));
}

function where(column: string, row: number, ids: readonly string[]): string {
	return `column "${column}", row ${row + 1} (customer ${ids[row] ?? "?"})`;
}

/** A numeric feature after its fill; undefined when still missing (to be imputed). */
function numericValue(
	name: string,
	v: unknown,
	row: number,
	ids: readonly string[],
): number | undefined {
	if (v === null || v === undefined) {
		if (NEVER_FILLED.has(name)) return NEVER_FILL;
		if (FLAG_FEATURES.has(name)) return 0;
		return undefined;
	}
	const x =
		typeof v === "number"
			? v
			: typeof v === "boolean"
				? Number(v)
				: typeof v === "bigint"
					? Number(v)
					: Number.NaN;
	if (typeof v === "string" || typeof v === "object")
		throw new ModelInputError(
			`${where(name, row, ids)}: expected a number, got ${JSON.stringify(v)}`,
		);
	// null is the only legitimate "missing"; NaN/Infinity means an upstream bug.
	if (!Number.isFinite(x))
		throw new ModelInputError(
			`${where(name, row, ids)}: value ${x} is not finite`,
		);
	return x;
}

function categoryValue(name: string, v: unknown): string {
	if (v === null || v === undefined)
		return NO_INTERACTION_FILLED.has(name) ? NO_INTERACTION : MISSING_CATEGORY;
	return String(v);
}

function median(sorted: number[]): number {
	const n = sorted.length;
	if (n === 0) return 0;
	return n % 2 === 1
		? sorted[(n - 1) / 2]
		: (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/**
 * Check every row of every feature up front (columns present, numerics
 * numeric and finite or null), so a bad value in the test rows fails the run
 * before minutes of fitting rather than after.
 */
export function checkFeatures(table: Table, features: readonly string[]): void {
	const ids = customerIds(table);
	for (const name of features) {
		const values = columnValues(table, name);
		if (CATEGORICAL_FEATURES.has(name)) continue;
		for (let r = 0; r < values.length; r++)
			numericValue(name, values[r], r, ids);
	}
}

/** Fit the preprocessing on `rows` (training rows) of the gold table. */
export function fitPreprocessor(
	table: Table,
	features: readonly string[],
	rows: readonly number[],
	options: PreprocessOptions = {},
): Preprocessor {
	const ids = customerIds(table);
	const standardize = options.standardize ?? false;
	const numeric: NumericStep[] = [];
	const categorical: CategoricalStep[] = [];
	for (const name of features) {
		const values = columnValues(table, name);
		if (CATEGORICAL_FEATURES.has(name)) {
			const seen = new Set<string>();
			for (const r of rows) seen.add(categoryValue(name, values[r]));
			categorical.push({ name, categories: [...seen].sort() });
			continue;
		}
		const present: number[] = [];
		for (const r of rows) {
			const x = numericValue(name, values[r], r, ids);
			if (x !== undefined) present.push(x);
		}
		const med = median(present.sort((a, b) => a - b));
		const step: NumericStep = { name, median: med };
		if (standardize) {
			// Population std over the imputed column, as sklearn's StandardScaler after SimpleImputer.
			const n = rows.length;
			const missing = n - present.length;
			let sum = med * missing;
			for (const x of present) sum += x;
			const mean = n > 0 ? sum / n : 0;
			let ss = missing * (med - mean) ** 2;
			for (const x of present) ss += (x - mean) ** 2;
			const sd = n > 0 ? Math.sqrt(ss / n) : 0;
			step.mean = mean;
			step.scale = sd > 0 ? sd : 1; // a constant column stays constant (0), as sklearn does
		}
		numeric.push(step);
	}
	const columns = [
		...numeric.map((s) => s.name),
		...categorical.flatMap((c) => c.categories.map((k) => `${c.name}=${k}`)),
	];
	return {
		format: 1,
		features: [...features],
		standardize,
		numeric,
		categorical,
		columns,
	};
}

/**
 * Apply fitted preprocessing to `rows` of a table (default: every row) and
 * check the result is finite. Categories unseen at fit time get all-zero
 * one-hot columns.
 */
export function buildMatrix(
	table: Table,
	pre: Preprocessor,
	rows?: readonly number[],
): Matrix {
	if (pre.format !== 1)
		throw new ModelInputError(`unsupported preprocessor format ${pre.format}`);
	const ids = customerIds(table);
	const idx = rows ?? Array.from({ length: table.numRows() }, (_, i) => i);
	const nRows = idx.length;
	const nCols = pre.columns.length;
	const data = new Float64Array(nRows * nCols);
	let c = 0;
	for (const step of pre.numeric) {
		const values = columnValues(table, step.name);
		const mean = step.mean ?? 0;
		const scale = step.scale ?? 1;
		for (let i = 0; i < nRows; i++) {
			const x =
				numericValue(step.name, values[idx[i]], idx[i], ids) ?? step.median;
			data[i * nCols + c] = (x - mean) / scale;
		}
		c++;
	}
	for (const step of pre.categorical) {
		const values = columnValues(table, step.name);
		const position = new Map(step.categories.map((k, j) => [k, j]));
		for (let i = 0; i < nRows; i++) {
			const j = position.get(categoryValue(step.name, values[idx[i]]));
			if (j !== undefined) data[i * nCols + c + j] = 1;
		}
		c += step.categories.length;
	}
	const matrix: Matrix = {
		rows: nRows,
		cols: nCols,
		data,
		columns: pre.columns,
	};
	assertFinite(
		matrix,
		idx.map((r) => ids[r]),
	);
	return matrix;
}

/** Throw a ModelInputError naming column, row and customer of the first non-finite cell. */
export function assertFinite(matrix: Matrix, rowIds?: readonly string[]): void {
	const { rows, cols, data, columns } = matrix;
	if (data.length !== rows * cols)
		throw new ModelInputError(
			`model matrix has ${data.length} cells, expected ${rows} × ${cols}`,
		);
	for (let k = 0; k < data.length; k++) {
		if (!Number.isFinite(data[k])) {
			const row = Math.floor(k / cols);
			const col = k % cols;
			const who =
				rowIds?.[row] !== undefined ? ` (customer ${rowIds[row]})` : "";
			throw new ModelInputError(
				`model matrix column "${columns[col]}", row ${row + 1}${who}: value ${data[k]} is not finite`,
			);
		}
	}
}

/** The 0/1 churn labels of `rows`; anything else is a ModelInputError naming the row. */
export function labelsOf(table: Table, rows?: readonly number[]): Labels {
	const ids = customerIds(table);
	const values = columnValues(table, LABEL_COLUMN);
	const idx = rows ?? Array.from({ length: table.numRows() }, (_, i) => i);
	const y = new Uint8Array(idx.length);
	idx.forEach((r, i) => {
		const v = Number(values[r]);
		if ((v !== 0 && v !== 1) || values[r] === null)
			throw new ModelInputError(
				`${where(LABEL_COLUMN, r, ids)}: label ${JSON.stringify(values[r])} is not 0 or 1`,
			);
		y[i] = v;
	});
	return y;
}
