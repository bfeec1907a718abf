/**
 * How large a distribution shift is, independent of the sample size (a
 * p-value only says whether it is real). The drift monitor's effect sizes and
 * thresholds follow Evidently's defaults for reference data above 1,000 rows
 * (docs/drift.md):
 *
 * - continuous: Wasserstein-1 distance divided by the reference's standard
 *   deviation (population, ddof 0) — "normed Wasserstein", threshold 0.1;
 * - binary and categorical: Jensen–Shannon distance of the category shares
 *   (scipy.spatial.distance.jensenshannon, natural log: √JSD, in [0, √ln 2]),
 *   threshold 0.1;
 * - the population stability index is reported beside both (credit-risk
 *   convention: < 0.1 stable, 0.1–0.25 moderate, > 0.25 large), on the shares
 *   of categories or reference-decile bins, a zero share replaced by 1e-4 as
 *   Evidently does.
 */

/** First Wasserstein distance between two empirical distributions (scipy.stats.wasserstein_distance). */
export function wasserstein1(
	a: ArrayLike<number>,
	b: ArrayLike<number>,
): number {
	if (a.length === 0 || b.length === 0) return Number.NaN;
	const x = Float64Array.from(a).sort();
	const y = Float64Array.from(b).sort();
	// ∫ |F_a(t) − F_b(t)| dt over the merged support.
	let i = 0;
	let j = 0;
	let prev = Math.min(x[0], y[0]);
	let dist = 0;
	while (i < x.length || j < y.length) {
		const next = j >= y.length || (i < x.length && x[i] <= y[j]) ? x[i] : y[j];
		dist += Math.abs(i / x.length - j / y.length) * (next - prev);
		while (i < x.length && x[i] === next) i++;
		while (j < y.length && y[j] === next) j++;
		prev = next;
	}
	return dist;
}

/** Population standard deviation (ddof 0). */
export function populationStd(v: ArrayLike<number>): number {
	if (v.length === 0) return Number.NaN;
	let mean = 0;
	for (let i = 0; i < v.length; i++) mean += v[i];
	mean /= v.length;
	let ss = 0;
	for (let i = 0; i < v.length; i++) ss += (v[i] - mean) ** 2;
	return Math.sqrt(ss / v.length);
}

/**
 * Wasserstein distance in units of the reference's standard deviation. A
 * constant reference has no scale: then the pooled standard deviation of both
 * samples is used (0 only when both are the same constant, distance 0).
 */
export function normedWasserstein(
	reference: ArrayLike<number>,
	current: ArrayLike<number>,
): number {
	const d = wasserstein1(reference, current);
	if (d === 0) return 0;
	let scale = populationStd(reference);
	if (!(scale > 0)) {
		const pooled = new Float64Array(reference.length + current.length);
		pooled.set(Float64Array.from(reference));
		pooled.set(Float64Array.from(current), reference.length);
		scale = populationStd(pooled);
	}
	return d / scale;
}

function shares(counts: readonly number[]): number[] {
	const total = counts.reduce((a, b) => a + b, 0);
	return counts.map((c) => (total > 0 ? c / total : 0));
}

/** Jensen–Shannon distance (natural log) between two count vectors over the same categories. */
export function jensenShannon(
	reference: readonly number[],
	current: readonly number[],
): number {
	const p = shares(reference);
	const q = shares(current);
	let js = 0;
	for (let k = 0; k < p.length; k++) {
		const m = (p[k] + q[k]) / 2;
		if (p[k] > 0) js += 0.5 * p[k] * Math.log(p[k] / m);
		if (q[k] > 0) js += 0.5 * q[k] * Math.log(q[k] / m);
	}
	return Math.sqrt(Math.max(0, js));
}

/** Share used in place of an empty bin (Evidently's `feel_zeroes`). */
export const PSI_ZERO_SHARE = 1e-4;

/** Population stability index Σ (q − p)·ln(q / p) over bins (p reference share, q current share). */
export function psi(
	reference: readonly number[],
	current: readonly number[],
): number {
	const p = shares(reference).map((s) => (s === 0 ? PSI_ZERO_SHARE : s));
	const q = shares(current).map((s) => (s === 0 ? PSI_ZERO_SHARE : s));
	let out = 0;
	for (let k = 0; k < p.length; k++)
		out += (q[k] - p[k]) * Math.log(q[k] / p[k]);
	return out;
}
