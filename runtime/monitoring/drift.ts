/**
 * Distribution drift (DATA_SPEC §7): a two-sample Kolmogorov–Smirnov test
 * (scipy's ks_2samp, ks.ts) per numeric model feature and on churn_proba,
 * reference = the population the champion was trained on, current = this
 * batch. Drifted when p < alpha (0.01).
 *
 * Categorical features (CATEGORICAL_FEATURES) are not tested: KS needs an
 * order. Nulls are dropped per feature and side, so interaction fields that
 * are legitimately null for ~68% of customers compare their observed values;
 * a feature with no value on one side is reported, not drifted, with a reason.
 */
import { table as makeTable } from "arquero";
import { DataQualityError, ModelInputError } from "../errors.ts";
import { CATEGORICAL_FEATURES } from "../features/feature-sets.ts";
import type { Table } from "../io/tables.ts";
import { ks2samp } from "./ks.ts";

export const PREDICTION_COLUMN = "churn_proba";
export const DEFAULT_DRIFT_ALPHA = 0.01;
/** Table names used in error reports. */
export const REFERENCE_TABLE = "drift_reference";
export const CURRENT_TABLE = "drift_current";

export interface DriftFeatureResult {
	feature: string;
	/** KS statistic D; NaN when the test could not run (see `reason`). */
	statistic: number;
	/** KS p-value; NaN when the test could not run (see `reason`). */
	pvalue: number;
	/** How the p-value was computed; "none" when the test could not run. */
	method: "exact" | "asymp" | "none";
	drifted: boolean;
	/** Non-null values compared on each side. */
	referenceSize: number;
	currentSize: number;
	referenceMean: number | null;
	currentMean: number | null;
	/** Why the test was not run (e.g. no value on one side). */
	reason?: string;
}

export interface DriftReport {
	alpha: number;
	features: DriftFeatureResult[];
	prediction?: DriftFeatureResult;
	driftedFeatures: string[];
	/** Any feature or the prediction drifted. */
	anyDrift: boolean;
}

export interface DriftOptions {
	/** Model features; categorical ones are skipped. */
	features: readonly string[];
	/** Column holding the scored probability in both tables (usually "churn_proba"). */
	predictionColumn?: string;
	/** Significance level; drifted when p < alpha. Default 0.01. */
	alpha?: number;
}

/** The features KS applies to: the numeric ones, once each, in the given order. */
export function numericFeatures(features: readonly string[]): string[] {
	return [...new Set(features)].filter((f) => !CATEGORICAL_FEATURES.has(f));
}

function qualityError(
	table: string,
	column: string,
	rule: string,
	detail: string,
): DataQualityError {
	return new DataQualityError([
		{ table, column, rule, severity: "error", detail },
	]);
}

/** A cell as a number: null/undefined/NaN → null; booleans → 0/1; bigint → number; anything else is an error. */
function toNumber(
	v: unknown,
	table: string,
	column: string,
	row: number,
): number | null {
	if (v === null || v === undefined) return null;
	if (typeof v === "number") return Number.isNaN(v) ? null : v;
	if (typeof v === "boolean") return v ? 1 : 0;
	if (typeof v === "bigint") return Number(v);
	throw qualityError(
		table,
		column,
		"numeric",
		`row ${row} holds ${JSON.stringify(v)}, expected a number`,
	);
}

function columnCells(
	t: Table,
	table: string,
	column: string,
): ArrayLike<unknown> {
	if (!t.columnNames().includes(column))
		throw qualityError(
			table,
			column,
			"column_present",
			`column "${column}" is missing`,
		);
	return t.array(column) as ArrayLike<unknown>;
}

interface ObservedValues {
	values: Float64Array;
	mean: number | null;
}

/** The non-null values of a numeric column and their mean. */
function observed(t: Table, table: string, column: string): ObservedValues {
	const cells = columnCells(t, table, column);
	const values = new Float64Array(cells.length);
	let n = 0;
	let sum = 0;
	for (let i = 0; i < cells.length; i++) {
		const v = toNumber(cells[i], table, column, i + 1);
		if (v === null) continue;
		values[n++] = v;
		sum += v;
	}
	return { values: values.subarray(0, n), mean: n > 0 ? sum / n : null };
}

function compare(
	feature: string,
	reference: Table,
	current: Table,
	alpha: number,
): DriftFeatureResult {
	const ref = observed(reference, REFERENCE_TABLE, feature);
	const cur = observed(current, CURRENT_TABLE, feature);
	const base = {
		feature,
		referenceSize: ref.values.length,
		currentSize: cur.values.length,
		referenceMean: ref.mean,
		currentMean: cur.mean,
	};
	const empty = [
		ref.values.length === 0 ? "reference" : "",
		cur.values.length === 0 ? "current" : "",
	].filter(Boolean);
	if (empty.length > 0) {
		return {
			...base,
			statistic: Number.NaN,
			pvalue: Number.NaN,
			method: "none",
			drifted: false,
			reason: `no non-null value in the ${empty.join(" and ")} data`,
		};
	}
	const ks = ks2samp(ref.values, cur.values);
	return {
		...base,
		statistic: ks.statistic,
		pvalue: ks.pvalue,
		method: ks.method,
		drifted: ks.pvalue < alpha,
	};
}

/** KS drift of every numeric feature (and the prediction) between a reference and the current batch. */
export function driftReport(
	reference: Table,
	current: Table,
	opts: DriftOptions,
): DriftReport {
	const alpha = opts.alpha ?? DEFAULT_DRIFT_ALPHA;
	if (!(alpha > 0 && alpha < 1))
		throw new RangeError(`drift alpha must be in (0, 1), got ${alpha}`);
	const features = numericFeatures(opts.features).map((f) =>
		compare(f, reference, current, alpha),
	);
	const prediction =
		opts.predictionColumn !== undefined
			? compare(opts.predictionColumn, reference, current, alpha)
			: undefined;
	const driftedFeatures = features
		.filter((f) => f.drifted)
		.map((f) => f.feature);
	return {
		alpha,
		features,
		...(prediction ? { prediction } : {}),
		driftedFeatures,
		anyDrift: driftedFeatures.length > 0 || prediction?.drifted === true,
	};
}

/**
 * The reference a trained model is saved with: the numeric features of its
 * training population (nulls kept as null) plus, when given, the scores as
 * `churn_proba` (one per gold row, on the same scale as scoring outputs).
 */
export function driftReference(
	gold: Table,
	features: readonly string[],
	scores?: Float64Array,
): Table {
	const columns: Record<string, ArrayLike<number | null>> = {};
	for (const f of numericFeatures(features)) {
		const cells = columnCells(gold, REFERENCE_TABLE, f);
		const out: Array<number | null> = new Array(cells.length);
		for (let i = 0; i < cells.length; i++)
			out[i] = toNumber(cells[i], REFERENCE_TABLE, f, i + 1);
		columns[f] = out;
	}
	if (scores !== undefined) {
		if (scores.length !== gold.numRows())
			throw new ModelInputError(
				`drift reference: ${scores.length} scores for ${gold.numRows()} gold rows`,
			);
		const bad = scores.findIndex((s) => !Number.isFinite(s));
		if (bad >= 0)
			throw new ModelInputError(
				`drift reference: score at row ${bad + 1} is ${scores[bad]}, not finite`,
			);
		columns[PREDICTION_COLUMN] = scores;
	}
	return makeTable(columns) as Table;
}
