/**
 * The exact distribution of the two-sided one-sample Kolmogorov–Smirnov
 * statistic D_n, `scipy.stats.kstwo`. Port of `scipy/stats/_ksstats.py`
 * (`_kolmogn` and helpers) and of `kstwo.sf`'s support handling, scipy 1.17.1.
 *
 * Simard & L'Ecuyer (2011) choose, by n and n·d², between: Ruben–Gambino
 * closed forms at the extremes, 2·smirnov (exact for d >= 1/2, a tight bound
 * in the upper tail), Durbin's matrix method (Marsaglia–Tsang–Wang), the
 * Pomeranz recursion, and the Pelz–Good asymptotic series.
 *
 * scipy keeps some rescaled intermediates in x87 long double; this port uses
 * doubles throughout, a difference of a few ulps.
 */
import { ldexp, smirnovSf } from "./ks-smirnov.ts";

const E128 = 128;
const EP128 = 2 ** 128;
const EM128 = 2 ** -128;
const SQRT2PI = 2.5066282746310002;
const LOG_2PI = 1.8378770664093453;
const MIN_LOG = -708;
const SQRT3 = 1.7320508075688772;
const PI_SQUARED = 9.869604401089358;
const PI_FOUR = 97.40909103400242;
const PI_SIX = 961.3891935753043;
/** B_{2j}/(2j)/(2j−1) for j = 8..1 (Stirling series), as the doubles scipy's literals round to. */
const STIRLING_COEFFS = [
	-0.029550653594771242, 0.00641025641025641, -0.0019175269175269176,
	0.0008417508417508417, -0.0005952380952380953, 0.0007936507936507937,
	-0.002777777777777778, 0.08333333333333333,
];

function clip01(p: number): number {
	return Math.min(Math.max(p, 0), 1);
}

function selectAndClip(cdfprob: number, sfprob: number, cdf: boolean): number {
	return clip01(cdf ? cdfprob : sfprob);
}

function polyval(coeffs: readonly number[], x: number): number {
	let y = 0;
	for (const c of coeffs) y = y * x + c;
	return y;
}

/** log(n! / n^n) by Stirling, with n·log(n) removed up front to avoid cancellation. */
function logNFactorialDivNPowN(n: number): number {
	const rn = 1.0 / n;
	return (
		Math.log(n) / 2 - n + LOG_2PI / 2 + rn * polyval(STIRLING_COEFFS, rn / n)
	);
}

/** numpy's pairwise summation (np.sum on a contiguous float64 array). */
function npSum(a: Float64Array, start = 0, n = a.length): number {
	if (n < 8) {
		let res = 0;
		for (let i = 0; i < n; i++) res += a[start + i];
		return res;
	}
	if (n <= 128) {
		const r = new Float64Array(8);
		for (let j = 0; j < 8; j++) r[j] = a[start + j];
		let i = 8;
		for (; i < n - (n % 8); i += 8)
			for (let j = 0; j < 8; j++) r[j] += a[start + i + j];
		let res = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
		for (; i < n; i++) res += a[start + i];
		return res;
	}
	let n2 = Math.floor(n / 2);
	n2 -= n2 % 8;
	return npSum(a, start, n2) + npSum(a, start + n2, n - n2);
}

function matmul(A: Float64Array, B: Float64Array, m: number): Float64Array {
	const C = new Float64Array(m * m);
	for (let i = 0; i < m; i++) {
		for (let l = 0; l < m; l++) {
			const a = A[i * m + l];
			if (a === 0) continue;
			for (let j = 0; j < m; j++) C[i * m + j] += a * B[l * m + j];
		}
	}
	return C;
}

/** Pr(D_n <= d): Durbin's matrix algorithm as Marsaglia, Tsang & Wang compute it. */
function kolmognDMTW(n: number, d: number): number {
	if (d >= 1.0) return 1.0;
	const nd = n * d;
	if (nd <= 0.5) return 0.0;
	const k = Math.ceil(nd);
	const h = k - nd;
	const m = 2 * k - 1;

	let H: Float64Array = new Float64Array(m * m);
	// v: first column (and reversed last row) of H; w[j] = 1/j!.
	const v = new Float64Array(m);
	const w = new Float64Array(m);
	for (let j = 1; j <= m; j++) v[j - 1] = 1.0 - h ** j;
	let fac = 1.0;
	for (let j = 1; j <= m; j++) {
		w[j - 1] = fac;
		fac /= j; // may underflow, harmlessly
		v[j - 1] *= fac;
	}
	const tt = Math.max(2 * h - 1.0, 0) ** m - 2 * h ** m;
	v[m - 1] = (1.0 + tt) * fac;
	for (let i = 1; i < m; i++)
		for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - (i - 1)];
	for (let r = 0; r < m; r++) H[r * m] = v[r];
	for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c];

	let Hpwr: Float64Array = new Float64Array(m * m);
	for (let i = 0; i < m; i++) Hpwr[i * m + i] = 1;
	let nn = n;
	let expnt = 0; // scaling of Hpwr
	let Hexpnt = 0; // scaling of H
	while (nn > 0) {
		if (nn % 2) {
			Hpwr = matmul(Hpwr, H, m);
			expnt += Hexpnt;
		}
		H = matmul(H, H, m);
		Hexpnt *= 2;
		if (Math.abs(H[(k - 1) * m + (k - 1)]) > EP128) {
			for (let i = 0; i < H.length; i++) H[i] /= EP128;
			Hexpnt += E128;
		}
		nn = Math.floor(nn / 2);
	}
	let p = Hpwr[(k - 1) * m + (k - 1)];
	// Multiply by n!/n^n.
	for (let i = 1; i <= n; i++) {
		p = (i * p) / n;
		if (Math.abs(p) < EM128) {
			p *= EP128;
			expnt -= E128;
		}
	}
	if (expnt !== 0) p = ldexp(p, expnt);
	return clip01(p);
}

/** Endpoints of the non-zero interval of row i of the Pomeranz recursion. */
function pomeranzJ1J2(
	i: number,
	n: number,
	ll: number,
	ceilf: number,
	roundf: number,
): [number, number] {
	let j1: number;
	let j2: number;
	if (i === 0) {
		j1 = -ll - ceilf - 1;
		j2 = ll + ceilf - 1;
	} else {
		const ip1div2 = Math.floor((i + 1) / 2);
		const ip1mod2 = (i + 1) % 2;
		if (ip1mod2 === 0) {
			if (ip1div2 === n + 1) {
				j1 = n - ll - ceilf - 1;
				j2 = n + ll + ceilf - 1;
			} else {
				j1 = ip1div2 - 1 - ll - roundf - 1;
				j2 = ip1div2 + ll - 1 + ceilf - 1;
			}
		} else {
			j1 = ip1div2 - 1 - ll - 1;
			j2 = ip1div2 + ll + roundf - 1;
		}
	}
	return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** Python slice a[start:stop] (negative bounds count from the end). */
function pySlice(a: Float64Array, start: number, stop: number): Float64Array {
	const len = a.length;
	const s = start < 0 ? Math.max(len + start, 0) : Math.min(start, len);
	const e = stop < 0 ? Math.max(len + stop, 0) : Math.min(stop, len);
	return a.subarray(s, Math.max(s, e));
}

/** np.convolve(a, b), mode "full". */
function convolve(a: Float64Array, b: Float64Array): Float64Array {
	const out = new Float64Array(a.length + b.length - 1);
	for (let i = 0; i < a.length; i++) {
		const ai = a[i];
		if (ai === 0) continue;
		for (let j = 0; j < b.length; j++) out[i + j] += ai * b[j];
	}
	return out;
}

/** Pr(D_n <= x) by the Pomeranz (1974) recursion. */
function kolmognPomeranz(n: number, x: number): number {
	const t = n * x;
	const ll = Math.floor(t);
	const f = 1.0 * (t - ll);
	const g = Math.min(f, 1.0 - f);
	const ceilf = f > 0 ? 1 : 0;
	const roundf = f > 0.5 ? 1 : 0;
	const npwrs = 2 * (ll + 1);
	// (g/n)^m/m!, (2g/n)^m/m!, ((1−2g)/n)^m/m!: Poisson probabilities without their normaliser.
	const gpower = new Float64Array(npwrs);
	const twogpower = new Float64Array(npwrs);
	const onem2gpower = new Float64Array(npwrs);
	gpower[0] = 1.0;
	twogpower[0] = 1.0;
	onem2gpower[0] = 1.0;
	let expnt = 0;
	const gOverN = g / n;
	const twoGOverN = (2 * g) / n;
	const oneMinusTwoGOverN = (1 - 2 * g) / n;
	for (let m = 1; m < npwrs; m++) {
		gpower[m] = (gpower[m - 1] * gOverN) / m;
		twogpower[m] = (twogpower[m - 1] * twoGOverN) / m;
		onem2gpower[m] = (onem2gpower[m - 1] * oneMinusTwoGOverN) / m;
	}

	let V0 = new Float64Array(npwrs);
	let V1 = new Float64Array(npwrs);
	V1[0] = 1;
	let V0s = 0;
	let V1s = 0;
	let [j1, j2] = pomeranzJ1J2(0, n, ll, ceilf, roundf);
	for (let i = 1; i < 2 * n + 2; i++) {
		const k1 = j1;
		[V0, V1] = [V1, V0];
		[V0s, V1s] = [V1s, V0s];
		V1.fill(0.0);
		[j1, j2] = pomeranzJ1J2(i, n, ll, ceilf, roundf);
		const pwrs =
			i === 1 || i === 2 * n + 1 ? gpower : i % 2 ? twogpower : onem2gpower;
		const ln2 = j2 - k1 + 1;
		if (ln2 > 0) {
			const conv = convolve(
				pySlice(V0, k1 - V0s, k1 - V0s + ln2),
				pwrs.subarray(0, ln2),
			);
			const convStart = j1 - k1;
			const convLen = j2 - j1 + 1;
			V1.set(conv.subarray(convStart, convStart + convLen), 0);
			// Scale to avoid underflow.
			let max = Number.NEGATIVE_INFINITY;
			for (const value of V1) if (value > max) max = value;
			if (max > 0 && max < EM128) {
				for (let q = 0; q < V1.length; q++) V1[q] *= EP128;
				expnt -= E128;
			}
			V1s = V0s + j1 - k1;
		}
	}
	// Multiply by n!.
	const idx = n - V1s;
	let ans = V1[idx < 0 ? V1.length + idx : idx];
	for (let m = 1; m <= n; m++) {
		if (Math.abs(ans) > EP128) {
			ans *= EM128;
			expnt += E128;
		}
		ans *= m;
	}
	if (expnt !== 0) ans = ldexp(ans, expnt);
	return clip01(ans);
}

/** Pelz–Good approximation of Pr(D_n <= x) (small z = x·sqrt(n)). */
function kolmognPelzGood(n: number, x: number): number {
	if (x <= 0.0) return 0.0;
	if (x >= 1.0) return 1.0;
	const z = Math.sqrt(n) * x;
	const zsquared = z ** 2;
	const zthree = z ** 3;
	const zfour = z ** 4;
	const zsix = z ** 6;

	const qlog = -PI_SQUARED / 8 / zsquared;
	if (qlog < MIN_LOG) return 0.0; // z ~ 0.0417
	let q = Math.exp(qlog);

	const k1a = -zsquared;
	const k1b = PI_SQUARED / 4;
	const k2a = 6 * zsix + 2 * zfour;
	const k2b = ((2 * zfour - 5 * zsquared) * PI_SQUARED) / 4;
	const k2c = (PI_FOUR * (1 - 2 * zsquared)) / 16;
	const k3d = (PI_SIX * (5 - 30 * zsquared)) / 64;
	const k3c = (PI_FOUR * (-60 * zsquared + 212 * zfour)) / 16;
	const k3b = (PI_SQUARED * (135 * zfour - 96 * zsix)) / 4;
	const k3a = -30 * zsix - 90 * z ** 8;

	const K = [0, 0, 0, 0];
	// Horner scheme for sum c_i q^(i^2) over odd i.
	const maxk = Math.ceil((16 * z) / Math.PI);
	for (let k = maxk; k > 0; k--) {
		const m = 2 * k - 1;
		const msquared = m ** 2;
		const mfour = m ** 4;
		const msix = m ** 6;
		const qpower = q ** (8 * k);
		const coeffs = [
			1.0,
			k1a + k1b * msquared,
			k2a + k2b * msquared + k2c * mfour,
			k3a + k3b * msquared + k3c * mfour + k3d * msix,
		];
		for (let i = 0; i < 4; i++) K[i] = K[i] * qpower + coeffs[i];
	}
	const divisors = [z, 6 * zfour, 72 * z ** 7, 6480 * z ** 10];
	for (let i = 0; i < 4; i++) K[i] = (K[i] * q * SQRT2PI) / divisors[i];

	// The other sum, over all integers k, for K_2 and K_3.
	q = Math.exp(-PI_SQUARED / 2 / zsquared);
	const sqrt3z = SQRT3 * z;
	const k2terms = new Float64Array(maxk);
	const k3terms = new Float64Array(maxk);
	for (let i = 0; i < maxk; i++) {
		const k = maxk - i;
		const ksquared = k ** 2;
		const kspi = Math.PI * k;
		const qpwer = q ** ksquared;
		k2terms[i] = ksquared * qpwer;
		k3terms[i] = (sqrt3z + kspi) * (sqrt3z - kspi) * ksquared * qpwer;
	}
	let k2extra = npSum(k2terms);
	k2extra *= (PI_SQUARED * SQRT2PI) / (-36 * zthree);
	K[2] += k2extra;
	let k3extra = npSum(k3terms);
	k3extra *= (PI_SQUARED * SQRT2PI) / (216 * zsix);
	K[3] += k3extra;
	for (let i = 0; i < 4; i++) K[i] /= (n * 1.0) ** (i / 2.0);
	return K[0] + K[1] + K[2] + K[3];
}

/** scipy `_kolmogn(n, x, cdf)`: Pr(D_n <= x), or Pr(D_n > x) when cdf is false. */
export function kolmogn(n: number, x: number, cdf: boolean): number {
	if (Number.isNaN(n)) return n;
	if (!Number.isInteger(n) || n <= 0) return Number.NaN;
	if (x >= 1.0) return selectAndClip(1.0, 0.0, cdf);
	if (x <= 0.0) return selectAndClip(0.0, 1.0, cdf);
	const t = n * x;
	if (t <= 1.0) {
		// Ruben–Gambino: 1/2n <= x <= 1/n
		if (t <= 0.5) return selectAndClip(0.0, 1.0, cdf);
		let prob: number;
		if (n <= 140) {
			prob = 1;
			for (let i = 1; i <= n; i++) prob *= i * (1.0 / n) * (2 * t - 1);
		} else {
			prob = Math.exp(logNFactorialDivNPowN(n) + n * Math.log(2 * t - 1));
		}
		return selectAndClip(prob, 1.0 - prob, cdf);
	}
	if (t >= n - 1) {
		// Ruben–Gambino
		const prob = 2 * (1.0 - x) ** n;
		return selectAndClip(1 - prob, prob, cdf);
	}
	if (x >= 0.5) {
		// Exact: 2·smirnov
		const prob = 2 * smirnovSf(n, x);
		return selectAndClip(1.0 - prob, prob, cdf);
	}
	const nxsquared = t * x;
	if (n <= 140) {
		if (nxsquared <= 0.754693) {
			const prob = kolmognDMTW(n, x);
			return selectAndClip(prob, 1.0 - prob, cdf);
		}
		if (nxsquared <= 4) {
			const prob = kolmognPomeranz(n, x);
			return selectAndClip(prob, 1.0 - prob, cdf);
		}
		// Miller approximation of 2·smirnov
		const prob = 2 * smirnovSf(n, x);
		return selectAndClip(1.0 - prob, prob, cdf);
	}
	// CDF and SF have different cut-offs on n·x².
	if (!cdf) {
		if (nxsquared >= 370.0) return 0.0;
		if (nxsquared >= 2.2) return clip01(2 * smirnovSf(n, x));
		// otherwise the SF is 1 − CDF
	}
	let cdfprob: number;
	if (nxsquared >= 18.0) cdfprob = 1.0;
	else if (n <= 100000 && n * x ** 1.5 <= 1.4) cdfprob = kolmognDMTW(n, x);
	else cdfprob = kolmognPelzGood(n, x);
	return selectAndClip(cdfprob, 1.0 - cdfprob, cdf);
}

/**
 * `scipy.stats.kstwo.sf(d, n)`: Pr(D_n > d). As rv_continuous does: NaN for
 * an invalid n (not an integer >= 1), 1 at or below the support's lower end
 * 1/(2n), 0 at or above 1.
 */
export function kstwoSf(d: number, n: number): number {
	if (Number.isNaN(d) || !(n >= 1) || n !== Math.round(n)) return Number.NaN;
	if (d <= 0.5 / n) return 1.0;
	if (!(d < 1.0)) return 0.0;
	return kolmogn(n, d, false);
}
