import { describe, expect, it } from "vitest";
import { ModelInputError } from "../runtime/errors.ts";
import { testMetrics } from "../runtime/model/evaluate.ts";
import {
	averagePrecision,
	classificationMetrics,
	confusion,
	prCurve,
	rocAuc,
	rocCurve,
} from "../runtime/model/metrics.ts";
import { gateDecision } from "../runtime/model/registry.ts";

// scikit-learn's documented example (precision_recall_curve / roc_auc_score docs).
const Y = [0, 0, 1, 1];
const S = [0.1, 0.4, 0.35, 0.8];

describe("metrics on scikit-learn's documented example", () => {
	it("prCurve matches precision_recall_curve", () => {
		const c = prCurve(Y, S);
		expect(c.thresholds).toEqual([0.1, 0.35, 0.4, 0.8]);
		expect(c.precision.map((v) => +v.toFixed(6))).toEqual([
			0.5, 0.666667, 0.5, 1, 1,
		]);
		expect(c.recall).toEqual([1, 1, 0.5, 0.5, 0]);
	});
	it("average precision is the step-wise sum, not a trapezoid", () => {
		// steps: R 0→0.5 at P=1, R 0.5→1 at P=2/3  ⇒  0.5 + 1/3
		expect(averagePrecision(Y, S)).toBeCloseTo(5 / 6, 12);
	});
	it("rocCurve matches roc_curve(drop_intermediate=False)", () => {
		const c = rocCurve(Y, S);
		expect(c.thresholds).toEqual([
			Number.POSITIVE_INFINITY,
			0.8,
			0.4,
			0.35,
			0.1,
		]);
		expect(c.fpr).toEqual([0, 0, 0.5, 0.5, 1]);
		expect(c.tpr).toEqual([0, 0.5, 0.5, 1, 1]);
		expect(rocAuc(Y, S)).toBeCloseTo(0.75, 12);
	});
	it("classificationMetrics at a threshold (score ≥ threshold is positive)", () => {
		const m = classificationMetrics(Y, S, 0.35);
		// predictions [0,1,1,1]
		expect(m.confusion).toEqual({ tp: 2, fp: 1, tn: 1, fn: 0 });
		expect(m.precision).toBeCloseTo(2 / 3, 12);
		expect(m.recall).toBe(1);
		expect(m.f1).toBeCloseTo(0.8, 12);
		expect(m.accuracy).toBe(0.75);
		expect(m.threshold).toBe(0.35);
		expect(m.prAuc).toBeCloseTo(5 / 6, 12);
		expect(m.rocAuc).toBeCloseTo(0.75, 12);
	});
});

describe("ties", () => {
	it("a tied group is one threshold (neither optimistic nor pessimistic)", () => {
		// all three tied: one point, P = 2/3 at R = 1. Optimistic order would give 1,
		// pessimistic (negative first) 0.5·½ + 0.5·⅔ = 0.5833.
		expect(averagePrecision([1, 1, 0], [0.5, 0.5, 0.5])).toBeCloseTo(2 / 3, 12);
		expect(rocAuc([1, 1, 0], [0.5, 0.5, 0.5])).toBe(0.5);
	});
	it("hand-computed AP and ROC-AUC with a tied middle group", () => {
		const y = [1, 0, 0, 1, 0];
		const s = [0.9, 0.6, 0.6, 0.6, 0.2];
		// thresholds 0.9: tp1 fp0 (P1, R½); 0.6: tp2 fp2 (P½, R1) ⇒ AP = ½·1 + ½·½
		expect(averagePrecision(y, s)).toBeCloseTo(0.75, 12);
		// pairs: 0.9 beats 3 negatives; 0.6 ties two (½ each) and beats one ⇒ 5 / 6
		expect(rocAuc(y, s)).toBeCloseTo(5 / 6, 12);
		const c = prCurve(y, s);
		expect(c.thresholds).toEqual([0.2, 0.6, 0.9]);
		expect(c.precision).toEqual([0.4, 0.5, 1, 1]);
		expect(c.recall).toEqual([1, 1, 0.5, 0]);
	});
	it("ROC-AUC equals the tie-aware pair count on random tied data", () => {
		let seed = 12345;
		const rnd = () => {
			seed = (seed * 16807) % 2147483647;
			return seed / 2147483647;
		};
		const y: number[] = [];
		const s: number[] = [];
		for (let i = 0; i < 400; i++) {
			const label = rnd() < 0.3 ? 1 : 0;
			y.push(label);
			s.push(Math.round((rnd() + 0.4 * label) * 10) / 10); // many ties
		}
		let wins = 0;
		let pairs = 0;
		for (let i = 0; i < y.length; i++) {
			if (y[i] !== 1) continue;
			for (let j = 0; j < y.length; j++) {
				if (y[j] !== 0) continue;
				pairs++;
				wins += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
			}
		}
		expect(rocAuc(y, s)).toBeCloseTo(wins / pairs, 12);
		// AP from the PR curve, as sklearn: -Σ diff(recall) · precision[:-1]
		const c = prCurve(y, s);
		let ap = 0;
		for (let k = 0; k < c.recall.length - 1; k++)
			ap += (c.recall[k] - c.recall[k + 1]) * c.precision[k];
		expect(averagePrecision(y, s)).toBeCloseTo(ap, 12);
	});
});

describe("single class and bad input", () => {
	it("ROC-AUC is NaN with one class; AP is NaN without positives and 1 with only positives", () => {
		expect(rocAuc([0, 0, 0], [0.1, 0.2, 0.3])).toBeNaN();
		expect(rocAuc([1, 1], [0.1, 0.2])).toBeNaN();
		expect(averagePrecision([0, 0, 0], [0.1, 0.2, 0.3])).toBeNaN();
		expect(averagePrecision([1, 1], [0.1, 0.2])).toBe(1);
		const m = classificationMetrics([0, 0], [0.2, 0.9], 0.5);
		expect(m.confusion).toEqual({ tp: 0, fp: 1, tn: 1, fn: 0 });
		expect(m.recall).toBe(0);
		expect(m.precision).toBe(0);
		expect(m.f1).toBe(0);
		expect(m.accuracy).toBe(0.5);
		expect(m.rocAuc).toBeNaN();
	});
	it("a test split without positives (PR-AUC NaN) never passes the promotion gate, whatever the minimum", () => {
		const noPositives = testMetrics(
			Uint8Array.from([0, 0, 0]),
			[0.2, 0.9, 0.4],
			0.5,
		);
		expect(noPositives.pr_auc).toBeNaN();
		for (const minimum of [0.7, 0, -1]) {
			const gate = gateDecision(noPositives, minimum);
			expect(gate.passed).toBe(false);
			expect(gate.value).toBeNaN();
		}
	});
	it("rejects mismatched lengths, non-binary labels and non-finite scores", () => {
		expect(() => rocAuc([0, 1], [0.1])).toThrow(ModelInputError);
		expect(() => averagePrecision([0, 2], [0.1, 0.2])).toThrow(/row 1 is 2/);
		expect(() => averagePrecision([0, 1], [0.1, Number.NaN])).toThrow(
			/score at row 1/,
		);
		expect(() => confusion([0, 1], [0, 0.5])).toThrow(/prediction at row 1/);
	});
});
