/**
 * Test-split evaluation of a candidate (docs/data-contract.md §6): metrics, PR and ROC
 * curves and a calibration check, on the calibrated probabilities and the
 * threshold the artifact scores with.
 */
import type { Evaluation, TestMetrics } from "./artifact.ts";
import { classificationMetrics, prCurve, rocCurve } from "./metrics.ts";
import type { Labels } from "./types.ts";

export function testMetrics(
	y: Labels,
	proba: ArrayLike<number>,
	threshold: number,
): TestMetrics {
	const m = classificationMetrics(y, proba, threshold);
	return {
		pr_auc: m.prAuc,
		roc_auc: m.rocAuc,
		precision: m.precision,
		recall: m.recall,
		f1: m.f1,
		accuracy: m.accuracy,
		threshold: m.threshold,
		confusion: m.confusion,
	};
}

function mean(xs: ArrayLike<number>): number {
	let s = 0;
	for (let i = 0; i < xs.length; i++) s += xs[i];
	return xs.length > 0 ? s / xs.length : Number.NaN;
}

function brier(y: Labels, p: ArrayLike<number>): number {
	let s = 0;
	for (let i = 0; i < y.length; i++) s += (p[i] - y[i]) ** 2;
	return y.length > 0 ? s / y.length : Number.NaN;
}

export function evaluateCandidate(
	test: { y: Labels; proba: ArrayLike<number> },
	holdout: { y: Labels; proba: ArrayLike<number> },
	threshold: number,
): Evaluation {
	const roc = rocCurve(test.y, test.proba);
	return {
		metrics: testMetrics(test.y, test.proba, threshold),
		curves: {
			pr: prCurve(test.y, test.proba),
			// The first ROC point has threshold +Infinity, which JSON cannot hold: keep it as null-free 1+max.
			roc: {
				...roc,
				thresholds: roc.thresholds.map((t) =>
					Number.isFinite(t) ? t : Math.max(1, ...roc.thresholds.slice(1)) + 1,
				),
			},
		},
		calibrationCheck: {
			holdout: { meanProba: mean(holdout.proba), churnRate: mean(holdout.y) },
			test: {
				meanProba: mean(test.proba),
				churnRate: mean(test.y),
				brier: brier(test.y, test.proba),
			},
		},
	};
}
