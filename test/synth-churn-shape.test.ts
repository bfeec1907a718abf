/**
 * Shape of the synthetic churn mechanism: thresholds, saturation, a bump and
 * interactions in the continuous drivers (so trees can beat an additive
 * model). Expectations are hand-computed from the CHURN_COEF values; each
 * check isolates one effect as a difference of two logits.
 */
import { describe, expect, it } from "vitest";
import { PROVINCES } from "../runtime/synth/geography.ts";
import {
	CHURN_COEF,
	churnLogit,
	type Latent,
} from "../runtime/synth/population.ts";

const lowCompetition = PROVINCES.find((p) => !p.highCompetition);
const highCompetition = PROVINCES.find((p) => p.highCompetition);
if (!lowCompetition || !highCompetition)
	throw new Error("geography needs both kinds of province");

const customer = (high = false) => ({
	channel: "desconocido",
	dualFuel: false,
	secondResidence: false,
	province: high ? highCompetition : lowCompetition,
});
/** Long tenure, renewal far away, no price step, typical price, steady use, at the bump's centre. */
const base: Latent = {
	tenureBucket: 4,
	tenureDays: 3_000,
	renewalDays: 200,
	priceChangePct: 0,
	priceChangeMonth: 6,
	overpricingPct: 0,
	decliningPct: 0,
	volatile: false,
	levelZ: 0.9,
};
const logit = (l: Partial<Latent>, high = false) =>
	churnLogit(customer(high), { ...base, ...l });
const effect = (l: Partial<Latent>, ref: Partial<Latent> = {}, high = false) =>
	logit({ ...ref, ...l }, high) - logit(ref, high);

describe("synthetic churn logit", () => {
	it("reference customer: intercept plus the bump's peak (-6.7 + 3.2)", () => {
		expect(CHURN_COEF.intercept).toBe(-6.7);
		expect(logit({})).toBeCloseTo(-3.5, 10);
	});

	it("price increase: nothing below ~6 %, half at 10 %, saturated by 20 %", () => {
		// levelZ 0 → bill weight 0.3 + 0.7 × 0.5 = 0.65; effect = 4 × 0.65 × σ(pct − 10)
		const at = (pct: number) => effect({ priceChangePct: pct }, { levelZ: 0 });
		expect(at(4)).toBeCloseTo(0.00643, 4); // 2.6 × σ(−6) = 2.6 × 0.002473
		expect(at(10)).toBeCloseTo(1.3, 10);
		expect(at(14)).toBeCloseTo(2.5532, 3); // 2.6 × σ(4) = 2.6 × 0.982014
		expect(at(20)).toBeCloseTo(2.59988, 4);
		// saturation: 14 → 20 % adds under 5 % of what 10 → 14 % adds
		expect(at(20) - at(14)).toBeLessThan(0.05 * (at(14) - at(10)));
		expect(effect({ priceChangePct: -5 })).toBeCloseTo(-0.4, 10);
	});

	it("price increase weighs on big bills more than on small ones", () => {
		const small = effect({ priceChangePct: 20 }, { levelZ: -3 });
		const big = effect({ priceChangePct: 20 }, { levelZ: 3 });
		// bill weight 0.3 + 0.7 σ(∓6): 0.30173 and 0.99827; × 4 × σ(10)
		expect(small).toBeCloseTo(1.2069, 3);
		expect(big).toBeCloseTo(3.9929, 3);
	});

	it("overpricing matters above 3 % and mainly with a price increase or high competition", () => {
		// 11 % over → 8 points above the free band × 0.25 = 2.0 with a trigger, 5 % of it alone
		expect(effect({ overpricingPct: 11 })).toBeCloseTo(0.1, 10);
		expect(effect({ overpricingPct: 11 }, {}, true)).toBeCloseTo(2.0, 10);
		expect(effect({ overpricingPct: 11 }, { priceChangePct: 15 })).toBeCloseTo(
			2.0,
			10,
		);
		expect(effect({ overpricingPct: 2 }, {}, true)).toBe(0);
		expect(effect({ overpricingPct: -10 }, {}, true)).toBe(0);
	});

	it("declining consumption matters with volatility or near renewal", () => {
		// 50 % decline: 0.06 × 50 = 3.0 when it acts, 0.004 × 50 = 0.2 otherwise
		expect(effect({ decliningPct: 50 })).toBeCloseTo(0.2, 10);
		expect(effect({ decliningPct: 50 }, { volatile: true })).toBeCloseTo(
			3.0,
			10,
		);
		expect(effect({ decliningPct: 50 }, { renewalDays: 110 })).toBeCloseTo(
			3.0,
			10,
		);
	});

	it("consumption level has a bump, not a slope", () => {
		const at = (z: number) => logit({ levelZ: z });
		// 3.2 × exp(−(z − 0.9)² / (2 × 0.45²))
		expect(at(0.9) - at(-1.5)).toBeCloseTo(3.2, 4);
		expect(at(0.9) - at(3)).toBeCloseTo(3.2, 3);
		expect(at(0.9) - at(0.45)).toBeCloseTo(3.2 * (1 - Math.exp(-0.5)), 10);
		expect(at(0.45)).toBeCloseTo(at(1.35), 10); // symmetric around 0.9
	});

	it("renewal within 3 months pulls hardest at the first renewal, fading with tenure", () => {
		const pull = (tenureDays: number) =>
			effect({ renewalDays: 30 }, { tenureDays });
		expect(pull(0)).toBeCloseTo(4.0, 10); // 2.1 + 1.9
		expect(pull(14 * 30.44)).toBeCloseTo(2.1 + 1.9 / Math.E, 10);
		expect(pull(3_000)).toBeCloseTo(2.1, 2);
		// far from renewal, tenure within a bucket does not matter
		expect(effect({ tenureDays: 2_000 })).toBe(0);
		expect(effect({ renewalDays: 150 })).toBeCloseTo(0.3, 10);
	});
});
