/**
 * Binary classification metrics with scikit-learn's definitions (docs/data-contract.md §6):
 * PR-AUC is average precision (step-wise, one step per distinct score, not a
 * trapezoid), ROC-AUC counts ties as ½.
 *
 * Single-class inputs: ROC-AUC is undefined (one of its two rates is 0/0), so
 * `rocAuc` returns NaN where scikit-learn raises — a NaN metric fails every
 * gate comparison (`NaN >= 0.7` is false), which is the safe outcome, and
 * the pipeline keeps running to report it. Average precision with no positive
 * is NaN too (recall is 0/0; scikit-learn returns 0 with a warning); with only
 * positives it is 1, which is well defined (every prefix has precision 1).
 * Malformed input (length mismatch, labels other than 0/1, non-finite scores)
 * throws ModelInputError.
 */
import { ModelInputError } from "../errors.ts";

export interface Confusion {
	tp: number;
	fp: number;
	tn: number;
	fn: number;
}

export interface ClassificationMetrics {
	prAuc: number;
	rocAuc: number;
	precision: number;
	recall: number;
	f1: number;
	accuracy: number;
	confusion: Confusion;
	threshold: number;
}

/** Cumulative counts at each distinct score, highest score first (sklearn's _binary_clf_curve). */
interface ClfCurve {
	tps: number[];
	fps: number[];
	thresholds: number[];
	positives: number;
	negatives: number;
}

function checkLabels(
	y: ArrayLike<number>,
	other: ArrayLike<number>,
	otherName: string,
): void {
	if (y.length !== other.length) {
		throw new ModelInputError(
			`metrics: ${y.length} labels but ${other.length} ${otherName}`,
		);
	}
	for (let i = 0; i < y.length; i++) {
		if (y[i] !== 0 && y[i] !== 1) {
			throw new ModelInputError(
				`metrics: label at row ${i} is ${y[i]}, expected 0 or 1`,
			);
		}
	}
}

function binaryCurve(y: ArrayLike<number>, score: ArrayLike<number>): ClfCurve {
	checkLabels(y, score, "scores");
	const n = y.length;
	for (let i = 0; i < n; i++) {
		if (!Number.isFinite(score[i])) {
			throw new ModelInputError(
				`metrics: score at row ${i} is ${score[i]}, expected a finite number`,
			);
		}
	}
	const order = Array.from({ length: n }, (_, i) => i).sort(
		(a, b) => score[b] - score[a],
	);
	const tps: number[] = [];
	const fps: number[] = [];
	const thresholds: number[] = [];
	let tp = 0;
	let fp = 0;
	for (let k = 0; k < n; k++) {
		const i = order[k];
		if (y[i] === 1) tp++;
		else fp++;
		// One point per distinct score: ties move together (sklearn's "distinct thresholds").
		if (k === n - 1 || score[order[k + 1]] !== score[i]) {
			tps.push(tp);
			fps.push(fp);
			thresholds.push(score[i]);
		}
	}
	return { tps, fps, thresholds, positives: tp, negatives: fp };
}

/**
 * Precision-recall curve as sklearn's precision_recall_curve: thresholds in
 * increasing order; precision and recall have one more element, the final
 * (precision 1, recall 0) point. Precision is 0 where nothing is predicted
 * positive; with no positive at all, recall is NaN.
 */
export function prCurve(
	y: ArrayLike<number>,
	score: ArrayLike<number>,
): { precision: number[]; recall: number[]; thresholds: number[] } {
	const c = binaryCurve(y, score);
	const m = c.thresholds.length;
	const precision: number[] = [];
	const recall: number[] = [];
	const thresholds: number[] = [];
	for (let k = m - 1; k >= 0; k--) {
		const predicted = c.tps[k] + c.fps[k];
		precision.push(predicted > 0 ? c.tps[k] / predicted : 0);
		recall.push(c.positives > 0 ? c.tps[k] / c.positives : Number.NaN);
		thresholds.push(c.thresholds[k]);
	}
	precision.push(1);
	recall.push(0);
	return { precision, recall, thresholds };
}

/** Average precision: Σ (R_k − R_{k−1}) · P_k over distinct thresholds, highest first. */
export function averagePrecision(
	y: ArrayLike<number>,
	score: ArrayLike<number>,
): number {
	const c = binaryCurve(y, score);
	if (c.positives === 0) return Number.NaN;
	let ap = 0;
	let prevRecall = 0;
	for (let k = 0; k < c.thresholds.length; k++) {
		const recall = c.tps[k] / c.positives;
		ap += (recall - prevRecall) * (c.tps[k] / (c.tps[k] + c.fps[k]));
		prevRecall = recall;
	}
	return ap;
}

/**
 * ROC curve with every distinct threshold (sklearn's roc_curve with
 * drop_intermediate=False): the first point is (0, 0) at threshold +Infinity.
 * A rate whose class is absent is NaN.
 */
export function rocCurve(
	y: ArrayLike<number>,
	score: ArrayLike<number>,
): { fpr: number[]; tpr: number[]; thresholds: number[] } {
	const c = binaryCurve(y, score);
	const fpr = [0];
	const tpr = [0];
	const thresholds = [Number.POSITIVE_INFINITY];
	for (let k = 0; k < c.thresholds.length; k++) {
		fpr.push(c.negatives > 0 ? c.fps[k] / c.negatives : Number.NaN);
		tpr.push(c.positives > 0 ? c.tps[k] / c.positives : Number.NaN);
		thresholds.push(c.thresholds[k]);
	}
	if (c.negatives === 0) fpr[0] = Number.NaN;
	if (c.positives === 0) tpr[0] = Number.NaN;
	return { fpr, tpr, thresholds };
}

/** Area under the ROC curve: P(score⁺ > score⁻) + ½ P(score⁺ = score⁻); NaN with one class. */
export function rocAuc(y: ArrayLike<number>, score: ArrayLike<number>): number {
	const c = binaryCurve(y, score);
	if (c.positives === 0 || c.negatives === 0) return Number.NaN;
	// Trapezoids between consecutive distinct thresholds = the tie-aware Mann–Whitney U.
	let area = 0;
	let prevTp = 0;
	let prevFp = 0;
	for (let k = 0; k < c.thresholds.length; k++) {
		area += (c.fps[k] - prevFp) * (c.tps[k] + prevTp);
		prevTp = c.tps[k];
		prevFp = c.fps[k];
	}
	return area / (2 * c.positives * c.negatives);
}

/** Confusion matrix of 0/1 predictions. */
export function confusion(
	y: ArrayLike<number>,
	pred: ArrayLike<number>,
): Confusion {
	checkLabels(y, pred, "predictions");
	const out = { tp: 0, fp: 0, tn: 0, fn: 0 };
	for (let i = 0; i < y.length; i++) {
		const p = pred[i];
		if (p !== 0 && p !== 1) {
			throw new ModelInputError(
				`metrics: prediction at row ${i} is ${p}, expected 0 or 1`,
			);
		}
		if (p === 1) {
			if (y[i] === 1) out.tp++;
			else out.fp++;
		} else if (y[i] === 1) out.fn++;
		else out.tn++;
	}
	return out;
}

/**
 * Every test metric of docs/data-contract.md §6 for scores cut at `threshold`: a row is
 * predicted positive when score ≥ threshold. Precision, recall and F1 are 0
 * where their denominator is 0 (sklearn's zero_division=0).
 */
export function classificationMetrics(
	y: ArrayLike<number>,
	score: ArrayLike<number>,
	threshold: number,
): ClassificationMetrics {
	const pred = new Uint8Array(score.length);
	for (let i = 0; i < score.length; i++)
		pred[i] = score[i] >= threshold ? 1 : 0;
	const cm = confusion(y, pred);
	const precision = cm.tp + cm.fp > 0 ? cm.tp / (cm.tp + cm.fp) : 0;
	const recall = cm.tp + cm.fn > 0 ? cm.tp / (cm.tp + cm.fn) : 0;
	const f1 =
		precision + recall > 0
			? (2 * precision * recall) / (precision + recall)
			: 0;
	const total = cm.tp + cm.fp + cm.tn + cm.fn;
	return {
		prAuc: averagePrecision(y, score),
		rocAuc: rocAuc(y, score),
		precision,
		recall,
		f1,
		accuracy: total > 0 ? (cm.tp + cm.tn) / total : Number.NaN,
		confusion: cm,
		threshold,
	};
}
