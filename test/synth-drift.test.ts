import { describe, expect, it } from "vitest";
import { planBatch } from "../runtime/synth/population.ts";

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("drifted batch", () => {
	const base = planBatch({ customers: 3_000, seed: 11 });
	const drifted = planBatch({ customers: 3_000, seed: 11, drift: 1 });
	const daysToRenewal = (d: string) =>
		(Date.parse(d) - Date.UTC(2025, 0, 1)) / 86_400_000;

	it("shifts consumption, prices, costs and renewal dates", () => {
		const elec = (p: typeof base) =>
			mean(p.customers.map((c) => mean(c.elecKwh)));
		const tier1 = (p: typeof base) =>
			mean(p.customers.map((c) => mean(c.tier1)));
		const cost = (p: typeof base) => mean(p.costs.map((c) => c.elecVarCost));
		const renewal = (p: typeof base) =>
			mean(p.customers.map((c) => daysToRenewal(c.nextRenewal)));
		expect(elec(drifted) / elec(base)).toBeCloseTo(1.3, 1);
		expect(tier1(drifted) / tier1(base)).toBeGreaterThan(1.1);
		expect(cost(drifted) / cost(base)).toBeCloseTo(1.2, 1);
		expect(renewal(drifted)).toBeLessThan(0.6 * renewal(base));
		expect(
			Math.min(...drifted.customers.map((c) => daysToRenewal(c.nextRenewal))),
		).toBeGreaterThanOrEqual(2);
	});

	it("keeps the population itself (same customers, segments, channels)", () => {
		expect(drifted.customers.map((c) => [c.id, c.segment, c.channel])).toEqual(
			base.customers.map((c) => [c.id, c.segment, c.channel]),
		);
	});

	it("raises churn through earlier renewals, as the churn model says", () => {
		const rate = (p: typeof base) =>
			mean(p.customers.map((c) => c.churnProbability));
		expect(rate(drifted)).toBeGreaterThan(rate(base) + 0.02);
	});
});
