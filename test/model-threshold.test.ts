import { describe, expect, it } from "vitest";
import {
	applyPlatt,
	calibrate,
	fitPlatt,
	fitPlattOnLogOdds,
} from "../runtime/model/calibration.ts";
import { seededRng } from "../runtime/model/random.ts";
import { chooseThreshold } from "../runtime/model/threshold.ts";

const labels = (xs: number[]) => Uint8Array.from(xs);

describe("threshold: max precision subject to recall ≥ 0.70", () => {
	// Scores high → low with labels; 5 positives.
	//  t=0.9: TP1 FP0 → P 1.00 R 0.2
	//  t=0.8: TP2 FP0 → P 1.00 R 0.4
	//  t=0.7: TP2 FP1 → P 0.67 R 0.4
	//  t=0.6: TP3 FP1 → P 0.75 R 0.6
	//  t=0.5: TP4 FP1 → P 0.80 R 0.8   ← first with R ≥ 0.7, best precision among them
	//  t=0.4: TP4 FP2 → P 0.67 R 0.8
	//  t=0.3: TP5 FP2 → P 0.71 R 1.0
	//  t=0.2: TP5 FP3 → P 0.625 R 1.0
	const y = labels([1, 1, 0, 1, 1, 0, 1, 0]);
	const s = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2];

	it("picks the hand-computed threshold", () => {
		const c = chooseThreshold(y, s, 0.7);
		expect(c).toMatchObject({
			threshold: 0.5,
			rule: "precision_at_recall",
			precision: 0.8,
			recall: 0.8,
		});
		expect(c.f1).toBeCloseTo(0.8, 12);
	});

	it("a stricter recall moves it down", () => {
		const c = chooseThreshold(y, s, 0.9);
		expect(c.threshold).toBe(0.3);
		expect(c.precision).toBeCloseTo(5 / 7, 12);
	});

	it("treats tied scores as one candidate", () => {
		// 0.5 shared by a positive and a negative: at 0.5 TP2 FP1 (P 2/3, R 1); never TP2 FP0 at 0.5.
		const c = chooseThreshold(labels([1, 1, 0]), [0.9, 0.5, 0.5], 0.7);
		expect(c.threshold).toBe(0.5);
		expect(c.precision).toBeCloseTo(2 / 3, 12);
		expect(c.recall).toBe(1);
	});

	it("prefers the higher recall when precision ties", () => {
		// t=0.9: P 1 R 0.5; t=0.8: P 1 R 1 → both reach R ≥ 0.5, pick 0.8.
		const c = chooseThreshold(labels([1, 1, 0]), [0.9, 0.8, 0.1], 0.5);
		expect(c.threshold).toBe(0.8);
	});

	it("falls back to the best F1 when no threshold reaches the recall", () => {
		// minRecall above 1 is unreachable; F1: t=0.9 → 2/3·... compute: 0.9 P1 R.2 F1 .333; 0.8 P1 R.4 F1 .571;
		// 0.6 P.75 R.6 F1 .667; 0.5 P.8 R.8 F1 .8; 0.3 P.714 R1 F1 .833 ← best
		const c = chooseThreshold(y, s, 1.01);
		expect(c.rule).toBe("best_f1");
		expect(c.threshold).toBe(0.3);
		expect(c.f1).toBeCloseTo(10 / 12, 12);
	});

	it("refuses a held-out set without positives", () => {
		expect(() => chooseThreshold(labels([0, 0]), [0.1, 0.2])).toThrow(
			/no positive/,
		);
	});
});

describe("Platt calibration (sklearn sigmoid, prefit)", () => {
	it("matches the closed-form optimum on a two-score case", () => {
		// Score 0: 10 rows, 2 positives; score 1: 10 rows, 8 positives. N+ = N- = 10,
		// targets 11/12 and 1/12. Two distinct scores and two parameters: the optimum
		// fits each group's mean target exactly: P(0) = (2·11/12 + 8/12)/10 = 1/4,
		// P(1) = 3/4. With P = 1/(1+exp(A f + B)): B = ln 3, A = −2 ln 3.
		const scores = [...Array(10).fill(0), ...Array(10).fill(1)];
		const y = labels([
			1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0,
		]);
		const cal = fitPlatt(scores, y);
		expect(cal.b).toBeCloseTo(Math.log(3), 6);
		expect(cal.a).toBeCloseTo(-2 * Math.log(3), 6);
		const p = applyPlatt(cal, [0, 1]);
		expect(p[0]).toBeCloseTo(0.25, 6);
		expect(p[1]).toBeCloseTo(0.75, 6);
	});

	it("is monotone increasing for informative scores and stays in (0,1) at extremes", () => {
		const scores = [0.05, 0.1, 0.2, 0.3, 0.6, 0.7, 0.8, 0.9, 0.4, 0.5];
		const y = labels([0, 0, 0, 1, 0, 1, 1, 1, 0, 1]);
		const cal = fitPlatt(scores, y);
		expect(cal.a).toBeLessThan(0);
		const p = applyPlatt(cal, [-1e6, 0, 0.5, 1, 1e6]);
		for (let i = 1; i < p.length; i++)
			expect(p[i]).toBeGreaterThanOrEqual(p[i - 1]);
		expect(p.every((v) => v >= 0 && v <= 1 && Number.isFinite(v))).toBe(true);
	});

	it("on log-odds, recovers the identity for already calibrated scores and keeps near-certain scores near 1", () => {
		// Labels drawn from Bernoulli(raw): raw is calibrated, so the best sigmoid on
		// its log-odds is the identity (A = −1, B = 0).
		const rng = seededRng(7);
		const raw: number[] = [];
		const y: number[] = [];
		for (let i = 0; i < 20_000; i++) {
			const p = rng() ** 3; // mostly small, a tail near 1 (like churn scores)
			raw.push(p);
			y.push(rng() < p ? 1 : 0);
		}
		const cal = fitPlattOnLogOdds(raw, labels(y));
		expect(cal.input).toBe("log_odds");
		expect(cal.a).toBeCloseTo(-1, 1);
		expect(cal.b).toBeCloseTo(0, 1);
		const [top] = calibrate(cal, [0.995]);
		expect(top).toBeGreaterThan(0.98);
	});

	it("refuses a single-class held-out set", () => {
		expect(() => fitPlatt([0.1, 0.2], labels([0, 0]))).toThrow(/both classes/);
	});
});
