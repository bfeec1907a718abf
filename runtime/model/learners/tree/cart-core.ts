/**
 * CART growth on pre-binned features: Gini impurity on weighted class counts
 * (class weights and bootstrap counts are sample weights, as in sklearn),
 * depth-first, best split = largest impurity decrease, ties to the first
 * feature / lowest threshold. Per node, `maxFeatures` features are drawn
 * without replacement (sklearn's rule: features constant in the node do not
 * count towards the draw); with maxFeatures = cols every feature is scanned
 * in order, which is plain CART.
 */
import type { Matrix } from "../../types.ts";
import type { BinnedMatrix } from "./binning.ts";

export interface TreeOptions {
	maxDepth: number;
	minSamplesSplit: number;
	minSamplesLeaf: number;
	/** Features examined per node (all of them for CART; √p for the forest). */
	maxFeatures: number;
	/** Uniform [0,1) source; only used when maxFeatures < cols. */
	rng: () => number;
}

/** A fitted tree in flat arrays; feature −1 marks a leaf. Left child: x ≤ threshold. */
export interface Tree {
	feature: Int32Array;
	threshold: Float64Array;
	left: Int32Array;
	right: Int32Array;
	/** Weighted share of the positive class among the node's training rows. */
	value: Float64Array;
	/**
	 * Total sample weight of the node's training rows (TreeSHAP's cover);
	 * absent in trees saved before it was recorded.
	 */
	cover?: Float64Array;
}

/**
 * Grows one tree. `weight[i]` is the sample weight of row i (0 = not in this
 * tree's sample), `y` the 0/1 labels.
 */
export function growTree(
	X: BinnedMatrix,
	y: Uint8Array,
	weight: Float64Array,
	opts: TreeOptions,
): Tree {
	const { rows, cols, bins, thresholds } = X;
	let count = 0;
	for (let i = 0; i < rows; i++) if (weight[i] > 0) count++;
	const idx = new Uint32Array(count);
	for (let i = 0, k = 0; i < rows; i++) if (weight[i] > 0) idx[k++] = i;

	const feature: number[] = [];
	const threshold: number[] = [];
	const left: number[] = [];
	const right: number[] = [];
	const value: number[] = [];
	const cover: number[] = [];

	const hist = new Float64Array(256 * 2); // weighted class counts per bin
	const hcount = new Int32Array(256);
	const order = Int32Array.from({ length: cols }, (_, f) => f);
	const allFeatures = opts.maxFeatures >= cols;

	const grow = (start: number, end: number, depth: number): number => {
		const node = feature.length;
		let w0 = 0;
		let w1 = 0;
		for (let k = start; k < end; k++) {
			const r = idx[k];
			if (y[r] === 1) w1 += weight[r];
			else w0 += weight[r];
		}
		const W = w0 + w1;
		feature.push(-1);
		threshold.push(0);
		left.push(-1);
		right.push(-1);
		value.push(W > 0 ? w1 / W : 0);
		cover.push(W);
		const n = end - start;
		if (
			depth >= opts.maxDepth ||
			n < opts.minSamplesSplit ||
			n < 2 * opts.minSamplesLeaf ||
			w0 === 0 ||
			w1 === 0
		) {
			return node;
		}

		// Maximise Σ_child (w_c0² + w_c1²) / w_c, equivalent to minimising weighted Gini.
		const parentScore = (w0 * w0 + w1 * w1) / W;
		let bestScore = parentScore;
		let bestFeature = -1;
		let bestBin = -1;
		let visited = 0;
		for (let j = 0; j < cols; j++) {
			if (!allFeatures) {
				if (visited >= opts.maxFeatures) break;
				const pick = j + Math.floor(opts.rng() * (cols - j));
				const tmp = order[j];
				order[j] = order[pick];
				order[pick] = tmp;
			}
			const f = order[j];
			const nb = thresholds[f].length + 1;
			if (nb < 2) continue;
			hist.fill(0, 0, nb * 2);
			hcount.fill(0, 0, nb);
			const off = f * rows;
			let minBin = 255;
			let maxBin = 0;
			for (let k = start; k < end; k++) {
				const r = idx[k];
				const b = bins[off + r];
				hist[b * 2 + y[r]] += weight[r];
				hcount[b]++;
				if (b < minBin) minBin = b;
				if (b > maxBin) maxBin = b;
			}
			if (minBin === maxBin) continue; // constant here: does not count as visited
			visited++;
			let l0 = 0;
			let l1 = 0;
			let lc = 0;
			for (let b = minBin; b < maxBin; b++) {
				l0 += hist[b * 2];
				l1 += hist[b * 2 + 1];
				lc += hcount[b];
				if (hcount[b] === 0) continue; // same partition as the previous bin
				const rc = n - lc;
				if (lc < opts.minSamplesLeaf || rc < opts.minSamplesLeaf) continue;
				const lw = l0 + l1;
				const r0 = w0 - l0;
				const r1 = w1 - l1;
				const rw = r0 + r1;
				if (lw <= 0 || rw <= 0) continue;
				const score = (l0 * l0 + l1 * l1) / lw + (r0 * r0 + r1 * r1) / rw;
				if (score > bestScore + 1e-12 * parentScore) {
					bestScore = score;
					bestFeature = f;
					bestBin = b;
				}
			}
		}
		if (bestFeature < 0) return node;

		// Partition idx[start, end) in place: bin ≤ bestBin to the left.
		const off = bestFeature * rows;
		let i = start;
		let j = end - 1;
		while (i <= j) {
			if (bins[off + idx[i]] <= bestBin) i++;
			else {
				const tmp = idx[i];
				idx[i] = idx[j];
				idx[j] = tmp;
				j--;
			}
		}
		feature[node] = bestFeature;
		threshold[node] = thresholds[bestFeature][bestBin];
		left[node] = grow(start, i, depth + 1);
		right[node] = grow(i, end, depth + 1);
		return node;
	};

	grow(0, count, 0);
	return {
		feature: Int32Array.from(feature),
		threshold: Float64Array.from(threshold),
		left: Int32Array.from(left),
		right: Int32Array.from(right),
		value: Float64Array.from(value),
		cover: Float64Array.from(cover),
	};
}

/** Positive-class share of the leaf each row of X falls in. */
export function predictTree(
	tree: Tree,
	X: Matrix,
	out: Float64Array,
	scale = 1,
): void {
	const { feature, threshold, left, right, value } = tree;
	const { rows, cols, data } = X;
	for (let i = 0; i < rows; i++) {
		let node = 0;
		const off = i * cols;
		while (feature[node] >= 0) {
			node =
				data[off + feature[node]] <= threshold[node] ? left[node] : right[node];
		}
		out[i] += value[node] * scale;
	}
}
