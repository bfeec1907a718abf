/**
 * Exact path-dependent TreeSHAP: Lundberg, Erion & Lee (2018), "Consistent
 * individualized feature attribution for tree ensembles", Algorithm 2
 * (EXTEND / UNWIND over the unique features of the path from the root),
 * ported from the reference implementation's recursion (shap's tree_shap.h,
 * the same as XGBoost's pred_contribs). O(leaves · depth²) per tree and row.
 *
 * The path of one recursion level lives in a slice of preallocated typed
 * arrays (level d uses d+1 slots after the previous levels'), so explaining a
 * row allocates nothing. fast-tree-shap.ts computes the same values from
 * per-tree tables for shallow trees; this is the general algorithm and its
 * reference in the tests. See docs/explanations.md.
 */
import {
	goesLeft,
	maxDepth,
	type ShapEnsemble,
	type ShapTree,
	type SplitRule,
} from "./shap-tree.ts";

/** Preallocated path buffers for trees of depth ≤ maxDepth. */
export class PathBuffers {
	readonly feature: Int32Array;
	readonly zero: Float64Array;
	readonly one: Float64Array;
	readonly weight: Float64Array;
	constructor(readonly depth: number) {
		const n = ((depth + 2) * (depth + 3)) / 2;
		this.feature = new Int32Array(n);
		this.zero = new Float64Array(n);
		this.one = new Float64Array(n);
		this.weight = new Float64Array(n);
	}
}

/** EXTEND: add (feature, zero fraction, one fraction) to the path at [p, p+len]. */
function extend(
	b: PathBuffers,
	p: number,
	len: number,
	zero: number,
	one: number,
	feature: number,
): void {
	const w = b.weight;
	b.feature[p + len] = feature;
	b.zero[p + len] = zero;
	b.one[p + len] = one;
	w[p + len] = len === 0 ? 1 : 0;
	for (let i = len - 1; i >= 0; i--) {
		w[p + i + 1] += (one * w[p + i] * (i + 1)) / (len + 1);
		w[p + i] = (zero * w[p + i] * (len - i)) / (len + 1);
	}
}

/** UNWIND: remove element `at` of the path [p, p+len], undoing its EXTEND. */
function unwind(b: PathBuffers, p: number, len: number, at: number): void {
	const w = b.weight;
	const one = b.one[p + at];
	const zero = b.zero[p + at];
	let next = w[p + len];
	for (let i = len - 1; i >= 0; i--) {
		if (one !== 0) {
			const tmp = w[p + i];
			w[p + i] = (next * (len + 1)) / ((i + 1) * one);
			next = tmp - (w[p + i] * zero * (len - i)) / (len + 1);
		} else {
			w[p + i] = (w[p + i] * (len + 1)) / (zero * (len - i));
		}
	}
	for (let i = at; i < len; i++) {
		b.feature[p + i] = b.feature[p + i + 1];
		b.zero[p + i] = b.zero[p + i + 1];
		b.one[p + i] = b.one[p + i + 1];
	}
}

/** Σ of the weights the path would have with element `at` unwound (without unwinding it). */
function unwoundSum(
	b: PathBuffers,
	p: number,
	len: number,
	at: number,
): number {
	const w = b.weight;
	const one = b.one[p + at];
	const zero = b.zero[p + at];
	let total = 0;
	if (one !== 0) {
		let next = w[p + len];
		for (let i = len - 1; i >= 0; i--) {
			const tmp = next / ((i + 1) * one);
			total += tmp;
			next = w[p + i] - tmp * zero * (len - i);
		}
	} else {
		for (let i = len - 1; i >= 0; i--) total += w[p + i] / (zero * (len - i));
	}
	return total * (len + 1);
}

function recurse(
	tree: ShapTree,
	rule: SplitRule,
	x: ArrayLike<number>,
	phi: Float64Array,
	scale: number,
	b: PathBuffers,
	node: number,
	parent: number,
	len: number,
	zero: number,
	one: number,
	feature: number,
): void {
	// This level's path: a copy of the parent's, then extended.
	const p = parent + len;
	b.feature.copyWithin(p, parent, parent + len);
	b.zero.copyWithin(p, parent, parent + len);
	b.one.copyWithin(p, parent, parent + len);
	b.weight.copyWithin(p, parent, parent + len);
	extend(b, p, len, zero, one, feature);

	const f = tree.feature[node];
	if (f < 0) {
		const v = tree.value[node] * scale;
		for (let i = 1; i <= len; i++) {
			const w = unwoundSum(b, p, len, i);
			phi[b.feature[p + i]] += w * (b.one[p + i] - b.zero[p + i]) * v;
		}
		return;
	}
	const left = tree.left[node];
	const right = tree.right[node];
	const toLeft = goesLeft(rule, x[f], tree.threshold[node]);
	const hot = toLeft ? left : right;
	const cold = toLeft ? right : left;
	const c = tree.cover[node];
	const hotZero = c > 0 ? tree.cover[hot] / c : 0.5;
	const coldZero = c > 0 ? tree.cover[cold] / c : 0.5;
	let inZero = 1;
	let inOne = 1;
	let depth = len;
	// A feature already on the path is unwound, then re-added with both splits' fractions.
	let at = 0;
	while (at <= depth && b.feature[p + at] !== f) at++;
	if (at <= depth) {
		inZero = b.zero[p + at];
		inOne = b.one[p + at];
		unwind(b, p, depth, at);
		depth -= 1;
	}
	const next = depth + 1;
	recurse(
		tree,
		rule,
		x,
		phi,
		scale,
		b,
		hot,
		p,
		next,
		hotZero * inZero,
		inOne,
		f,
	);
	recurse(tree, rule, x, phi, scale, b, cold, p, next, coldZero * inZero, 0, f);
}

/**
 * Adds one tree's SHAP values for row x (times `scale`) into phi[0..M).
 * `b` must have been made for a depth ≥ the tree's.
 */
export function treeShapTree(
	tree: ShapTree,
	rule: SplitRule,
	x: ArrayLike<number>,
	phi: Float64Array,
	scale: number,
	b: PathBuffers,
): void {
	// The root extends a dummy element (feature −1, fractions 1) at slot 0.
	recurse(tree, rule, x, phi, scale, b, 0, 0, 0, 1, 1, -1);
}

/** Expected value of one tree: its leaves weighted by their share of the root's cover. */
export function treeExpectedValue(tree: ShapTree): number {
	const walk = (k: number): number => {
		if (tree.feature[k] < 0) return tree.value[k];
		const l = tree.left[k];
		const r = tree.right[k];
		const c = tree.cover[k];
		if (!(c > 0)) return 0.5 * (walk(l) + walk(r));
		return (tree.cover[l] * walk(l) + tree.cover[r] * walk(r)) / c;
	};
	return walk(0);
}

/** The explanation's bias: E[f(X)] under the cover weights (what the contributions are measured from). */
export function expectedValue(e: ShapEnsemble): number {
	let s = 0;
	for (const t of e.trees) s += treeExpectedValue(t);
	return e.base + e.treeWeight * s;
}

/**
 * SHAP values of one row by Algorithm 2: phi[0..M) the contributions, phi[M]
 * the bias; Σ phi = the ensemble's output for x.
 */
export function treeShapRow(
	e: ShapEnsemble,
	x: ArrayLike<number>,
	out: Float64Array = new Float64Array(e.numFeatures + 1),
	buffers?: PathBuffers,
): Float64Array {
	const depth = Math.max(0, ...e.trees.map(maxDepth));
	const b =
		buffers && buffers.depth >= depth ? buffers : new PathBuffers(depth);
	out.fill(0);
	for (const t of e.trees) treeShapTree(t, e.rule, x, out, e.treeWeight, b);
	out[e.numFeatures] = expectedValue(e);
	return out;
}
