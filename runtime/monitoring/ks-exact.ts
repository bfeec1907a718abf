/**
 * Exact two-sided p-value of the two-sample Kolmogorov–Smirnov statistic,
 * ported from scipy 1.17.1: `_compute_prob_outside_square` and
 * `_attempt_exact_2kssamp` (scipy/stats/_stats_py.py) and
 * `_compute_outer_prob_inside_method` (scipy/stats/_stats_pythran.py).
 * Lattice-path counting after Hodges (1958), computed as 1 − p directly
 * (Viehmann 2021) for numerical stability.
 */

/** numpy's round(): half to even. */
export function roundHalfEven(x: number): number {
	const f = Math.floor(x);
	const diff = x - f;
	if (diff < 0.5) return f;
	if (diff > 0.5) return f + 1;
	return f % 2 === 0 ? f : f + 1;
}

export function gcd(a: number, b: number): number {
	let x = a;
	let y = b;
	while (y !== 0) [x, y] = [y, x % y];
	return x;
}

/**
 * Pr(D_{n,n} >= h/n), the proportion of paths leaving the band |x−y| < h:
 * 2·(C(2n,n−h) − C(2n,n−2h) + …)/C(2n,n) in Horner form to limit cancellation.
 */
export function probOutsideSquare(n: number, h: number): number {
	let P = 0.0;
	let k = Math.floor(n / h);
	while (k >= 0) {
		let p1 = 1.0;
		for (let j = 0; j < h; j++)
			p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
		P = p1 * (1.0 - P);
		k -= 1;
	}
	return 2 * P;
}

/**
 * Proportion of lattice paths (0,0)→(m,n) that do not stay strictly inside
 * |x/m − y/n| < h/lcm(m,n); g = gcd(m, n). Keeps one sliding column.
 */
export function outerProbInside(
	m0: number,
	n0: number,
	g: number,
	h: number,
): number {
	// Symmetric in m, n; the computation uses m >= n.
	const m = Math.max(m0, n0);
	const n = Math.min(m0, n0);
	const mg = Math.trunc(m / g);
	const ng = Math.trunc(n / g);
	let minj = 0;
	let maxj = Math.min(Math.ceil(h / mg), n + 1);
	let curlen = maxj - minj;
	const lenA = Math.min(2 * maxj + 2, n + 1);
	const A = new Float64Array(lenA).fill(1);
	A.fill(0.0, minj, maxj);
	for (let i = 1; i <= m; i++) {
		const lastminj = minj;
		const lastlen = curlen;
		minj = Math.max(Math.floor((ng * i - h) / mg) + 1, 0);
		minj = Math.min(minj, n);
		maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
		if (maxj <= minj) return 1.0;
		let val = minj === 0 ? 0.0 : 1.0;
		for (let jj = 0; jj < maxj - minj; jj++) {
			const j = jj + minj;
			val = (A[jj + minj - lastminj] * i + val * j) / (i + j);
			A[jj] = val;
		}
		curlen = maxj - minj;
		// Carried-over elements beyond the new window are "outside" (1).
		if (lastlen > curlen)
			A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
	}
	return A[maxj - minj - 1];
}

export interface ExactAttempt {
	success: boolean;
	/** The statistic snapped to the lattice, h / lcm(n1, n2). */
	d: number;
	prob: number;
}

/**
 * `_attempt_exact_2kssamp`, two-sided. Fails when p is not in [0, 1]: in
 * floating point 2·P can round just above 1 (e.g. n1 = n2 = 5, d = 1/5), and
 * scipy then falls back to the asymptotic p-value.
 */
export function attemptExact2Sample(
	n1: number,
	n2: number,
	g: number,
	d0: number,
): ExactAttempt {
	const lcm = Math.trunc(n1 / g) * n2;
	const h = roundHalfEven(d0 * lcm);
	const d = (h * 1.0) / lcm;
	if (h === 0) return { success: true, d, prob: 1.0 };
	const prob =
		n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
	if (!(prob >= 0 && prob <= 1)) return { success: false, d, prob };
	return { success: true, d, prob };
}
