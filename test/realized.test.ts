/** Realized performance on hand-written batches (figures worked out by hand in the comments). */
import { describe, expect, it } from "vitest";
import { ModelInputError } from "../runtime/errors.ts";
import {
	calibrationCurve,
	realizedPerformance,
} from "../runtime/monitoring/realized.ts";
import { riskTier } from "../runtime/scoring/tiers.ts";

const scores = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95];
const labels = [0, 0, 1, 0, 0, 1, 0, 1, 1, 1];
const tiers = scores.map(riskTier);

describe("realizedPerformance", () => {
	const r = realizedPerformance({ scores, labels, tiers, gate: 0.7, bins: 5 });

	it("PR-AUC and ROC-AUC of the batch", () => {
		// Positives ranked 1, 2, 3, 5, 8 by score: AP = (1 + 1 + 1 + 4/5 + 5/8) / 5.
		expect(r.prAuc).toBeCloseTo(4.425 / 5, 15);
		// Of 25 (churner, stayer) pairs the churner scores higher in 2 + 4 + 5 + 5 + 5.
		expect(r.rocAuc).toBeCloseTo(21 / 25, 15);
		expect(r).toMatchObject({
			customers: 10,
			churners: 5,
			observedChurnRate: 0.5,
			belowGate: false,
			gate: { metric: "pr_auc", minimum: 0.7 },
		});
		expect(r.meanScore).toBeCloseTo(5.45 / 10, 15);
		expect(r.reason).toBeUndefined();
	});

	it("calibration over equal-count score bins", () => {
		expect(
			r.calibration.map((b) => [
				b.bin,
				b.customers,
				Number(b.meanScore.toFixed(4)),
				b.observedRate,
			]),
		).toEqual([
			[1, 2, 0.15, 0],
			[2, 2, 0.35, 0.5],
			[3, 2, 0.55, 0.5],
			[4, 2, 0.75, 0.5],
			[5, 2, 0.925, 1],
		]);
		expect(r.calibration[4]).toMatchObject({ minScore: 0.9, maxScore: 0.95 });
		// Deciles by default; 10 customers → one per bin.
		expect(
			realizedPerformance({ scores, labels, tiers, gate: 0.7 }).calibration,
		).toHaveLength(10);
	});

	it("realized churn per tier, every tier listed", () => {
		expect(
			r.tiers.map((t) => [
				t.tier,
				t.customers,
				t.churners,
				t.realizedChurnRate,
			]),
		).toEqual([
			["Low", 3, 1, 1 / 3],
			["Medium", 2, 0, 0],
			["High", 2, 1, 0.5],
			["Critical", 3, 3, 1],
		]);
		const onlyLow = realizedPerformance({
			scores: [0.1, 0.2],
			labels: [0, 1],
			tiers: ["Low", "Low"],
			gate: 0.5,
		});
		expect(onlyLow.tiers.find((t) => t.tier === "Critical")).toEqual({
			tier: "Critical",
			customers: 0,
			churners: 0,
			realizedChurnRate: null,
			meanScore: null,
		});
	});

	it("below the gate when PR-AUC < gate, and when PR-AUC is undefined", () => {
		expect(
			realizedPerformance({ scores, labels, tiers, gate: 0.9 }).belowGate,
		).toBe(true);
		expect(
			realizedPerformance({ scores, labels, tiers, gate: 0.885 }).belowGate,
		).toBe(false);
		const none = realizedPerformance({
			scores: [0.2, 0.9],
			labels: [0, 0],
			tiers: ["Low", "Critical"],
			gate: 0.7,
		});
		expect(none.prAuc).toBeNaN();
		expect(none.belowGate).toBe(true);
		expect(none.reason).toMatch(/no churner/);
	});

	it("rejects malformed input", () => {
		expect(() =>
			realizedPerformance({
				scores: [0.5],
				labels: [1, 0],
				tiers: ["Medium"],
				gate: 0.7,
			}),
		).toThrow(ModelInputError);
		expect(() =>
			realizedPerformance({
				scores: [1.5],
				labels: [1],
				tiers: ["Critical"],
				gate: 0.7,
			}),
		).toThrow(/row 1/);
		expect(() =>
			realizedPerformance({
				scores: [0.5],
				labels: [2],
				tiers: ["Medium"],
				gate: 0.7,
			}),
		).toThrow(ModelInputError);
		expect(() =>
			realizedPerformance({ scores: [], labels: [], tiers: [], gate: 0.7 }),
		).toThrow(ModelInputError);
	});
});

describe("calibrationCurve", () => {
	it("splits unequal sizes by rank and keeps ties in input order", () => {
		const c = calibrationCurve([0.5, 0.5, 0.5, 0.1, 0.9], [1, 0, 0, 0, 1], 2);
		// Sorted: 0.1(0), 0.5(1) | 0.5(0), 0.5(0), 0.9(1): bins of ⌊5/2⌋ = 2 and 3 customers.
		expect(c.map((b) => [b.customers, b.observedRate])).toEqual([
			[2, 0.5],
			[3, 1 / 3],
		]);
	});
});
