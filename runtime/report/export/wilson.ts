/**
 * Wilson score interval of a binomial proportion (Wilson 1927; what
 * statsmodels' `proportion_confint(method="wilson")` computes): unlike the
 * normal ("Wald") interval it stays inside [0, 1] and keeps a sensible width
 * at 0 or n successes, which small report bars (a rare segment, a bucket of a
 * few dozen customers) have.
 */

/** z of a two-sided 95 % interval (the normal's 0.975 quantile). */
export const Z_95 = 1.959963984540054;

export interface Interval {
	low: number;
	high: number;
}

/** The interval of `successes` out of `n` (n > 0, 0 ≤ successes ≤ n). */
export function wilsonInterval(
	successes: number,
	n: number,
	z = Z_95,
): Interval {
	if (!(n > 0) || !(successes >= 0 && successes <= n))
		throw new RangeError(`wilson interval: ${successes} of ${n}`);
	const p = successes / n;
	const z2 = z * z;
	const denom = 1 + z2 / n;
	const centre = (p + z2 / (2 * n)) / denom;
	const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
	// At 0 or n successes the bound is exactly 0 or 1 (the formula leaves ~1e-17 of rounding).
	return {
		low: successes === 0 ? 0 : Math.max(0, centre - half),
		high: successes === n ? 1 : Math.min(1, centre + half),
	};
}
