/**
 * Pre-binning of features for the histogram CART (as LightGBM / XGBoost-hist).
 * A feature with ≤ maxBins distinct values keeps one bin per value, so its
 * split candidates are exactly sklearn's (midpoints between consecutive
 * distinct values); a feature with more gets ≤ maxBins quantile bins whose
 * edges are still midpoints between two observed values. The split search
 * then scans ≤ 256 bins per feature instead of every row, which is what
 * makes depth-8 trees on 16,000 rows take milliseconds.
 */
import type { Matrix } from "../../types.ts";

export interface BinnedMatrix {
	readonly rows: number;
	readonly cols: number;
	/** Column-major bin index per cell: bins[f * rows + i]. */
	readonly bins: Uint8Array;
	/** thresholds[f][b]: raw value separating bin b (x ≤ t) from bin b+1. */
	readonly thresholds: Float64Array[];
}

export const MAX_BINS = 256;

function midpoint(a: number, b: number): number {
	const m = (a + b) / 2;
	// sklearn's guard: if rounding lands on the upper value, use the lower one.
	return m === b ? a : m;
}

/** Bin edges of one feature from its sorted values. */
export function featureThresholds(
	sorted: Float64Array,
	maxBins: number,
): Float64Array {
	const distinct: number[] = [];
	for (let i = 0; i < sorted.length; i++) {
		if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]);
	}
	const cuts: number[] = [];
	if (distinct.length <= maxBins) {
		for (let k = 0; k + 1 < distinct.length; k++)
			cuts.push(midpoint(distinct[k], distinct[k + 1]));
		return Float64Array.from(cuts);
	}
	// Quantile edges: the value at each 1/maxBins quantile closes a bin; a heavy
	// value that spans several quantiles closes only one.
	const n = sorted.length;
	let lastUpper = Number.NEGATIVE_INFINITY;
	for (let q = 1; q < maxBins; q++) {
		const upper = sorted[Math.min(n - 1, Math.floor((q * n) / maxBins) - 1)];
		if (upper <= lastUpper) continue;
		// next distinct value above `upper`
		let lo = 0;
		let hi = n;
		while (lo < hi) {
			const mid = (lo + hi) >>> 1;
			if (sorted[mid] <= upper) lo = mid + 1;
			else hi = mid;
		}
		if (lo >= n) break;
		cuts.push(midpoint(upper, sorted[lo]));
		lastUpper = upper;
	}
	return Float64Array.from(cuts);
}

/** Index of the bin of `x`: the first threshold with x ≤ t, else the last bin. */
export function binOf(thresholds: Float64Array, x: number): number {
	let lo = 0;
	let hi = thresholds.length;
	while (lo < hi) {
		const mid = (lo + hi) >>> 1;
		if (x <= thresholds[mid]) hi = mid;
		else lo = mid + 1;
	}
	return lo;
}

export function binMatrix(
	X: Matrix,
	maxBins = MAX_BINS,
	buffer?: ArrayBufferLike,
): BinnedMatrix {
	if (maxBins < 2 || maxBins > 256)
		throw new RangeError(`maxBins must be in [2, 256], got ${maxBins}`);
	const { rows, cols, data } = X;
	const bins = new Uint8Array(buffer ?? new ArrayBuffer(rows * cols));
	const thresholds: Float64Array[] = [];
	const column = new Float64Array(rows);
	for (let f = 0; f < cols; f++) {
		for (let i = 0; i < rows; i++) column[i] = data[i * cols + f];
		const sorted = column.slice().sort();
		const t = featureThresholds(sorted, maxBins);
		thresholds.push(t);
		const off = f * rows;
		for (let i = 0; i < rows; i++) bins[off + i] = binOf(t, column[i]);
	}
	return { rows, cols, bins, thresholds };
}
