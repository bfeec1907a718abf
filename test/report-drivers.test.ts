/** The churn-drivers table on hand-written customers, and the Wilson interval it uses. */
import { describe, expect, it } from "vitest";
import type { ReportRow } from "../runtime/report/contract.ts";
import { churnDriverRows } from "../runtime/report/export/churn-drivers.ts";
import { wilsonInterval, Z_95 } from "../runtime/report/export/wilson.ts";

describe("wilsonInterval (95 %)", () => {
	it("5 of 10: statsmodels proportion_confint(5, 10, method='wilson') = (0.2365931, 0.7634069)", () => {
		const ci = wilsonInterval(5, 10);
		expect(ci.low).toBeCloseTo(0.236593090512564, 12);
		expect(ci.high).toBeCloseTo(0.7634069094874361, 12);
	});

	it("0 of n: [0, z²/(n + z²)]; n of n: [n/(n + z²), 1]", () => {
		const z2 = Z_95 * Z_95;
		expect(wilsonInterval(0, 10)).toEqual({
			low: 0,
			high: expect.closeTo(z2 / (10 + z2), 14),
		});
		expect(wilsonInterval(10, 10)).toEqual({
			low: expect.closeTo(10 / (10 + z2), 14),
			high: 1,
		});
	});

	it("narrows with n around the same rate and rejects impossible counts", () => {
		const small = wilsonInterval(3, 10);
		const large = wilsonInterval(3000, 10000);
		expect(large.high - large.low).toBeLessThan((small.high - small.low) / 10);
		expect(() => wilsonInterval(3, 0)).toThrow(RangeError);
		expect(() => wilsonInterval(11, 10)).toThrow(RangeError);
	});
});

function customer(
	over: Partial<ReportRow<"customers">>,
): ReportRow<"customers"> {
	return {
		segment: "Residential",
		renewal_bucket: "12m+",
		months_to_renewal: 14,
		tenure_bucket: "2-5y",
		tenure_months: 30,
		sentiment_label: "neutral",
		customer_intent: "no_interaction",
		sales_channel: "phone",
		is_high_competition_province: 0,
		is_dual_fuel: 0,
		churn: 0,
		...over,
	} as ReportRow<"customers">;
}

describe("churnDriverRows", () => {
	const rows = churnDriverRows([
		customer({
			segment: "SME",
			churn: 1,
			renewal_bucket: "0-3m",
			months_to_renewal: 2,
		}),
		customer({
			segment: "SME",
			churn: 0,
			renewal_bucket: "expired",
			months_to_renewal: -1,
		}),
		customer({
			segment: "SME",
			churn: 1,
			renewal_bucket: "0-3m",
			months_to_renewal: 0.5,
			is_dual_fuel: 1,
		}),
		customer({ churn: 0, is_dual_fuel: 1 }),
		customer({ churn: 1, segment: null }),
		customer({ churn: null, segment: "SME" }), // unlabelled: left out
	]);
	const of = (d: string) => rows.filter((r) => r.dimension === d);

	it("counts labelled customers per level with their churn rate and interval", () => {
		expect(
			of("segment").map((r) => [
				r.level,
				r.customers,
				r.churners,
				r.churn_rate,
			]),
		).toEqual([
			["SME", 3, 2, 2 / 3],
			["Residential", 1, 0, 0],
			["(unknown)", 1, 1, 1],
		]);
		const sme = of("segment")[0];
		expect(sme.ci_low).toEqual(wilsonInterval(2, 3).low);
		expect(sme.ci_high).toEqual(wilsonInterval(2, 3).high);
		expect(sme.dimension_order).toBe(1);
	});

	it("orders a bucket by its months and reports the range seen", () => {
		expect(
			of("renewal_bucket").map((r) => [r.level, r.value_min, r.value_max]),
		).toEqual([
			["expired", -1, -1],
			["0-3m", 0.5, 2],
			["12m+", 14, 14],
		]);
	});

	it("names a flag's levels, no before yes", () => {
		expect(
			of("is_dual_fuel").map((r) => [r.level, r.customers, r.churners]),
		).toEqual([
			["single fuel", 3, 2],
			["dual fuel", 2, 1],
		]);
	});

	it("has no rows without labels", () => {
		expect(churnDriverRows([customer({ churn: null })])).toEqual([]);
	});
});
