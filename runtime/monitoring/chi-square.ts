/**
 * Pearson's chi-square test of homogeneity for two samples of a categorical
 * (or 0/1) variable, as `scipy.stats.chi2_contingency` computes it on the
 * 2 × k table of counts (reference, current) × category: expected counts from
 * the margins, dof = k − 1 and, as scipy's default `correction=True`, Yates'
 * continuity correction when dof = 1 (each |observed − expected| reduced by
 * up to 0.5). Categories absent from both samples do not exist here; a
 * category seen on one side only is a column with a zero cell, which the test
 * handles (its expected count is positive). docs/drift.md explains the choice.
 *
 * The p-value is the chi-square survival function, the regularised upper
 * incomplete gamma Q(dof/2, x/2) (series below a + 1, Lentz continued
 * fraction above, as in Numerical Recipes §6.2), accurate to ~1e-14.
 */

export interface ChiSquareResult {
	statistic: number;
	pvalue: number;
	dof: number;
}

const EPS = 1e-16;
const MAX_ITER = 10_000;

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; relative error ~1e-15). */
export function logGamma(x: number): number {
	const c = [
		0.99999999999980993, 676.5203681218851, -1259.1392167224028,
		771.32342877765313, -176.61502916214059, 12.507343278686905,
		-0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
	];
	if (x < 0.5)
		return (
			Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x)
		);
	const z = x - 1;
	let a = c[0];
	const t = z + 7.5;
	for (let i = 1; i < 9; i++) a += c[i] / (z + i);
	return (
		0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a)
	);
}

/** Regularised upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a). */
export function gammaQ(a: number, x: number): number {
	if (!(a > 0) || !(x >= 0)) return Number.NaN;
	if (x === 0) return 1;
	const lnPre = a * Math.log(x) - x - logGamma(a);
	if (x < a + 1) {
		// P(a, x) by its series; Q = 1 − P.
		let ap = a;
		let del = 1 / a;
		let sum = del;
		for (let n = 0; n < MAX_ITER; n++) {
			ap += 1;
			del *= x / ap;
			sum += del;
			if (Math.abs(del) < Math.abs(sum) * EPS) break;
		}
		return Math.max(0, 1 - sum * Math.exp(lnPre));
	}
	// Q(a, x) by its continued fraction (modified Lentz).
	const tiny = 1e-300;
	let b = x + 1 - a;
	let c = 1 / tiny;
	let d = 1 / b;
	let h = d;
	for (let i = 1; i < MAX_ITER; i++) {
		const an = -i * (i - a);
		b += 2;
		d = an * d + b;
		if (Math.abs(d) < tiny) d = tiny;
		c = b + an / c;
		if (Math.abs(c) < tiny) c = tiny;
		d = 1 / d;
		const del = d * c;
		h *= del;
		if (Math.abs(del - 1) < EPS) break;
	}
	return Math.min(1, Math.exp(lnPre) * h);
}

/** P(X ≥ x) for X ~ chi-square with `dof` degrees of freedom (scipy.stats.chi2.sf). */
export function chiSquareSf(x: number, dof: number): number {
	if (!(dof > 0)) return Number.NaN;
	if (x <= 0) return 1;
	return gammaQ(dof / 2, x / 2);
}

/**
 * Chi-square test of homogeneity of two count vectors over the same
 * categories (scipy.stats.chi2_contingency([reference, current])). With fewer
 * than two categories observed there is nothing to compare: statistic 0, p 1,
 * dof 0.
 */
export function chiSquareHomogeneity(
	reference: readonly number[],
	current: readonly number[],
): ChiSquareResult {
	if (reference.length !== current.length)
		throw new RangeError(
			`chi-square: ${reference.length} reference categories but ${current.length} current`,
		);
	const cols: Array<[number, number]> = [];
	for (let j = 0; j < reference.length; j++) {
		const r = reference[j];
		const c = current[j];
		if (!(r >= 0 && c >= 0))
			throw new RangeError(`chi-square: category ${j} has count ${r} / ${c}`);
		if (r + c > 0) cols.push([r, c]);
	}
	const nRef = cols.reduce((a, [r]) => a + r, 0);
	const nCur = cols.reduce((a, [, c]) => a + c, 0);
	const dof = cols.length - 1;
	if (dof < 1 || nRef === 0 || nCur === 0)
		return { statistic: 0, pvalue: 1, dof: Math.max(dof, 0) };
	const total = nRef + nCur;
	let statistic = 0;
	for (const [r, c] of cols) {
		const colTotal = r + c;
		for (const [obs, rowTotal] of [
			[r, nRef],
			[c, nCur],
		] as const) {
			const expected = (rowTotal * colTotal) / total;
			let diff = Math.abs(obs - expected);
			// Yates (scipy: only when dof = 1, never past zero).
			if (dof === 1) diff = Math.max(0, diff - 0.5);
			statistic += (diff * diff) / expected;
		}
	}
	return { statistic, pvalue: chiSquareSf(statistic, dof), dof };
}
