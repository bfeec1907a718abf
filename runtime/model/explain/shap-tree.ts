/**
 * The tree structure TreeSHAP works on, and the walk that defines the output
 * it explains. Every tree model the project scores in JavaScript is turned
 * into this form (explainer.ts): the model's output is
 *
 *     base + treeWeight · Σ_trees value[leaf reached by x]
 *
 * (XGBoost: base margin + Σ leaves, the raw log-odds before the logistic link
 * and calibration; a forest: the mean of the trees' leaf shares). See
 * docs/explanations.md.
 */

export interface ShapTree {
	/** Feature index of an internal node; −1 for a leaf. */
	feature: Int32Array;
	/** Split value of an internal node. */
	threshold: Float64Array;
	left: Int32Array;
	right: Int32Array;
	/** Leaf value (unused on internal nodes). */
	value: Float64Array;
	/** Training weight that reached the node (XGBoost: sum of hessians). */
	cover: Float64Array;
}

/** Which way a row goes at a split, exactly as the model's own predictor decides it. */
export type SplitRule =
	/** Left when x < threshold (XGBoost; features and splits are float32). */
	| "lt"
	/** Left when x ≤ threshold (the project's CART / forest). */
	| "le";

export interface ShapEnsemble {
	numFeatures: number;
	trees: ShapTree[];
	rule: SplitRule;
	/** Constant added to the output (XGBoost's base margin; 0 for trees). */
	base: number;
	/** Factor applied to every tree's value (1 for boosting, 1/n for a forest). */
	treeWeight: number;
	/**
	 * How the model's own predictor adds the leaves up (XGBoost: in float32).
	 * The contributions are exact in float64 whatever this is; it only tells
	 * fast-tree-shap.ts how to reproduce the predictor's output bit for bit.
	 */
	sum: "float32" | "float64";
}

/** Is x sent to the left child of a node with this threshold? */
export function goesLeft(
	rule: SplitRule,
	x: number,
	threshold: number,
): boolean {
	return rule === "lt" ? x < threshold : x <= threshold;
}

/** Index of the leaf a row reaches in one tree. */
export function leafOf(
	tree: ShapTree,
	rule: SplitRule,
	x: ArrayLike<number>,
): number {
	let k = 0;
	while (tree.feature[k] >= 0)
		k = goesLeft(rule, x[tree.feature[k]], tree.threshold[k])
			? tree.left[k]
			: tree.right[k];
	return k;
}

/** The output being explained for one row, summed in float64. */
export function ensembleOutput(e: ShapEnsemble, x: ArrayLike<number>): number {
	let s = 0;
	for (const t of e.trees) s += t.value[leafOf(t, e.rule, x)];
	return e.base + e.treeWeight * s;
}

/**
 * E[f(x) | x_S] under the path-dependent (cover-weighted) definition: at a
 * split on a feature in S the row's own branch is followed; at any other split
 * both branches are averaged, weighted by the share of training cover each
 * child received. With S = ∅ this is the tree's expected value.
 */
export function conditionalExpectation(
	tree: ShapTree,
	rule: SplitRule,
	x: ArrayLike<number>,
	known: (feature: number) => boolean,
): number {
	const walk = (k: number): number => {
		const f = tree.feature[k];
		if (f < 0) return tree.value[k];
		const l = tree.left[k];
		const r = tree.right[k];
		if (known(f)) return walk(goesLeft(rule, x[f], tree.threshold[k]) ? l : r);
		const c = tree.cover[k];
		if (!(c > 0)) return 0.5 * (walk(l) + walk(r));
		return (tree.cover[l] * walk(l) + tree.cover[r] * walk(r)) / c;
	};
	return walk(0);
}

export function maxDepth(tree: ShapTree): number {
	const depth = (k: number): number =>
		tree.feature[k] < 0
			? 0
			: 1 + Math.max(depth(tree.left[k]), depth(tree.right[k]));
	return depth(0);
}
