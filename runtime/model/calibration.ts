/**
 * Platt calibration, as sklearn's CalibratedClassifierCV(method="sigmoid",
 * cv="prefit"): P(churn | f) = 1 / (1 + exp(A·f + B)), fitted by maximum
 * likelihood on held-out raw scores f with Platt's smoothed targets
 * (positives (N₊+1)/(N₊+2), negatives 1/(N₋+2)). sklearn minimises the same
 * loss with L-BFGS; we use Newton's method with backtracking (Lin, Lin & Weng
 * 2007), which reaches the same optimum deterministically.
 */
import { ModelInputError } from "../errors.ts";
import type { Labels } from "./types.ts";

export interface PlattCalibration {
	method: "platt";
	/** What the sigmoid is applied to: the raw score itself, or its log-odds. */
	input?: "score" | "log_odds";
	a: number;
	b: number;
}

/** Numerically stable negative log-likelihood term for one row. */
function rowLoss(fApB: number, t: number): number {
	return fApB >= 0
		? t * fApB + Math.log1p(Math.exp(-fApB))
		: (t - 1) * fApB + Math.log1p(Math.exp(fApB));
}

function prob(fApB: number): number {
	// 1 / (1 + exp(fApB)) without overflow.
	return fApB >= 0
		? Math.exp(-fApB) / (1 + Math.exp(-fApB))
		: 1 / (1 + Math.exp(fApB));
}

export function fitPlatt(
	scores: ArrayLike<number>,
	y: Labels,
	maxIter = 200,
): PlattCalibration {
	const n = scores.length;
	if (n !== y.length)
		throw new ModelInputError(
			`calibration: ${n} scores but ${y.length} labels`,
		);
	let nPos = 0;
	for (let i = 0; i < n; i++) {
		if (!Number.isFinite(scores[i]))
			throw new ModelInputError(
				`calibration: score of row ${i + 1} is ${scores[i]}`,
			);
		nPos += y[i];
	}
	const nNeg = n - nPos;
	if (nPos === 0 || nNeg === 0)
		throw new ModelInputError(
			`calibration needs both classes in the held-out rows (${nPos} positive, ${nNeg} negative)`,
		);
	const hi = (nPos + 1) / (nPos + 2);
	const lo = 1 / (nNeg + 2);
	const t = Float64Array.from(y, (v) => (v === 1 ? hi : lo));
	const loss = (a: number, b: number) => {
		let s = 0;
		for (let i = 0; i < n; i++) s += rowLoss(scores[i] * a + b, t[i]);
		return s;
	};
	let a = 0;
	let b = Math.log((nNeg + 1) / (nPos + 1));
	let f = loss(a, b);
	for (let iter = 0; iter < maxIter; iter++) {
		// Gradient and Hessian of the loss w.r.t. (a, b); a tiny ridge keeps H invertible.
		let h11 = 1e-12;
		let h22 = 1e-12;
		let h21 = 0;
		let g1 = 0;
		let g2 = 0;
		for (let i = 0; i < n; i++) {
			const p = prob(scores[i] * a + b);
			const d2 = p * (1 - p);
			h11 += scores[i] * scores[i] * d2;
			h22 += d2;
			h21 += scores[i] * d2;
			const d1 = t[i] - p;
			g1 += scores[i] * d1;
			g2 += d1;
		}
		if (Math.abs(g1) < 1e-9 * n && Math.abs(g2) < 1e-9 * n) break;
		const det = h11 * h22 - h21 * h21;
		const dA = -(h22 * g1 - h21 * g2) / det;
		const dB = -(-h21 * g1 + h11 * g2) / det;
		const gd = g1 * dA + g2 * dB;
		let step = 1;
		let accepted = false;
		while (step >= 1e-12) {
			const na = a + step * dA;
			const nb = b + step * dB;
			const nf = loss(na, nb);
			if (nf < f + 1e-4 * step * gd) {
				a = na;
				b = nb;
				f = nf;
				accepted = true;
				break;
			}
			step /= 2;
		}
		if (!accepted) break; // no further decrease possible: at the optimum to machine precision
	}
	return { method: "platt", a, b };
}

/**
 * Log-odds of raw probability scores (the model's margin), clipped away from
 * 0 and 1. The production calibration is fitted on these, as Platt fitted his
 * sigmoid on SVM margins: on the probability scale a sigmoid cannot bend
 * XGBoost's compressed top scores (class-weighted, ≈ 0.9–0.99) out to the
 * near-certain churn of, e.g., negative-sentiment customers — measured on the
 * default batch, no customer reached the Critical tier that way.
 */
export function logOdds(raw: ArrayLike<number>): Float64Array {
	const eps = 1e-9;
	return Float64Array.from({ length: raw.length }, (_, i) => {
		const p = Math.min(1 - eps, Math.max(eps, raw[i]));
		return Math.log(p / (1 - p));
	});
}

/** Platt on the log-odds of raw scores (the production calibration). */
export function fitPlattOnLogOdds(
	raw: ArrayLike<number>,
	y: Labels,
): PlattCalibration {
	return { ...fitPlatt(logOdds(raw), y), input: "log_odds" };
}

/** Calibrated probabilities of raw model scores, on the calibration's own input scale. */
export function calibrate(
	cal: PlattCalibration,
	raw: ArrayLike<number>,
): Float64Array {
	return applyPlatt(cal, cal.input === "log_odds" ? logOdds(raw) : raw);
}

export function applyPlatt(
	cal: PlattCalibration,
	scores: ArrayLike<number>,
): Float64Array {
	const out = new Float64Array(scores.length);
	for (let i = 0; i < scores.length; i++)
		out[i] = prob(scores[i] * cal.a + cal.b);
	return out;
}
