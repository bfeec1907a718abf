import { describe, expect, it } from "vitest";
import { isoDayNumber } from "../runtime/data/silver/table-columns.ts";
import {
	behaviouralFeatures,
	type CustomerFacts,
	compoundFeatures,
	lifecycleFeatures,
} from "../runtime/features/customer-features.ts";
import {
	defaultAsOfDate,
	monthsBetween,
	renewalBucket,
	roundTo,
	tenureBucket,
} from "../runtime/features/dates.ts";
import {
	countMoves,
	relativeTrend,
	rollingMarginTrend,
	sampleStd,
} from "../runtime/features/series-stats.ts";
import { reasonCodesFor } from "../runtime/scoring/recommendations.ts";

describe("renewal and tenure buckets", () => {
	it("puts every renewal boundary on the closed upper side", () => {
		expect(renewalBucket(-0.5)).toBe("expired");
		expect(renewalBucket(0)).toBe("expired");
		expect(renewalBucket(0.1)).toBe("0-3m");
		expect(renewalBucket(3)).toBe("0-3m");
		expect(renewalBucket(3.01)).toBe("3-6m");
		expect(renewalBucket(6)).toBe("3-6m");
		expect(renewalBucket(6.01)).toBe("6-12m");
		expect(renewalBucket(12)).toBe("6-12m");
		expect(renewalBucket(12.1)).toBe("12m+");
		expect(renewalBucket(null)).toBeNull();
	});
	it("puts every tenure boundary on the closed upper side", () => {
		expect(tenureBucket(0)).toBe("0-6m");
		expect(tenureBucket(6)).toBe("0-6m");
		expect(tenureBucket(7)).toBe("6-12m");
		expect(tenureBucket(12)).toBe("6-12m");
		expect(tenureBucket(13)).toBe("1-2y");
		expect(tenureBucket(24)).toBe("1-2y");
		expect(tenureBucket(25)).toBe("2-5y");
		expect(tenureBucket(60)).toBe("2-5y");
		expect(tenureBucket(61)).toBe("5y+");
		expect(tenureBucket(Number.NaN)).toBeNull();
	});
	it("measures months as days / 30.44 and rounds half away from zero", () => {
		const d = isoDayNumber("2025-01-01") as number;
		// 2025-04-11 is 100 days later: 100 / 30.44 = 3.2852 → 3.3
		expect(
			roundTo(monthsBetween(d, isoDayNumber("2025-04-11") as number), 1),
		).toBe(3.3);
		expect(roundTo(-1.478, 1)).toBe(-1.5);
		expect(roundTo(2.25, 1)).toBe(2.3);
		expect(isoDayNumber("2024-02-30")).toBeUndefined();
		expect(isoDayNumber("2024-02-29")).toBe(19782);
	});
});

describe("renewal window (months_to_renewal ≤ 3, expired included)", () => {
	const asOf = isoDayNumber("2025-01-01") as number;
	// A new (0-6m), dual-fuel customer in a high-competition province, so every
	// flag that depends on the window can show it.
	const facts = (renewalInDays: number): CustomerFacts => ({
		segment: "Residential",
		salesChannel: "Office",
		isHighCompetitionProvince: 1,
		isSecondResidence: 0,
		firstActivationDay: asOf - 60,
		contractStartDay: asOf - 60,
		lastProductChangeDay: Number.NaN,
		nextRenewalDay: asOf + renewalInDays,
		interactionDay: Number.NaN,
		hasInteraction: false,
		intent: null,
		sentimentLabel: null,
	});
	const at = (renewalInDays: number) => {
		const l = lifecycleFeatures(facts(renewalInDays), asOf, 1);
		const c = compoundFeatures(
			l,
			behaviouralFeatures(facts(renewalInDays), asOf),
		);
		return {
			months: l.months_to_renewal,
			bucket: l.renewal_bucket,
			within: l.is_within_3m_of_renewal,
			expired: l.is_expired_contract,
			highRisk: c.is_high_risk_lifecycle,
			competition: c.is_competition_x_renewal,
			dualFuel: c.dual_fuel_x_renewal,
			renewalCode: reasonCodesFor({ ...l, tenure_months: 2 }).includes(
				"renewal_within_3m",
			),
		};
	};
	it("opens at 3.0 months and stays open for expired contracts", () => {
		// 91 days = 2.99 → 3.0; 0 days → 0.0; −30 days = −0.99 → −1.0; 122 days = 4.01 → 4.0
		const open = {
			within: 1,
			highRisk: 1,
			competition: 1,
			dualFuel: 1,
			renewalCode: true,
		};
		expect(at(91)).toEqual({ months: 3, bucket: "0-3m", expired: 0, ...open });
		expect(at(0)).toEqual({
			months: 0,
			bucket: "expired",
			expired: 1,
			...open,
		});
		expect(at(-30)).toEqual({
			months: -1,
			bucket: "expired",
			expired: 1,
			...open,
		});
		expect(at(122)).toEqual({
			months: 4,
			bucket: "3-6m",
			expired: 0,
			within: 0,
			highRisk: 0,
			competition: 0,
			dualFuel: 0,
			renewalCode: false,
		});
	});
	it("is closed when the renewal date is unknown", () => {
		const l = lifecycleFeatures(facts(Number.NaN), asOf, 1);
		expect([l.months_to_renewal, l.is_within_3m_of_renewal]).toEqual([null, 0]);
	});
});

describe("default as-of date", () => {
	it("is the day after the last consumption timestamp", () => {
		expect(defaultAsOfDate("2024-12-31T23:00:00")).toBe("2025-01-01");
		expect(defaultAsOfDate("2024-02-28T05:00:00")).toBe("2024-02-29");
		expect(() => defaultAsOfDate("31/12/2024")).toThrow(RangeError);
	});
});

describe("series statistics", () => {
	it("sample std uses n − 1, is 0 for one value and null for none", () => {
		// mean 4; squared deviations 4+0+4 = 8; 8 / 2 = 4 → 2
		expect(sampleStd([2, 4, 6])).toBe(2);
		expect(sampleStd([7])).toBe(0);
		expect(sampleStd(Array(12).fill(0.1637))).toBe(0);
		expect(sampleStd([])).toBeNull();
	});
	it("relative trend is (last − first) / first, 0 when first ≤ 0", () => {
		expect(relativeTrend([0.2, 0.1, 0.25])).toBeCloseTo(0.25, 12);
		expect(relativeTrend([0, 0.2])).toBe(0);
		expect(relativeTrend([-1, 0.2])).toBe(0);
		expect(relativeTrend([])).toBe(0);
	});
	it("counts moves strictly larger than the threshold", () => {
		// 0.150 → 0.151 is exactly 0.001 (not counted), 0.151 → 0.1521 is 0.0011 (counted)
		expect(countMoves([0.15, 0.151, 0.1521, 0.1521, 0.14], 0.001)).toBe(2);
	});
	it("rolling margin trend needs two full 3-month windows", () => {
		expect(rollingMarginTrend([1, 2, 3, 4, 5])).toBe(0);
		// last 3: (4 + 5 + 9) / 3 = 6; 3 before: (1 + 2 + 3) / 3 = 2
		expect(rollingMarginTrend([1, 2, 3, 4, 5, 9])).toBe(4);
		// only the last 6 months count: (10 + 10 + 10)/3 − (0 + 0 + 3)/3 = 9
		expect(rollingMarginTrend([100, 0, 0, 3, 10, 10, 10])).toBe(9);
	});
});
