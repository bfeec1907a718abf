/**
 * Two-sample Kolmogorov–Smirnov test, two-sided: a port of
 * `scipy.stats.ks_2samp` from scipy 1.17.1 (scipy/stats/_stats_py.py), so
 * statistic and p-value match scipy's (docs/data-contract.md §7).
 *
 * - method "auto": exact when both samples have at most 10,000 values, else
 *   asymptotic; an exact attempt whose p-value falls outside [0, 1] falls back
 *   to asymptotic (as scipy does, minus the warning).
 * - method "exact" with lcm(n1, n2) too large for int32 switches to asymptotic.
 * - asymptotic: `kstwo.sf(d, round(n1·n2/(n1+n2)))`, the exact one-sample
 *   distribution at the effective size (ks-kolmogn.ts).
 *
 * NaNs are dropped from each sample first (scipy's `nan_policy="omit"`, not
 * its default "propagate", which would return NaN): the drift monitor
 * compares columns with legitimate nulls. A sample with no value left is an
 * error here (scipy returns NaN with a warning).
 */
import { attemptExact2Sample, gcd, roundHalfEven } from "./ks-exact.ts";
import { kstwoSf } from "./ks-kolmogn.ts";

export type KsMethod = "auto" | "exact" | "asymp";

export interface KsResult {
	statistic: number;
	pvalue: number;
	/** The method that produced the p-value (after any fallback). */
	method: "exact" | "asymp";
}

/** scipy's MAX_AUTO_N: "auto" is exact when both sizes are at most this. */
export const MAX_AUTO_N = 10000;
const INT32_MAX = 2147483647;

function sortedWithoutNaN(
	values: ArrayLike<number>,
	label: string,
): Float64Array {
	const out = new Float64Array(values.length);
	let n = 0;
	for (let i = 0; i < values.length; i++) {
		const v = values[i];
		if (!Number.isNaN(v)) out[n++] = v;
	}
	if (n === 0)
		throw new RangeError(`ks2samp: ${label} has no (non-NaN) values`);
	return out.subarray(0, n).sort();
}

/**
 * D = sup |F1 − F2| over the pooled values, with F1, F2 computed as scipy
 * does (count/n, then the difference), so D is bit-identical.
 */
function statistic(x: Float64Array, y: Float64Array): number {
	const n1 = x.length;
	const n2 = y.length;
	let i = 0;
	let j = 0;
	let maxS = Number.NEGATIVE_INFINITY;
	let minDiff = Number.POSITIVE_INFINITY;
	while (i < n1 || j < n2) {
		const v = j >= n2 || (i < n1 && x[i] <= y[j]) ? x[i] : y[j];
		while (i < n1 && x[i] <= v) i++;
		while (j < n2 && y[j] <= v) j++;
		const diff = i / n1 - j / n2;
		if (diff > maxS) maxS = diff;
		if (diff < minDiff) minDiff = diff;
	}
	const minS = Math.min(Math.max(-minDiff, 0), 1);
	// scipy picks minS only when strictly larger (decides statistic_sign); the value is the max.
	return Math.max(minS, maxS);
}

export function ks2samp(
	a: ArrayLike<number>,
	b: ArrayLike<number>,
	method: KsMethod = "auto",
): KsResult {
	if (method !== "auto" && method !== "exact" && method !== "asymp")
		throw new RangeError(`ks2samp: unknown method "${String(method)}"`);
	const x = sortedWithoutNaN(a, "sample a");
	const y = sortedWithoutNaN(b, "sample b");
	const n1 = x.length;
	const n2 = y.length;
	let d = statistic(x, y);

	const g = gcd(n1, n2);
	const n1g = Math.trunc(n1 / g);
	const n2g = Math.trunc(n2 / g);
	let mode: "exact" | "asymp";
	if (method === "auto")
		mode = Math.max(n1, n2) <= MAX_AUTO_N ? "exact" : "asymp";
	else if (method === "exact" && n1g >= INT32_MAX / n2g)
		mode = "asymp"; // lcm too big
	else mode = method;

	let prob = Number.NaN;
	if (mode === "exact") {
		const attempt = attemptExact2Sample(n1, n2, g, d);
		d = attempt.d;
		if (attempt.success) prob = attempt.prob;
		else mode = "asymp";
	}
	if (mode === "asymp") {
		const m = Math.max(n1, n2);
		const n = Math.min(n1, n2);
		const en = (m * n) / (m + n);
		prob = kstwoSf(d, roundHalfEven(en));
	}
	return { statistic: d, pvalue: Math.min(Math.max(prob, 0), 1), method: mode };
}
