/**
 * The drift monitor's statistics against scipy 1.17's figures (computed with
 * scipy.stats.chi2 / chi2_contingency, scipy.stats.wasserstein_distance and
 * scipy.spatial.distance.jensenshannon) and closed forms worked by hand.
 */
import { describe, expect, it } from "vitest";
import {
	chiSquareHomogeneity,
	chiSquareSf,
	logGamma,
} from "../runtime/monitoring/chi-square.ts";
import {
	jensenShannon,
	normedWasserstein,
	psi,
	wasserstein1,
} from "../runtime/monitoring/effect-size.ts";

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe("chiSquareSf", () => {
	it("matches closed forms: dof 2 is e^(−x/2), dof 4 is e^(−x/2)(1 + x/2)", () => {
		for (const x of [0.1, 1, 2.7777777777777777, 10, 40])
			expect(rel(chiSquareSf(x, 2), Math.exp(-x / 2))).toBeLessThan(1e-13);
		expect(rel(chiSquareSf(10, 4), Math.exp(-5) * 6)).toBeLessThan(1e-13);
		// Deep in the tail (continued-fraction branch): e^(−50).
		expect(rel(chiSquareSf(100, 2), 1.9287498479639178e-22)).toBeLessThan(
			1e-12,
		);
	});

	it("matches dof 1 = erfc(√(x/2)): the normal's 1, 2 and 3 sigma two-sided tails", () => {
		expect(rel(chiSquareSf(1, 1), 0.31731050786291415)).toBeLessThan(1e-13);
		expect(rel(chiSquareSf(4, 1), 0.045500263896358396)).toBeLessThan(1e-12);
		expect(rel(chiSquareSf(9, 1), 0.0026997960632601913)).toBeLessThan(1e-12);
	});

	it("matches scipy.stats.chi2.sf at odd and large dof", () => {
		const cases: Array<[number, number, number]> = [
			[3.841458820694124, 1, 0.04999999999999989],
			[100, 3, 1.5541594313896026e-21],
			[0.5, 7, 0.9994464813904249],
			[30, 10, 0.000856641210775301],
			[1e-3, 1, 0.9747728793699604],
			[250, 40, 3.4695368870539687e-32],
		];
		for (const [x, dof, p] of cases)
			expect(rel(chiSquareSf(x, dof), p), `${x}, ${dof}`).toBeLessThan(1e-11);
		expect(chiSquareSf(0, 3)).toBe(1);
	});

	it("logGamma: ln Γ(n) = ln (n − 1)! and Γ(½) = √π", () => {
		expect(logGamma(1)).toBeCloseTo(0, 14);
		expect(logGamma(6)).toBeCloseTo(Math.log(120), 13);
		expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 14);
	});
});

describe("chiSquareHomogeneity = scipy.stats.chi2_contingency", () => {
	it("scipy's documented example (dof 2, no correction)", () => {
		const r = chiSquareHomogeneity([10, 10, 20], [20, 20, 20]);
		expect(r.dof).toBe(2);
		expect(r.statistic).toBeCloseTo(2.7777777777777777, 13);
		expect(rel(r.pvalue, 0.24935220877729622)).toBeLessThan(1e-13);
	});

	it("2 × 2 tables get Yates' correction, as scipy's default", () => {
		const a = chiSquareHomogeneity([12, 3], [17, 16]);
		expect(a.dof).toBe(1);
		expect(a.statistic).toBeCloseTo(2.4091074080184787, 12);
		expect(rel(a.pvalue, 0.12063113097759684)).toBeLessThan(1e-12);
		const b = chiSquareHomogeneity([10, 0], [3, 4]);
		expect(b.statistic).toBeCloseTo(4.634134615384616, 12);
		expect(rel(b.pvalue, 0.03134194704393752)).toBeLessThan(1e-12);
	});

	it("a single category or an empty side compares nothing", () => {
		expect(chiSquareHomogeneity([5], [7])).toEqual({
			statistic: 0,
			pvalue: 1,
			dof: 0,
		});
		expect(chiSquareHomogeneity([5, 0, 0], [7, 0, 0]).dof).toBe(0);
		expect(() => chiSquareHomogeneity([1, 2], [1])).toThrow(RangeError);
		expect(() => chiSquareHomogeneity([1, -2], [1, 1])).toThrow(RangeError);
	});
});

describe("effect sizes", () => {
	it("wasserstein1 = scipy.stats.wasserstein_distance", () => {
		expect(wasserstein1([0, 1, 3], [5, 6, 8])).toBeCloseTo(5, 14);
		expect(wasserstein1([0, 1], [0, 0, 1])).toBeCloseTo(1 / 6, 14);
		expect(wasserstein1([1, 2, 3, 4, 5], [3.5, 6, 7, 8, 9])).toBeCloseTo(
			3.7,
			14,
		);
		expect(wasserstein1([3, 1, 2], [2, 3, 1])).toBe(0);
	});

	it("normedWasserstein divides by the reference's population sd", () => {
		// sd of [1, 2, 3, 4] (ddof 0) = √1.25.
		expect(normedWasserstein([1, 2, 3, 4], [2, 3, 4, 5])).toBeCloseTo(
			1 / Math.sqrt(1.25),
			14,
		);
		// A constant reference: the pooled sd of [0, 0, 1, 1] is 0.5.
		expect(normedWasserstein([0, 0], [1, 1])).toBeCloseTo(2, 14);
		expect(normedWasserstein([4, 4], [4, 4])).toBe(0);
	});

	it("jensenShannon = scipy.spatial.distance.jensenshannon (natural log)", () => {
		expect(jensenShannon([1, 0], [0, 1])).toBeCloseTo(0.8325546111576977, 14);
		expect(jensenShannon([50, 50], [30, 70])).toBeCloseTo(
			0.14493421163354434,
			14,
		);
		expect(jensenShannon([2, 6], [1, 3])).toBe(0);
	});

	it("psi: Σ (q − p) ln(q / p), an empty share counted as 1e-4", () => {
		expect(psi([50, 50], [30, 70])).toBeCloseTo(0.16945957207744072, 14);
		expect(psi([10, 0], [10, 0])).toBe(0);
		expect(psi([1, 0], [1, 1])).toBeCloseTo(
			(0.5 - 1) * Math.log(0.5) + (0.5 - 1e-4) * Math.log(0.5 / 1e-4),
			12,
		);
	});
});
