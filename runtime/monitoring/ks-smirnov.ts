/**
 * Survival function of the one-sided Kolmogorov–Smirnov statistic D_n+,
 * `scipy.special.smirnov(n, x)`. Port of `_smirnov` in xsf
 * `include/xsf/cephes/kolmogorov.h` (the C++ translation of cephes
 * kolmogorov.c) as vendored by scipy 1.17.1. Only the SF is ported; the
 * CDF/PDF bookkeeping is dropped as it never feeds back into the SF.
 *
 * Birnbaum–Tingey sum over v of C(n,v)·x·(x+v/n)^(v−1)·(1−x−v/n)^(n−v),
 * evaluated in double-double with a separately kept binary exponent.
 */

// ---------- double-double arithmetic ----------
// Ported from xsf `include/xsf/cephes/dd_real.h` (qd 2.3.18). Scalar style:
// a double-double is a (hi, lo) argument pair; each operation returns the high
// word and leaves the low word in `ddLo` (frexp's exponent in `ddExp`), so the
// ~10^4-term sums allocate nothing. JavaScript has no fused multiply-add, so
// `twoProd` uses Dekker's split (qd's non-FMA path); both give the exact error
// of a product, so results match the FMA build bit for bit.

// Result registers: low word of the last double-double result, last binary
// exponent. Module-local `let`s so V8 keeps everything unboxed and inlined.
let ddLo = 0;
let ddExp = 0;

const SPLITTER = 134217729.0; // 2^27 + 1
const SPLIT_THRESH = 6.69692879491417e299; // 2^996

let err = 0;
let splitLo = 0;

function quickTwoSum(a: number, b: number): number {
	const s = a + b;
	err = b - (s - a);
	return s;
}

function twoSum(a: number, b: number): number {
	const s = a + b;
	const c = s - a;
	const d = b - c;
	const e = s - c;
	err = a - e + d;
	return s;
}

function split(a: number): number {
	if (a > SPLIT_THRESH || a < -SPLIT_THRESH) {
		const s = a * 3.7252902984e-9; // 2^-28 as qd spells it
		const t = SPLITTER * s;
		const hi = t - (t - s);
		splitLo = (s - hi) * 268435456.0;
		return hi * 268435456.0;
	}
	const t = SPLITTER * a;
	const hi = t - (t - a);
	splitLo = a - hi;
	return hi;
}

/** fl(a·b), its exact error in `err`. */
function twoProd(a: number, b: number): number {
	const p = a * b;
	const ah = split(a);
	const al = splitLo;
	const bh = split(b);
	const bl = splitLo;
	err = ah * bh - p + ah * bl + al * bh + al * bl;
	return p;
}

function ddAdd(ah: number, al: number, bh: number, bl: number): number {
	let s1 = twoSum(ah, bh);
	let s2 = err;
	const t1 = twoSum(al, bl);
	const t2 = err;
	s2 += t1;
	s1 = quickTwoSum(s1, s2);
	s2 = err + t2;
	const hi = quickTwoSum(s1, s2);
	ddLo = err;
	return hi;
}

/** dd + double (the same operation as double + dd). */
function ddAddD(ah: number, al: number, b: number): number {
	const s1 = twoSum(ah, b);
	const hi = quickTwoSum(s1, err + al);
	ddLo = err;
	return hi;
}

/** dd − double. */
function ddSubD(ah: number, al: number, b: number): number {
	const s1 = twoSum(ah, -b);
	const hi = quickTwoSum(s1, err + al);
	ddLo = err;
	return hi;
}

function ddMul(ah: number, al: number, bh: number, bl: number): number {
	const p1 = twoProd(ah, bh);
	const hi = quickTwoSum(p1, err + (ah * bl + al * bh));
	ddLo = err;
	return hi;
}

/** dd · double (the same operation as double · dd). */
function ddMulD(ah: number, al: number, b: number): number {
	const p1 = twoProd(ah, b);
	const e1 = err;
	const p2 = twoProd(al, b);
	const hi = quickTwoSum(p1, err + p2 + e1);
	ddLo = err;
	return hi;
}

function ddDiv(ah: number, al: number, bh: number, bl: number): number {
	const q1 = ah / bh;
	let mh = ddMulD(bh, bl, q1);
	let rh = ddAdd(ah, al, -mh, -ddLo);
	let rl = ddLo;
	const q2 = rh / bh;
	mh = ddMulD(bh, bl, q2);
	rh = ddAdd(rh, rl, -mh, -ddLo);
	rl = ddLo;
	const q3 = rh / bh;
	const s = quickTwoSum(q1, q2);
	return ddAddD(s, err, q3);
}

function ddFloor(ah: number, al: number): number {
	let hi = Math.floor(ah);
	let lo = 0;
	if (hi === ah) {
		lo = Math.floor(al);
		hi = quickTwoSum(hi, lo);
		lo = err;
	}
	ddLo = lo;
	return hi;
}

// ---------- C frexp/ldexp on doubles ----------

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = 1; // little-endian word order (x86-64, arm64)

/** 2^e for -1022 <= e <= 1023, built from its bits. */
function twoToThe(e: number): number {
	u32[0] = 0;
	u32[HI] = (e + 1023) << 20;
	return f64[0];
}
const TWO_M969 = 2 ** -969; // 2^-1022 · 2^53, exact
const TWO_1023 = 2 ** 1023;

/** x · 2^e with a single rounding (musl's scalbn). */
export function ldexp(x: number, e: number): number {
	let y = x;
	let n = e;
	if (n > 1023) {
		y *= TWO_1023;
		n -= 1023;
		if (n > 1023) {
			y *= TWO_1023;
			n -= 1023;
			if (n > 1023) n = 1023;
		}
	} else if (n < -1022) {
		// Scaling by 2^-969 first keeps the intermediate normal, so only the last step rounds.
		y *= TWO_M969;
		n += 969;
		if (n < -1022) {
			y *= TWO_M969;
			n += 969;
			if (n < -1022) n = -1022;
		}
	}
	return y * twoToThe(n);
}

/** Mantissa m of x = m · 2^e, 0.5 <= |m| < 1; e in `ddExp` (m = x, e = 0 for 0, ±Inf, NaN). */
function frexp(x: number): number {
	if (x === 0 || !Number.isFinite(x)) {
		ddExp = 0;
		return x;
	}
	f64[0] = x;
	let biased = (u32[HI] >>> 20) & 0x7ff;
	let shift = 0;
	if (biased === 0) {
		// Subnormal: scale into the normal range first.
		f64[0] = x * 18014398509481984; // 2^54
		biased = (u32[HI] >>> 20) & 0x7ff;
		shift = 54;
	}
	u32[HI] = (u32[HI] & 0x800fffff) | (1022 << 20);
	ddExp = biased - 1022 - shift;
	return f64[0];
}

/** Double-double frexp: 0.5 <= |hi| < 1 (or |hi| == 1 with hi·lo < 0); low word in `ddLo`, exponent in `ddExp`. */
function ddFrexp(ah: number, al: number): number {
	let man = frexp(ah);
	let exponent = ddExp;
	let b1 = ldexp(al, -exponent);
	if (Math.abs(man) === 0.5 && man * b1 < 0) {
		man *= 2;
		b1 *= 2;
		exponent -= 1;
	}
	ddLo = b1;
	ddExp = exponent;
	return man;
}

// ---------- Smirnov ----------

const SMIRNOV_MAX_COMPUTE_N = 1000000;
const SM_UPPER_MAX_TERMS = 3;
const SM_UPPERSUM_MIN_N = 10;
const SM_MAX_EXPONENT = 960;
/** cephes MINLOG = log(2^-1075). */
const MINLOG = -745.1332191019412;
const EPS = Number.EPSILON;

/** a^m in double-double (low word in ddLo), trading accuracy for speed via pow() on the high word. */
function powD(ah: number, al: number, m: number): number {
	if (m <= 0) {
		if (m === 0) {
			ddLo = 0;
			return 1;
		}
		const h = powD(ah, al, -m);
		return ddDiv(1.0, 0, h, ddLo);
	}
	if (ah === 0 && al === 0) {
		ddLo = 0;
		return 0;
	}
	const ans = ah ** m;
	const r = al / ah;
	let adj = m * r;
	if (Math.abs(adj) > 1e-8) {
		if (Math.abs(adj) < 1e-4) {
			adj += m * r * (((m - 1) / 2.0) * r);
		} else {
			adj = Math.expm1(m * Math.log1p(r));
		}
	}
	return ddAddD(ans, 0, ans * adj);
}

function pow2(a: number, b: number, m: number): number {
	const h = ddAddD(a, 0, b);
	return powD(h, ddLo, m);
}

function nextPowerOf2(x: number): number {
	const q = x * 2 ** (1 - 53);
	let L = Math.abs(q + x);
	if (L === 0) {
		L = Math.abs(x);
	} else {
		const Lint = Math.trunc(L);
		if (Lint === L) L = Lint;
	}
	return L;
}

/**
 * a^m as significand (returned, low word in ddLo) times 2^ddExp, splitting
 * the power so that nothing underflows.
 */
function pow2ScaledD(ah: number, al: number, m: number): number {
	if (m <= 0) {
		if (m === 0) {
			ddLo = 0;
			ddExp = 0;
			return 1;
		}
		const h = pow2ScaledD(ah, al, -m);
		const aE1 = ddExp;
		const qh = ddDiv(1.0, 0, h, ddLo);
		const man = ddFrexp(qh, ddLo);
		ddExp = -aE1 + ddExp;
		return man;
	}
	const yh = ddFrexp(ah, al);
	const yl = ddLo;
	const yE = ddExp;
	if (m === 1) return yh;
	let maxExpt = SM_MAX_EXPONENT;
	if ((m * (yh - 1)) / yh < -SM_MAX_EXPONENT * Math.LN2) {
		const lg2y = Math.log(yh) / Math.LN2;
		const lgAns = m * lg2y;
		if (lgAns <= -SM_MAX_EXPONENT) {
			maxExpt = Math.trunc(nextPowerOf2(-SM_MAX_EXPONENT / lg2y + 1) / 2);
		}
	}
	if (m <= maxExpt) {
		const ph = powD(yh, yl, m);
		const man = ddFrexp(ph, ddLo);
		ddExp += m * yE;
		return man;
	}
	const q = Math.trunc(m / maxExpt);
	const r = m % maxExpt;
	// y^m = (y^maxExpt)^q · y^r
	const y2r = pow2ScaledD(yh, yl, r);
	const y2rl = ddLo;
	const y2rE = ddExp;
	const y2m = pow2ScaledD(yh, yl, maxExpt);
	const y2ml = ddLo;
	const y2mE = ddExp;
	const y2mq = pow2ScaledD(y2m, y2ml, q);
	const y2mqE = ddExp + y2mE * q;
	const ph = ddMul(y2r, y2rl, y2mq, ddLo);
	const man = ddFrexp(ph, ddLo);
	ddExp += y2mqE + y2rE + m * yE;
	return man;
}

/** ((a+b)/(c+d))^m in double-double (low word in ddLo). */
function pow4D(a: number, b: number, c: number, d: number, m: number): number {
	if (m <= 0) {
		if (m === 0) {
			ddLo = 0;
			return 1;
		}
		return pow4D(c, d, a, b, -m);
	}
	const Ah = ddAddD(a, 0, b);
	const Al = ddLo;
	const Ch = ddAddD(c, 0, d);
	const Cl = ddLo;
	if (Ah === 0 && Al === 0) {
		const v = Ch === 0 && Cl === 0 ? Number.NaN : 0;
		ddLo = v;
		return v;
	}
	if (Ch === 0 && Cl === 0) {
		const v = Ah < 0 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
		ddLo = v;
		return v;
	}
	const Xh = ddDiv(Ah, Al, Ch, Cl);
	return powD(Xh, ddLo, m);
}

// The running binomial coefficient C(n, j) = (cMan, cManLo) · 2^cExpt.
let cMan = 1;
let cManLo = 0;
let cExpt = 0;

/** C(n, j+1) from C(n, j). */
function updateBinomial(n: number, j: number): void {
	const rh = ddDiv(n - j, 0, j + 1.0, 0);
	const ph = ddMul(cMan, cManLo, rh, ddLo);
	cMan = ddFrexp(ph, ddLo);
	cManLo = ddLo;
	cExpt += ddExp;
}

/** A_v(n, x) = C(n,v) · (1−x−v/n)^(n−v) · (x+v/n)^(v−1); low word in ddLo. */
function computeAv(n: number, x: number, v: number): number {
	let h = ddDiv(n - v, 0, n, 0);
	h = ddSubD(h, ddLo, x); // 1 − x − v/n
	const t2 = pow2ScaledD(h, ddLo, n - v);
	const t2l = ddLo;
	const t2E = ddExp;
	h = ddDiv(v, 0, n, 0);
	h = ddAddD(h, ddLo, x); // x + v/n
	const t1 = pow2ScaledD(h, ddLo, v - 1);
	const t1l = ddLo;
	const t1E = ddExp;
	h = ddMul(t1, t1l, t2, t2l);
	h = ddMul(h, ddLo, cMan, cManLo);
	const e = cExpt + t1E + t2E;
	const lo = ldexp(ddLo, e);
	const hi = ldexp(h, e);
	ddLo = lo;
	return hi;
}

function clamp01(p: number): number {
	return Math.min(Math.max(p, 0), 1);
}

/** scipy.special.smirnov(n, x): Pr(D_n+ >= x). */
export function smirnovSf(n: number, x: number): number {
	if (Number.isNaN(x)) return Number.NaN;
	if (!(n > 0 && x >= 0.0 && x <= 1.0)) return Number.NaN;
	if (n === 1) return 1 - x;
	if (x === 0.0) return 1.0;
	if (x === 1.0) return 0.0;

	// floor(n·x) and its remainder alpha, exactly; a remainder of 1 is rounded up.
	const nxh = ddMulD(x, 0, n);
	const nxl = ddLo;
	const flh = ddFloor(nxh, nxl);
	let alpha = ddAdd(nxh, nxl, -flh, -ddLo);
	let nxfl = Math.trunc(flh);
	if (alpha === 1) {
		nxfl += 1;
		alpha = 0;
	}
	let n1mxfl = n - nxfl - (alpha === 0 ? 0 : 1);
	let n1mxceil = n - nxfl;
	// With alpha == 0 the last term belongs to neither sum.
	if (alpha === 0) {
		n1mxfl -= 1;
		n1mxceil += 1;
	}
	// x <= 1/n
	if (nxfl === 0 || (nxfl === 1 && alpha === 0)) {
		const t = pow2(1, x, n - 1);
		const cdf = x * t;
		return 1 - cdf;
	}
	// The SF underflows.
	if (-2 * n * x * x < MINLOG) return 0;
	// x >= 1 - 1/n
	if (nxfl >= n - 1) return pow2(1, -x, n);
	// n too large to sum: Miller's approximation p ~ e^(-(6nx+1)^2 / 18n).
	if (n > SMIRNOV_MAX_COMPUTE_N) {
		const logp = -((6.0 * n * x + 1) ** 2) / 18.0 / n;
		if (logp < -Math.LN2) return Math.exp(logp);
		const cdf = -Math.expm1(logp);
		return 1 - cdf;
	}

	// The upper sum is used only when it has very few terms (it alternates in sign).
	const nUpperTerms = n - n1mxceil + 1;
	const useUpperSum =
		(nUpperTerms <= 1 && x < 0.5) ||
		(n >= SM_UPPERSUM_MIN_N &&
			nUpperTerms <= SM_UPPER_MAX_TERMS &&
			x <= 0.5 / Math.sqrt(n));

	let start = 0;
	let step = 1;
	let nTerms = n1mxfl + 1;
	const vmid = Math.trunc(n / 2);
	cMan = 1;
	cManLo = 0;
	cExpt = 0;
	let Ajh: number;
	let Ajl: number;
	if (useUpperSum) {
		start = n;
		step = -1;
		nTerms = n - n1mxceil + 1;
		Ajh = pow4D(1, x, 1, 0, n - 1);
		Ajl = ddLo;
	} else {
		const t2 = pow4D(1, -x, 1, 0, n);
		Ajh = ddDiv(t2, ddLo, x, 0);
		Ajl = ddLo;
	}
	let sumh = ddAdd(0, 0, Ajh, Ajl);
	let suml = ddLo;
	updateBinomial(n, 0);

	for (let j = 1; j < nTerms; j++) {
		const v = start + j * step;
		Ajh = computeAv(n, x, v);
		Ajl = ddLo;
		const ajZero = Ajh === 0 && Ajl === 0;
		if (Number.isFinite(Ajh) && !ajZero) {
			sumh = ddAdd(sumh, suml, Ajh, Ajl);
			suml = ddLo;
		}
		// Safe to stop early?
		if (!ajZero) {
			if (4 * (nTerms - j) * Math.abs(Ajh) < EPS * sumh && j !== nTerms - 1)
				break;
		} else if (j > vmid) {
			break;
		}
		updateBinomial(n, j);
	}
	const prob = ddMulD(sumh, suml, x);
	const sf = step < 0 ? 1 - prob : prob;
	return clamp01(sf);
}
