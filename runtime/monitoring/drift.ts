/**
 * Distribution drift of the model's inputs and output (docs/drift.md):
 * reference = the population the champion was trained on, current = this
 * batch. The test follows the feature's type:
 *
 * - continuous (numeric, not a flag) and the prediction: two-sample
 *   Kolmogorov–Smirnov (scipy's ks_2samp, ks.ts), effect size = Wasserstein
 *   distance in reference standard deviations;
 * - binary (FLAG_FEATURES) and categorical (CATEGORICAL_FEATURES): Pearson's
 *   chi-square test of homogeneity (chi-square.ts), effect size =
 *   Jensen–Shannon distance of the category shares;
 * - the population stability index is reported for every feature.
 *
 * A feature drifts when the shift is both significant (p < alpha) and large
 * (effect ≥ its threshold): at tens of thousands of rows a p-value alone
 * flags shifts too small to matter. Defaults (DEFAULT_DRIFT_THRESHOLDS) follow
 * Evidently; every threshold can be set through `DriftOptions.thresholds`.
 *
 * Nulls are dropped per feature and side, so interaction fields that are
 * legitimately null for most customers compare their observed values; a
 * feature with no value on one side is reported, not drifted, with a reason.
 * A categorical feature missing from a reference written before categorical
 * features were checked is reported the same way (older models keep working).
 */
import { table as makeTable } from "arquero";
import { DataQualityError, ModelInputError } from "../errors.ts";
import {
	CATEGORICAL_FEATURES,
	FLAG_FEATURES,
} from "../features/feature-sets.ts";
import type { Table } from "../io/tables.ts";
import { chiSquareHomogeneity } from "./chi-square.ts";
import { jensenShannon, normedWasserstein, psi } from "./effect-size.ts";
import { ks2samp } from "./ks.ts";

export const PREDICTION_COLUMN = "churn_proba";
export const DEFAULT_DRIFT_ALPHA = 0.01;
/** Table names used in error reports. */
export const REFERENCE_TABLE = "drift_reference";
export const CURRENT_TABLE = "drift_current";

export type FeatureType = "continuous" | "binary" | "categorical";
export type EffectMetric = "wasserstein_normed" | "jensen_shannon";

export interface DriftThresholds {
	/** Significance level: a shift is significant when p < alpha. */
	alpha: number;
	/** Minimum normed Wasserstein distance for a continuous feature to drift. */
	wasserstein: number;
	/** Minimum Jensen–Shannon distance for a binary or categorical feature to drift. */
	jensenShannon: number;
}

/** alpha 0.01 (this project's choice, stricter than Evidently's 0.05); effect thresholds are Evidently's 0.1. */
export const DEFAULT_DRIFT_THRESHOLDS: Readonly<DriftThresholds> = {
	alpha: DEFAULT_DRIFT_ALPHA,
	wasserstein: 0.1,
	jensenShannon: 0.1,
};

export interface DriftFeatureResult {
	feature: string;
	featureType: FeatureType;
	/** The test run: KS for continuous, chi-square otherwise; "none" when it could not run. */
	test: "ks" | "chi2" | "none";
	/** KS D or the chi-square statistic; NaN when the test could not run (see `reason`). */
	statistic: number;
	/** The test's p-value; NaN when the test could not run (see `reason`). */
	pvalue: number;
	/** How the p-value was computed: KS exact/asymptotic, the chi-square distribution, or "none". */
	method: "exact" | "asymp" | "chi2" | "none";
	/** Degrees of freedom of the chi-square test (categories − 1). */
	dof?: number;
	effectMetric: EffectMetric;
	/** Normed Wasserstein or Jensen–Shannon distance; NaN when the test could not run. */
	effectSize: number;
	/** Population stability index (categories, or the reference's decile bins). */
	psi: number;
	/** p < alpha. */
	significant: boolean;
	/** effectSize ≥ the effect threshold of the feature's type. */
	large: boolean;
	/** significant and large. */
	drifted: boolean;
	/** Non-null values compared on each side. */
	referenceSize: number;
	currentSize: number;
	/** Mean of the values (for a flag: the share of 1s); null for categorical features. */
	referenceMean: number | null;
	currentMean: number | null;
	/** Why the test was not run (e.g. no value on one side). */
	reason?: string;
}

export interface DriftReport {
	/** thresholds.alpha, kept at the top for existing readers. */
	alpha: number;
	thresholds: DriftThresholds;
	features: DriftFeatureResult[];
	prediction?: DriftFeatureResult;
	driftedFeatures: string[];
	/** Any feature or the prediction drifted. */
	anyDrift: boolean;
}

export interface DriftOptions {
	/** Model features (each tested once, by type). */
	features: readonly string[];
	/** Column holding the scored probability in both tables (usually "churn_proba"). */
	predictionColumn?: string;
	/** Significance level; same as thresholds.alpha (thresholds wins). Default 0.01. */
	alpha?: number;
	/** Overrides of DEFAULT_DRIFT_THRESHOLDS. */
	thresholds?: Partial<DriftThresholds>;
}

/** The type that decides a feature's test (the prediction is continuous). */
export function featureType(feature: string): FeatureType {
	if (CATEGORICAL_FEATURES.has(feature)) return "categorical";
	if (FLAG_FEATURES.has(feature)) return "binary";
	return "continuous";
}

/** The numeric (continuous and binary) features, once each, in the given order. */
export function numericFeatures(features: readonly string[]): string[] {
	return [...new Set(features)].filter((f) => !CATEGORICAL_FEATURES.has(f));
}

/** The features the drift monitor checks: every one, once, in the given order. */
export function driftFeatures(features: readonly string[]): string[] {
	return [...new Set(features)];
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

/** A categorical cell as a string: null/undefined → null; numbers and booleans as text. */
function toCategory(v: unknown): string | null {
	if (v === null || v === undefined) return null;
	if (typeof v === "number" && Number.isNaN(v)) return null;
	return String(v);
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

/** The non-null values of a numeric column and their mean. */
export function observedNumbers(
	t: Table,
	table: string,
	column: string,
): Float64Array {
	const cells = columnCells(t, table, column);
	const values = new Float64Array(cells.length);
	let n = 0;
	for (let i = 0; i < cells.length; i++) {
		const v = toNumber(cells[i], table, column, i + 1);
		if (v !== null) values[n++] = v;
	}
	return values.subarray(0, n);
}

/** Counts of each non-null category of a column. */
export function observedCategories(
	t: Table,
	table: string,
	column: string,
): Map<string, number> {
	const cells = columnCells(t, table, column);
	const counts = new Map<string, number>();
	for (let i = 0; i < cells.length; i++) {
		const v = toCategory(cells[i]);
		if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
	}
	return counts;
}

const mean = (v: ArrayLike<number>): number | null => {
	if (v.length === 0) return null;
	let s = 0;
	for (let i = 0; i < v.length; i++) s += v[i];
	return s / v.length;
};

/** Bin edges of a continuous reference: its deciles, duplicates removed (bins are (e_{k−1}, e_k]). */
export function decileEdges(sortedReference: ArrayLike<number>): number[] {
	const n = sortedReference.length;
	const edges: number[] = [];
	for (let k = 1; k < 10; k++) {
		const e = sortedReference[Math.min(n - 1, Math.ceil((k * n) / 10) - 1)];
		if (edges.length === 0 || e > edges[edges.length - 1]) edges.push(e);
	}
	// A top edge equal to the maximum would leave the last bin empty for the reference.
	if (edges.length > 0 && edges[edges.length - 1] >= sortedReference[n - 1])
		edges.pop();
	return edges;
}

/** Counts of `values` in the bins (−∞, e1], (e1, e2], …, (e_m, ∞). */
export function binCounts(
	values: ArrayLike<number>,
	edges: readonly number[],
): number[] {
	const counts = new Array<number>(edges.length + 1).fill(0);
	for (let i = 0; i < values.length; i++) {
		let lo = 0;
		let hi = edges.length;
		while (lo < hi) {
			const mid = (lo + hi) >> 1;
			if (values[i] <= edges[mid]) hi = mid;
			else lo = mid + 1;
		}
		counts[lo]++;
	}
	return counts;
}

/** Category order used on both sides: reference categories by count, then new ones by count. */
export function categoryOrder(
	reference: ReadonlyMap<string, number>,
	current?: ReadonlyMap<string, number>,
): string[] {
	const byCount = (m: ReadonlyMap<string, number>) =>
		[...m.entries()]
			.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
			.map(([k]) => k);
	const ref = byCount(reference);
	const seen = new Set(ref);
	return [
		...ref,
		...(current ? byCount(current).filter((k) => !seen.has(k)) : []),
	];
}

function notRun(
	base: Omit<
		DriftFeatureResult,
		| "test"
		| "statistic"
		| "pvalue"
		| "method"
		| "effectSize"
		| "psi"
		| "significant"
		| "large"
		| "drifted"
	>,
	reason: string,
): DriftFeatureResult {
	return {
		...base,
		test: "none",
		statistic: Number.NaN,
		pvalue: Number.NaN,
		method: "none",
		effectSize: Number.NaN,
		psi: Number.NaN,
		significant: false,
		large: false,
		drifted: false,
		reason,
	};
}

function emptySides(refSize: number, curSize: number): string | undefined {
	const empty = [
		refSize === 0 ? "reference" : "",
		curSize === 0 ? "current" : "",
	].filter(Boolean);
	return empty.length > 0
		? `no non-null value in the ${empty.join(" and ")} data`
		: undefined;
}

function compareContinuous(
	feature: string,
	reference: Table,
	current: Table,
	th: DriftThresholds,
): DriftFeatureResult {
	const ref = observedNumbers(reference, REFERENCE_TABLE, feature);
	const cur = observedNumbers(current, CURRENT_TABLE, feature);
	const base = {
		feature,
		featureType: "continuous" as const,
		effectMetric: "wasserstein_normed" as const,
		referenceSize: ref.length,
		currentSize: cur.length,
		referenceMean: mean(ref),
		currentMean: mean(cur),
	};
	const reason = emptySides(ref.length, cur.length);
	if (reason) return notRun(base, reason);
	const ks = ks2samp(ref, cur);
	const effectSize = normedWasserstein(ref, cur);
	const edges = decileEdges(Float64Array.from(ref).sort());
	const significant = ks.pvalue < th.alpha;
	const large = effectSize >= th.wasserstein;
	return {
		...base,
		test: "ks",
		statistic: ks.statistic,
		pvalue: ks.pvalue,
		method: ks.method,
		effectSize,
		psi: psi(binCounts(ref, edges), binCounts(cur, edges)),
		significant,
		large,
		drifted: significant && large,
	};
}

function compareCategorical(
	feature: string,
	type: "binary" | "categorical",
	reference: Table,
	current: Table,
	th: DriftThresholds,
): DriftFeatureResult {
	const base = {
		feature,
		featureType: type,
		effectMetric: "jensen_shannon" as const,
	};
	if (
		type === "categorical" &&
		!reference.columnNames().includes(feature) &&
		current.columnNames().includes(feature)
	)
		return notRun(
			{
				...base,
				referenceSize: 0,
				currentSize: current.numRows(),
				referenceMean: null,
				currentMean: null,
			},
			"not in the reference (written before categorical features were checked)",
		);
	let refCounts: Map<string, number>;
	let curCounts: Map<string, number>;
	let means: { referenceMean: number | null; currentMean: number | null };
	if (type === "binary") {
		// Flags are numbers (0/1, booleans); the share of 1s is their mean.
		const ref = observedNumbers(reference, REFERENCE_TABLE, feature);
		const cur = observedNumbers(current, CURRENT_TABLE, feature);
		const counts = (v: Float64Array) => {
			const m = new Map<string, number>();
			for (const x of v) m.set(String(x), (m.get(String(x)) ?? 0) + 1);
			return m;
		};
		refCounts = counts(ref);
		curCounts = counts(cur);
		means = { referenceMean: mean(ref), currentMean: mean(cur) };
	} else {
		refCounts = observedCategories(reference, REFERENCE_TABLE, feature);
		curCounts = observedCategories(current, CURRENT_TABLE, feature);
		means = { referenceMean: null, currentMean: null };
	}
	const sumOf = (m: Map<string, number>) =>
		[...m.values()].reduce((a, b) => a + b, 0);
	const sized = {
		...base,
		referenceSize: sumOf(refCounts),
		currentSize: sumOf(curCounts),
		...means,
	};
	const reason = emptySides(sized.referenceSize, sized.currentSize);
	if (reason) return notRun(sized, reason);
	const order = categoryOrder(refCounts, curCounts);
	const r = order.map((k) => refCounts.get(k) ?? 0);
	const c = order.map((k) => curCounts.get(k) ?? 0);
	const chi = chiSquareHomogeneity(r, c);
	const effectSize = jensenShannon(r, c);
	const significant = chi.pvalue < th.alpha;
	const large = effectSize >= th.jensenShannon;
	return {
		...sized,
		test: "chi2",
		statistic: chi.statistic,
		pvalue: chi.pvalue,
		method: "chi2",
		dof: chi.dof,
		effectSize,
		psi: psi(r, c),
		significant,
		large,
		drifted: significant && large,
	};
}

function compare(
	feature: string,
	type: FeatureType,
	reference: Table,
	current: Table,
	th: DriftThresholds,
): DriftFeatureResult {
	return type === "continuous"
		? compareContinuous(feature, reference, current, th)
		: compareCategorical(feature, type, reference, current, th);
}

/** The thresholds in force: defaults, then `alpha`, then `thresholds`; each checked. */
export function driftThresholds(
	opts: Pick<DriftOptions, "alpha" | "thresholds"> = {},
): DriftThresholds {
	const th: DriftThresholds = {
		...DEFAULT_DRIFT_THRESHOLDS,
		...(opts.alpha !== undefined ? { alpha: opts.alpha } : {}),
		...Object.fromEntries(
			Object.entries(opts.thresholds ?? {}).filter(([, v]) => v !== undefined),
		),
	};
	if (!(th.alpha > 0 && th.alpha < 1))
		throw new RangeError(`drift alpha must be in (0, 1), got ${th.alpha}`);
	for (const k of ["wasserstein", "jensenShannon"] as const)
		if (!(th[k] >= 0 && Number.isFinite(th[k])))
			throw new RangeError(
				`drift threshold ${k} must be a finite number ≥ 0, got ${th[k]}`,
			);
	return th;
}

/** Drift of every feature (by type) and of the prediction between a reference and the current batch. */
export function driftReport(
	reference: Table,
	current: Table,
	opts: DriftOptions,
): DriftReport {
	const thresholds = driftThresholds(opts);
	const features = driftFeatures(opts.features).map((f) =>
		compare(f, featureType(f), reference, current, thresholds),
	);
	const prediction =
		opts.predictionColumn !== undefined
			? compare(
					opts.predictionColumn,
					"continuous",
					reference,
					current,
					thresholds,
				)
			: undefined;
	const driftedFeatures = features
		.filter((f) => f.drifted)
		.map((f) => f.feature);
	return {
		alpha: thresholds.alpha,
		thresholds,
		features,
		...(prediction ? { prediction } : {}),
		driftedFeatures,
		anyDrift: driftedFeatures.length > 0 || prediction?.drifted === true,
	};
}

/**
 * The reference a trained model is saved with: every model feature of its
 * training population (numbers and flags as numbers, categories as strings,
 * nulls kept as null) plus, when given, the scores as `churn_proba` (one per
 * gold row, on the same scale as scoring outputs).
 */
export function driftReference(
	gold: Table,
	features: readonly string[],
	scores?: Float64Array,
): Table {
	const columns: Record<string, ArrayLike<number | string | null>> = {};
	for (const f of driftFeatures(features)) {
		const cells = columnCells(gold, REFERENCE_TABLE, f);
		if (featureType(f) === "categorical") {
			const out: Array<string | null> = new Array(cells.length);
			for (let i = 0; i < cells.length; i++) out[i] = toCategory(cells[i]);
			columns[f] = out;
			continue;
		}
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

/** One bin of a feature's distribution on both sides (the drift page's histograms). */
export interface DistributionBin {
	feature: string;
	featureType: FeatureType;
	/** 1-based position of the bin (continuous: low to high; categories: reference count order). */
	binOrder: number;
	/** The category, or the bin's range ("≤ 3", "3 – 7", "> 7"). */
	bin: string;
	/** Bin range of a continuous feature: (lower, upper]; null at the open ends and for categories. */
	lower: number | null;
	upper: number | null;
	referenceCount: number;
	referenceShare: number;
	/** Null when there is no current batch to compare yet. */
	currentCount: number | null;
	currentShare: number | null;
}

const fmt = (x: number) => Number(x.toPrecision(3)).toString();

/**
 * The binned distributions the drift tests compare: continuous features on
 * the reference's decile bins (the bins the PSI uses), binary and categorical
 * features per category. Without `current` only the reference side is filled
 * (the drift page before any comparison exists). Features missing from the
 * reference are skipped.
 */
export function driftDistributions(
	reference: Table,
	current: Table | undefined,
	features: readonly string[],
): DistributionBin[] {
	const out: DistributionBin[] = [];
	const has = (t: Table, f: string) => t.columnNames().includes(f);
	for (const feature of driftFeatures(features)) {
		if (!has(reference, feature)) continue;
		const cur = current && has(current, feature) ? current : undefined;
		const type =
			feature === PREDICTION_COLUMN ? "continuous" : featureType(feature);
		let labels: Array<Pick<DistributionBin, "bin" | "lower" | "upper">>;
		let r: number[];
		let c: number[] | undefined;
		if (type === "continuous") {
			const ref = observedNumbers(reference, REFERENCE_TABLE, feature);
			if (ref.length === 0) continue;
			const edges = decileEdges(Float64Array.from(ref).sort());
			r = binCounts(ref, edges);
			c = cur
				? binCounts(observedNumbers(cur, CURRENT_TABLE, feature), edges)
				: undefined;
			labels = r.map((_, k) => {
				const lower = k === 0 ? null : edges[k - 1];
				const upper = k === edges.length ? null : edges[k];
				const bin =
					lower === null && upper === null
						? "all"
						: lower === null
							? `≤ ${fmt(upper as number)}`
							: upper === null
								? `> ${fmt(lower)}`
								: `${fmt(lower)} – ${fmt(upper)}`;
				return { bin, lower, upper };
			});
		} else {
			const counts = (t: Table, table: string) =>
				type === "binary"
					? new Map(
							[...observedNumbers(t, table, feature)].reduce(
								(m, x) => m.set(String(x), (m.get(String(x)) ?? 0) + 1),
								new Map<string, number>(),
							),
						)
					: observedCategories(t, table, feature);
			const refCounts = counts(reference, REFERENCE_TABLE);
			const curCounts = cur ? counts(cur, CURRENT_TABLE) : undefined;
			const order =
				type === "binary" ? ["0", "1"] : categoryOrder(refCounts, curCounts);
			r = order.map((k) => refCounts.get(k) ?? 0);
			c = curCounts ? order.map((k) => curCounts.get(k) ?? 0) : undefined;
			labels = order.map((bin) => ({ bin, lower: null, upper: null }));
		}
		const total = (v: number[]) => v.reduce((a, b) => a + b, 0);
		const rt = total(r);
		const ct = c ? total(c) : 0;
		for (const [k, l] of labels.entries())
			out.push({
				feature,
				featureType: type,
				binOrder: k + 1,
				...l,
				referenceCount: r[k],
				referenceShare: rt > 0 ? r[k] / rt : 0,
				currentCount: c ? c[k] : null,
				currentShare: c ? (ct > 0 ? c[k] / ct : 0) : null,
			});
	}
	return out;
}
