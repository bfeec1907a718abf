/**
 * Model explanations in the Score stage: exact TreeSHAP contributions
 * (runtime/model/explain) for every customer when the champion is a tree
 * model, grouped back to the gold features (a categorical feature's one-hot
 * columns add up: contributions are additive), then
 *   - per customer: every feature's contribution (the "contributions"
 *     table) and the top drivers (largest |contribution|, signed) on the
 *     scored rows;
 *   - per run: global importance, the mean |contribution| per feature.
 * Contributions are in log-odds of the model's raw score, before calibration:
 * bias + Σ contributions = the model's margin. See docs/explanations.md.
 */
import { table } from "arquero";
import type { Table } from "../io/tables.ts";
import type { ModelArtifact } from "../model/artifact.ts";
import { treeExplainerFor } from "../model/explain/explainer.ts";
import { buildMatrix, customerIds } from "../model/matrix.ts";

/** How many drivers each scored row carries. */
export const TOP_DRIVERS = 5;

/**
 * Models costlier than this per row (fast-tree-shap.ts#costPerRow) are not
 * explained in scoring. Measured here: the champion (600 depth-3 XGBoost
 * trees) ≈ 7.5 k, 0.025 ms a row; a depth-8 CART ≈ 7 k, 0.06 ms a row; a
 * 300-tree depth-8 forest ≈ 2 M, ≈ 20 ms a row (minutes for 20,000
 * customers). 50 k keeps a 20,000-customer batch under ≈ 10 s.
 */
export const MAX_EXPLAIN_COST_PER_ROW = 50_000;

export interface ScoreExplanation {
	method: "tree_shap_path_dependent";
	/** XGBoost: log-odds (margin); CART / forest: the raw score itself. */
	output: "log_odds" | "probability";
	/** E[margin] under the trees' cover weights: where every customer's contributions start. */
	bias: number;
	/** Gold features, in matrix order (numerics, then categoricals). */
	features: string[];
	customerIds: string[];
	/** values[i·F + g]: contribution of feature g to customer i. */
	values: Float64Array;
	/** The model's raw score per customer, exactly as its predictProba (same pass). */
	raw: Float64Array;
	/** Mean |contribution| and mean contribution per feature, in `features` order. */
	meanAbs: Float64Array;
	mean: Float64Array;
}

/** Gold feature of each matrix column (numerics by name, one-hot columns by their categorical). */
function columnGroups(artifact: ModelArtifact): {
	features: string[];
	group: Int32Array;
} {
	const pre = artifact.preprocessor;
	const owner = new Map<string, string>();
	for (const n of pre.numeric) owner.set(n.name, n.name);
	for (const c of pre.categorical)
		for (const cat of c.categories) owner.set(`${c.name}=${cat}`, c.name);
	const features: string[] = [];
	const index = new Map<string, number>();
	const group = new Int32Array(pre.columns.length);
	pre.columns.forEach((col, j) => {
		const f = owner.get(col);
		if (f === undefined)
			throw new Error(`explanations: matrix column "${col}" has no feature`);
		if (!index.has(f)) {
			index.set(f, features.length);
			features.push(f);
		}
		group[j] = index.get(f) as number;
	});
	return { features, group };
}

/**
 * Contributions for every customer of a gold table, or undefined when the
 * model is not a tree model TreeSHAP handles, or too costly to explain here.
 */
export function explainCustomers(
	gold: Table,
	artifact: ModelArtifact,
): ScoreExplanation | undefined {
	const explainer = treeExplainerFor(artifact.model);
	if (!explainer || explainer.costPerRow > MAX_EXPLAIN_COST_PER_ROW)
		return undefined;
	const X = buildMatrix(gold, artifact.preprocessor);
	const c = explainer.explain(X);
	const { features, group } = columnGroups(artifact);
	const F = features.length;
	const M = X.cols;
	const n = X.rows;
	const values = new Float64Array(n * F);
	const meanAbs = new Float64Array(F);
	const mean = new Float64Array(F);
	for (let i = 0; i < n; i++) {
		const o = i * F;
		const src = i * (M + 1);
		for (let j = 0; j < M; j++) values[o + group[j]] += c.values[src + j];
		for (let g = 0; g < F; g++) {
			meanAbs[g] += Math.abs(values[o + g]);
			mean[g] += values[o + g];
		}
	}
	for (let g = 0; g < F; g++) {
		meanAbs[g] /= Math.max(n, 1);
		mean[g] /= Math.max(n, 1);
	}
	return {
		method: "tree_shap_path_dependent",
		output: c.output,
		bias: c.bias,
		features,
		customerIds: customerIds(gold),
		values,
		raw: c.raw,
		meanAbs,
		mean,
	};
}

/** Feature indexes of customer i's k largest |contribution|s, largest first. */
export function topDriverIndexes(
	e: ScoreExplanation,
	i: number,
	k = TOP_DRIVERS,
): number[] {
	const F = e.features.length;
	const o = i * F;
	const picked: number[] = [];
	for (let r = 0; r < Math.min(k, F); r++) {
		let best = -1;
		for (let g = 0; g < F; g++) {
			if (picked.includes(g)) continue;
			if (best < 0 || Math.abs(e.values[o + g]) > Math.abs(e.values[o + best]))
				best = g;
		}
		picked.push(best);
	}
	return picked;
}

const round = (x: number, digits: number) => {
	const f = 10 ** digits;
	return Math.round(x * f) / f;
};

/**
 * Columns for the scored table: driver_<r>_feature and driver_<r>_contribution
 * (log-odds, 4 decimals) for r = 1..TOP_DRIVERS, in the explanation's row order.
 */
export function topDriverColumns(
	e: ScoreExplanation,
): Record<string, unknown[]> {
	const n = e.customerIds.length;
	const F = e.features.length;
	const columns: Record<string, unknown[]> = {};
	for (let r = 1; r <= TOP_DRIVERS; r++) {
		columns[`driver_${r}_feature`] = new Array(n).fill(null);
		columns[`driver_${r}_contribution`] = new Array(n).fill(null);
	}
	for (let i = 0; i < n; i++) {
		topDriverIndexes(e, i).forEach((g, r) => {
			columns[`driver_${r + 1}_feature`][i] = e.features[g];
			columns[`driver_${r + 1}_contribution`][i] = round(
				e.values[i * F + g],
				4,
			);
		});
	}
	return columns;
}

/** Every customer's contribution per feature, plus the bias: the lake's "contributions" table. */
export function contributionsTable(e: ScoreExplanation): Table {
	const n = e.customerIds.length;
	const F = e.features.length;
	const columns: Record<string, unknown> = { customer_id: e.customerIds };
	e.features.forEach((f, g) => {
		const col = new Float64Array(n);
		for (let i = 0; i < n; i++) col[i] = e.values[i * F + g];
		columns[f] = col;
	});
	columns.bias = new Float64Array(n).fill(e.bias);
	return table(columns) as Table;
}

/** Global importance, most important first: feature, rank, mean |contribution|, mean contribution. */
export function importanceTable(e: ScoreExplanation): Table {
	const order = e.features
		.map((_, g) => g)
		.sort((a, b) => e.meanAbs[b] - e.meanAbs[a]);
	return table({
		feature: order.map((g) => e.features[g]),
		rank: order.map((_, r) => r + 1),
		mean_abs_contribution: order.map((g) => e.meanAbs[g]),
		mean_contribution: order.map((g) => e.mean[g]),
	}) as Table;
}

/** What the Score stage records about the explanation (run record, stage detail). */
export function explanationSummary(e: ScoreExplanation, top = 10) {
	const order = e.features
		.map((_, g) => g)
		.sort((a, b) => e.meanAbs[b] - e.meanAbs[a]);
	return {
		method: e.method,
		output: e.output,
		bias: e.bias,
		customers: e.customerIds.length,
		features: e.features.length,
		topFeatures: order.slice(0, top).map((g) => ({
			feature: e.features[g],
			meanAbsContribution: e.meanAbs[g],
		})),
	};
}
