/** Small statistics over a customer's monthly series (month order). */

export function sum(xs: readonly number[]): number {
	let s = 0;
	for (const x of xs) s += x;
	return s;
}

/** Mean; null for an empty series. */
export function mean(xs: readonly number[]): number | null {
	return xs.length === 0 ? null : sum(xs) / xs.length;
}

/**
 * Sample standard deviation (n − 1, as pandas). Decision: one value → 0 (no
 * variation observed), no value → null (nothing observed). A constant series
 * is exactly 0, not the ~1e-17 that summation round-off would leave.
 */
export function sampleStd(xs: readonly number[]): number | null {
	if (xs.length === 0) return null;
	if (xs.every((x) => x === xs[0])) return 0;
	const m = sum(xs) / xs.length;
	let ss = 0;
	for (const x of xs) ss += (x - m) ** 2;
	return Math.sqrt(ss / (xs.length - 1));
}

/** (last − first) / first; 0 when the first value is ≤ 0 or the series is empty. */
export function relativeTrend(xs: readonly number[]): number {
	if (xs.length === 0 || xs[0] <= 0) return 0;
	return (xs[xs.length - 1] - xs[0]) / xs[0];
}

/** Tolerance so that a move of exactly the threshold (0.151 − 0.150) is not counted by float noise. */
const EPS = 1e-9;

/** Number of consecutive pairs that differ by more than `threshold`. */
export function countMoves(xs: readonly number[], threshold: number): number {
	let moves = 0;
	for (let i = 1; i < xs.length; i++)
		if (Math.abs(xs[i] - xs[i - 1]) > threshold + EPS) moves++;
	return moves;
}

/**
 * Mean of the last 3 values − mean of the 3 before. Decision: both windows
 * must be full, so fewer than 6 months means "no earlier window" → 0.
 */
export function rollingMarginTrend(margins: readonly number[]): number {
	const n = margins.length;
	if (n < 6) return 0;
	return (sum(margins.slice(n - 3)) - sum(margins.slice(n - 6, n - 3))) / 3;
}
