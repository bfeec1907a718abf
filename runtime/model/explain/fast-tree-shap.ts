/**
 * TreeSHAP for many rows: the same exact path-dependent values as Algorithm 2
 * (tree-shap.ts), computed from per-tree tables for shallow trees.
 *
 * Why it is exact: under the cover-weighted definition a leaf l contributes
 * v_l · Π_{j ∈ U_l} (j ∈ S ? o_j(x) : z_j) to E[f | x_S], where U_l are the
 * distinct features on its path, z_j the product of the cover ratios of the
 * path's splits on j and o_j(x) ∈ {0, 1} whether x follows all of them. That
 * is a product game, whose Shapley value for i ∈ U_l is
 *
 *     φ_i = v_l (o_i − z_i) Σ_k k! (d−k−1)! / d! · c_k,
 *     c_k = Σ_{S ⊆ U_l∖{i}, |S| = k} Π_{j∈S} o_j Π_{j∈U_l∖S∖{i}} z_j   (d = |U_l|),
 *
 * so a tree's contributions depend on x only through which way x goes at
 * each of its m internal nodes. For m ≤ maxTableNodes every one of the 2^m
 * outcomes is tabulated once per model (600 depth-3 trees: 600 × 128 rows);
 * a row then costs m comparisons and ≤ m additions per tree, instead of
 * O(leaves · depth²) for the recursion. Deeper trees fall back to Algorithm 2
 * with preallocated path buffers. See docs/explanations.md.
 */
import {
	leafOf,
	maxDepth,
	type ShapEnsemble,
	type ShapTree,
	type SplitRule,
} from "./shap-tree.ts";
import { PathBuffers, treeExpectedValue, treeShapTree } from "./tree-shap.ts";

/** Trees with more internal nodes than this are explained by the recursion. */
export const MAX_TABLE_NODES = 10;

export interface CompiledShap {
	numFeatures: number;
	rule: SplitRule;
	/** E[f(X)]: the output with no feature known. */
	bias: number;
	/** Tabulated trees, concatenated: tree t's nodes are [nodeStart[t], nodeStart[t+1]). */
	nodeStart: Int32Array;
	nodeFeature: Int32Array;
	nodeThreshold: Float64Array;
	/** Tree t's distinct features are featureIndex[featStart[t] .. featStart[t+1]). */
	featStart: Int32Array;
	featureIndex: Int32Array;
	/** Tree t's table starts at tableStart[t]: 2^m rows × its distinct features. */
	tableStart: Int32Array;
	table: Float64Array;
	/** Tabulated tree t reaches leafValue[leafStart[t] + pattern] (unscaled). */
	leafStart: Int32Array;
	leafValue: Float64Array;
	/** Per tree of the model, in order: k ≥ 0 tabulated tree k, −1 − g general tree g. */
	order: Int32Array;
	/** Trees explained by Algorithm 2. */
	general: ShapTree[];
	base: number;
	sum: ShapEnsemble["sum"];
	treeWeight: number;
	buffers: PathBuffers;
	/**
	 * Work per row, in elementary steps: m + |U| per tabulated tree,
	 * leaves · (depth + 1)² per tree left to Algorithm 2 (its cost bound).
	 */
	costPerRow: number;
}

const factorials = (n: number) => {
	const f = [1];
	for (let k = 1; k <= n; k++) f.push(f[k - 1] * k);
	return f;
};

interface PathStep {
	/** Internal node index within the tree's own numbering of internal nodes. */
	bit: number;
	wantLeft: boolean;
	/** Index of the split's feature among the leaf's distinct features. */
	slot: number;
}

interface LeafPlan {
	value: number;
	steps: PathStep[];
	/** Distinct features on the path. */
	features: number[];
	/** 2^d × d contributions, by pattern of o_j. */
	values: Float64Array;
}

/** The leaf's product-game Shapley values for every pattern of o (see the header). */
function leafValues(v: number, z: number[], fact: number[]): Float64Array {
	const d = z.length;
	const out = new Float64Array((1 << d) * d);
	const c = new Float64Array(d);
	for (let p = 0; p < 1 << d; p++) {
		for (let i = 0; i < d; i++) {
			// c = coefficients of Π_{j≠i} (z_j + o_j t)
			c.fill(0);
			c[0] = 1;
			let deg = 0;
			for (let j = 0; j < d; j++) {
				if (j === i) continue;
				const o = (p >> j) & 1;
				for (let k = deg + 1; k >= 1; k--) c[k] = c[k] * z[j] + c[k - 1] * o;
				c[0] *= z[j];
				deg++;
			}
			let s = 0;
			for (let k = 0; k <= deg; k++)
				s += (c[k] * fact[k] * fact[d - k - 1]) / fact[d];
			const oi = (p >> i) & 1;
			out[p * d + i] = v * (oi - z[i]) * s;
		}
	}
	return out;
}

/** The tree's 2^m × |U| table, scaled by `weight`, or undefined when too big. */
function tabulate(
	tree: ShapTree,
	weight: number,
	maxNodes: number,
	fact: number[],
):
	| {
			nodes: number[];
			features: number[];
			table: Float64Array;
			/** Value of the leaf a row reaches, per pattern (unscaled). */
			reached: Float64Array;
	  }
	| undefined {
	// Internal nodes the root reaches, in pre-order (a dump may keep deleted nodes).
	const nodes: number[] = [];
	const bitOf = new Map<number, number>();
	const collect = (k: number) => {
		if (tree.feature[k] < 0 || nodes.length > maxNodes) return;
		bitOf.set(k, nodes.length);
		nodes.push(k);
		collect(tree.left[k]);
		collect(tree.right[k]);
	};
	collect(0);
	if (nodes.length > maxNodes) return undefined;
	const features = [...new Set(nodes.map((k) => tree.feature[k]))];
	const slotOf = new Map(features.map((f, s) => [f, s]));
	const leaves: LeafPlan[] = [];
	const walk = (k: number, steps: { node: number; wantLeft: boolean }[]) => {
		const f = tree.feature[k];
		if (f < 0) {
			const feats: number[] = [];
			const z: number[] = [];
			const planned: PathStep[] = [];
			for (const st of steps) {
				const sf = tree.feature[st.node];
				let slot = feats.indexOf(sf);
				if (slot < 0) {
					slot = feats.length;
					feats.push(sf);
					z.push(1);
				}
				const c = tree.cover[st.node];
				const child = st.wantLeft ? tree.left[st.node] : tree.right[st.node];
				z[slot] *= c > 0 ? tree.cover[child] / c : 0.5;
				planned.push({
					bit: bitOf.get(st.node) as number,
					wantLeft: st.wantLeft,
					slot,
				});
			}
			leaves.push({
				value: tree.value[k],
				steps: planned,
				features: feats,
				values: leafValues(tree.value[k] * weight, z, fact),
			});
			return;
		}
		walk(tree.left[k], [...steps, { node: k, wantLeft: true }]);
		walk(tree.right[k], [...steps, { node: k, wantLeft: false }]);
	};
	walk(0, []);
	const m = nodes.length;
	const u = features.length;
	const table = new Float64Array((1 << m) * u);
	const reached = new Float64Array(1 << m);
	for (const leaf of leaves) {
		const d = leaf.features.length;
		const into = leaf.features.map((f) => slotOf.get(f) as number);
		// A step is taken under pattern P when bit `bit` of P equals `want`.
		const bits = leaf.steps.map((st) => st.bit);
		const want = leaf.steps.map((st) => (st.wantLeft ? 1 : 0));
		const slots = leaf.steps.map((st) => st.slot);
		for (let P = 0; P < 1 << m; P++) {
			let pattern = (1 << d) - 1;
			for (let q = 0; q < bits.length; q++)
				if (((P >> bits[q]) & 1) !== want[q]) pattern &= ~(1 << slots[q]);
			if (pattern === (1 << d) - 1) reached[P] = leaf.value;
			const o = P * u;
			const src = pattern * d;
			for (let i = 0; i < d; i++) table[o + into[i]] += leaf.values[src + i];
		}
	}
	return { nodes, features, table, reached };
}

export function compileShap(
	e: ShapEnsemble,
	maxTableNodes = MAX_TABLE_NODES,
): CompiledShap {
	const fact = factorials(maxTableNodes + 1);
	const nodeStart = [0];
	const featStart = [0];
	const tableStart: number[] = [];
	const nodeFeature: number[] = [];
	const nodeThreshold: number[] = [];
	const featureIndex: number[] = [];
	const tables: Float64Array[] = [];
	const reached: Float64Array[] = [];
	const order: number[] = [];
	const general: ShapTree[] = [];
	let tableSize = 0;
	let bias = e.base;
	for (const tree of e.trees) {
		bias += e.treeWeight * treeExpectedValue(tree);
		const t = tabulate(tree, e.treeWeight, maxTableNodes, fact);
		if (!t) {
			order.push(-1 - general.length);
			general.push(tree);
			continue;
		}
		order.push(tables.length);
		reached.push(t.reached);
		for (const k of t.nodes) {
			nodeFeature.push(tree.feature[k]);
			nodeThreshold.push(tree.threshold[k]);
		}
		nodeStart.push(nodeFeature.length);
		featureIndex.push(...t.features);
		featStart.push(featureIndex.length);
		tableStart.push(tableSize);
		tables.push(t.table);
		tableSize += t.table.length;
	}
	const table = new Float64Array(tableSize);
	const leafStart = new Int32Array(reached.length + 1);
	tables.forEach((t, i) => {
		table.set(t, tableStart[i]);
		leafStart[i + 1] = leafStart[i] + reached[i].length;
	});
	const leafValue = new Float64Array(leafStart[reached.length]);
	reached.forEach((r, i) => {
		leafValue.set(r, leafStart[i]);
	});
	return {
		numFeatures: e.numFeatures,
		rule: e.rule,
		bias,
		nodeStart: Int32Array.from(nodeStart),
		nodeFeature: Int32Array.from(nodeFeature),
		nodeThreshold: Float64Array.from(nodeThreshold),
		featStart: Int32Array.from(featStart),
		featureIndex: Int32Array.from(featureIndex),
		tableStart: Int32Array.from(tableStart),
		table,
		leafStart,
		leafValue,
		order: Int32Array.from(order),
		general,
		base: e.base,
		sum: e.sum,
		treeWeight: e.treeWeight,
		buffers: new PathBuffers(Math.max(0, ...general.map(maxDepth))),
		costPerRow:
			nodeFeature.length +
			featureIndex.length +
			general.reduce((sum, t) => {
				let leaves = 0;
				for (let k = 0; k < t.feature.length; k++)
					if (t.feature[k] < 0) leaves++;
				return sum + leaves * (maxDepth(t) + 1) ** 2;
			}, 0),
	};
}

/**
 * Pattern of each row of the block at one tree: bit b set when the row goes
 * left at the tree's internal node b. Branch-free: which way a row goes is
 * unpredictable, and a mispredicted branch per node cost more than the whole
 * table lookup (measured: 0.99 s → 0.42 s for the comparisons alone).
 */
function patterns(
	block: Float64Array,
	n: number,
	cols: number,
	feature: Int32Array,
	threshold: Float64Array,
	n0: number,
	n1: number,
	lt: boolean,
	pat: Int32Array,
): void {
	for (let i = 0; i < n; i++) {
		const off = i * cols;
		let P = 0;
		if (lt)
			for (let k = n0; k < n1; k++)
				P |= +(block[off + feature[k]] < threshold[k]) << (k - n0);
		else
			for (let k = n0; k < n1; k++)
				P |= +(block[off + feature[k]] <= threshold[k]) << (k - n0);
		pat[i] = P;
	}
}

/**
 * patterns() unrolled for the champion's usual tree (depth 3, all 7 internal
 * nodes grown; "lt" rule): ~30 % faster than the loop, measured.
 */
function patternsOfFullDepth3(
	block: Float64Array,
	n: number,
	cols: number,
	feature: Int32Array,
	threshold: Float64Array,
	n0: number,
	pat: Int32Array,
): void {
	const f0 = feature[n0];
	const f1 = feature[n0 + 1];
	const f2 = feature[n0 + 2];
	const f3 = feature[n0 + 3];
	const f4 = feature[n0 + 4];
	const f5 = feature[n0 + 5];
	const f6 = feature[n0 + 6];
	const t0 = threshold[n0];
	const t1 = threshold[n0 + 1];
	const t2 = threshold[n0 + 2];
	const t3 = threshold[n0 + 3];
	const t4 = threshold[n0 + 4];
	const t5 = threshold[n0 + 5];
	const t6 = threshold[n0 + 6];
	for (let i = 0; i < n; i++) {
		const o = i * cols;
		pat[i] =
			+(block[o + f0] < t0) |
			(+(block[o + f1] < t1) << 1) |
			(+(block[o + f2] < t2) << 2) |
			(+(block[o + f3] < t3) << 3) |
			(+(block[o + f4] < t4) << 4) |
			(+(block[o + f5] < t5) << 5) |
			(+(block[o + f6] < t6) << 6);
	}
}

/** Rows explained together: their contributions (and a tree's table) stay in cache. */
const BLOCK = 256;

/**
 * Contributions of every row of a row-major matrix: out[i·(M+1) + j] for
 * feature j, out[i·(M+1) + M] the bias; each row sums to the ensemble's
 * output (shap-tree.ts#ensembleOutput) up to float64 rounding.
 * `data` must hold the values the model's predictor compares (XGBoost: the
 * float32 library values). When `output` is given, it receives each row's
 * output computed the way the model's own predictor does (sum "float32":
 * leaves added in float32 in tree order, as xgboost-model.ts#predictXgb),
 * from the same pass.
 */
export function explainRows(
	c: CompiledShap,
	data: ArrayLike<number>,
	rows: number,
	cols: number,
	output?: Float64Array,
): Float64Array {
	if (cols !== c.numFeatures)
		throw new RangeError(
			`explainRows: ${cols} columns, the model has ${c.numFeatures} features`,
		);
	const W = c.numFeatures + 1;
	const out = new Float64Array(rows * W);
	const { nodeStart, nodeFeature, nodeThreshold, featStart, featureIndex } = c;
	const { tableStart, table, leafStart, leafValue, order } = c;
	const lt = c.rule === "lt";
	const f32 = c.sum === "float32";
	const block = new Float64Array(BLOCK * cols);
	const psum = new Float64Array(BLOCK);
	const pat = new Int32Array(BLOCK);
	const row = new Float64Array(cols);
	for (let r0 = 0; r0 < rows; r0 += BLOCK) {
		const n = Math.min(BLOCK, rows - r0);
		// The block is copied once: every tree then reads a small, monomorphic array.
		for (let k = 0; k < n * cols; k++) block[k] = data[r0 * cols + k];
		psum.fill(0);
		for (let q = 0; q < order.length; q++) {
			const t = order[q];
			if (t < 0) {
				const tree = c.general[-1 - t];
				for (let i = 0; i < n; i++) {
					for (let j = 0; j < cols; j++) row[j] = block[i * cols + j];
					const o = (r0 + i) * W;
					treeShapTree(
						tree,
						c.rule,
						row,
						out.subarray(o, o + W),
						c.treeWeight,
						c.buffers,
					);
					const v = tree.value[leafOf(tree, c.rule, row)];
					psum[i] = f32 ? Math.fround(psum[i] + v) : psum[i] + v;
				}
				continue;
			}
			const n0 = nodeStart[t];
			const n1 = nodeStart[t + 1];
			if (lt && n1 - n0 === 7)
				patternsOfFullDepth3(
					block,
					n,
					cols,
					nodeFeature,
					nodeThreshold,
					n0,
					pat,
				);
			else
				patterns(block, n, cols, nodeFeature, nodeThreshold, n0, n1, lt, pat);
			const f0 = featStart[t];
			const u = featStart[t + 1] - f0;
			const tb = tableStart[t];
			const lb = leafStart[t];
			for (let i = 0; i < n; i++) {
				const P = pat[i];
				const base = tb + P * u;
				const o = (r0 + i) * W;
				for (let s = 0; s < u; s++)
					out[o + featureIndex[f0 + s]] += table[base + s];
				psum[i] = f32
					? Math.fround(psum[i] + leafValue[lb + P])
					: psum[i] + leafValue[lb + P];
			}
		}
		for (let i = 0; i < n; i++) {
			out[(r0 + i) * W + c.numFeatures] = c.bias;
			if (output)
				output[r0 + i] = f32
					? Math.fround(psum[i] + c.base)
					: c.base + c.treeWeight * psum[i];
		}
	}
	return out;
}
