import { table } from "arquero";
import { describe, expect, it } from "vitest";
import type { Table } from "../runtime/io/tables.ts";
import {
	GuardrailError,
	type ReasonCode,
	Recommendation,
	reasonCodesFor,
	recommend,
	recommendationsTable,
} from "../runtime/scoring/recommendations.ts";
import { expectedMonthlyLoss } from "../runtime/scoring/score.ts";
import { riskTier } from "../runtime/scoring/tiers.ts";

describe("risk tiers", () => {
	it("puts each boundary in the upper tier", () => {
		expect(riskTier(0)).toBe("Low");
		expect(riskTier(0.3999)).toBe("Low");
		expect(riskTier(0.4)).toBe("Medium");
		expect(riskTier(0.5999)).toBe("Medium");
		expect(riskTier(0.6)).toBe("High");
		expect(riskTier(0.7999)).toBe("High");
		expect(riskTier(0.8)).toBe("Critical");
		expect(riskTier(1)).toBe("Critical");
	});
	it("refuses values outside [0,1] and NaN", () => {
		for (const p of [-0.01, 1.01, Number.NaN])
			expect(() => riskTier(p)).toThrow(/not within \[0, 1\]/);
	});
});

describe("expected monthly loss", () => {
	it("is probability × non-negative margin", () => {
		expect(expectedMonthlyLoss(0.5, 20)).toBe(10);
		expect(expectedMonthlyLoss(0.9, -50)).toBe(0);
		expect(expectedMonthlyLoss(0.9, null)).toBe(0);
	});
});

const make = (
	riskScore: number,
	avgMonthlyMargin: number,
	reasonCodes: ReasonCode[] = ["renewal_within_3m"],
) =>
	Recommendation.create({
		customerId: "C1",
		riskScore,
		avgMonthlyMargin,
		reasonCodes,
	});

describe("recommendation record", () => {
	it("derives action, timing and budget from the tier", () => {
		expect(make(0.1, 100)).toMatchObject({
			riskTier: "Low",
			action: "no_offer",
			timing: "60_90_days",
			offerBudgetEur: 0,
		});
		expect(make(0.4, 100)).toMatchObject({
			riskTier: "Medium",
			action: "offer_small",
			timing: "30_60_days",
			offerBudgetEur: 5,
		});
		expect(make(0.6, 100)).toMatchObject({
			riskTier: "High",
			action: "offer_medium",
			timing: "immediate",
			offerBudgetEur: 15,
		});
		expect(make(0.8, 100)).toMatchObject({
			riskTier: "Critical",
			action: "offer_large",
			timing: "immediate",
			offerBudgetEur: 25,
		});
	});

	it("never offers to a negative-margin customer, and says why", () => {
		const r = make(0.95, -13.6);
		expect(r.riskTier).toBe("Critical");
		expect(r.action).toBe("no_offer");
		expect(r.offerBudgetEur).toBe(0);
		expect(r.reasonCodes).toEqual([
			"renewal_within_3m",
			"negative_margin_no_offer",
		]);
	});

	it("cannot be built in an invalid state", () => {
		expect(() => make(0.5, 10, [])).toThrow(GuardrailError);
		expect(() => make(1.2, 10)).toThrow(/not within \[0, 1\]/);
		expect(() => make(-0.1, 10)).toThrow(GuardrailError);
		expect(() => make(Number.NaN, 10)).toThrow(GuardrailError);
		expect(() => make(0.5, Number.NaN)).toThrow(/margin/);
		expect(() => make(0.5, 10, ["because" as ReasonCode])).toThrow(
			/unknown reason code/,
		);
		expect(() =>
			Recommendation.create({
				customerId: "",
				riskScore: 0.5,
				avgMonthlyMargin: 1,
				reasonCodes: ["short_tenure"],
			}),
		).toThrow(GuardrailError);
	});

	it("is immutable", () => {
		const r = make(0.9, 100);
		expect(() => {
			(r as { action: string }).action = "offer_large";
			(r as { offerBudgetEur: number }).offerBudgetEur = 1e6;
		}).toThrow(TypeError);
		expect(() => (r.reasonCodes as ReasonCode[]).pop()).toThrow(TypeError);
	});
});

describe("reason codes come from the customer's features", () => {
	it("lists each driver present, most severe first", () => {
		expect(
			reasonCodesFor({
				is_cancellation_intent: 1,
				is_negative_sentiment: 1,
				is_within_3m_of_renewal: 1,
				is_high_competition_province: 1,
				tenure_months: 5,
				is_price_increase: 1,
			}),
		).toEqual([
			"cancellation_intent",
			"negative_sentiment",
			"renewal_within_3m",
			"price_increase",
			"high_competition_province",
			"short_tenure",
		]);
		expect(
			reasonCodesFor({
				is_complaint_intent: 1,
				tenure_months: 13,
				is_price_sensitive: 1,
			}),
		).toEqual(["complaint_intent", "pricing_inquiry"]);
		expect(
			reasonCodesFor({ is_expired_contract: 1, tenure_months: 12 }),
		).toEqual(["contract_expired", "renewal_within_3m", "short_tenure"]);
	});

	it("falls back to a non-empty code when no driver applies", () => {
		expect(
			reasonCodesFor({ tenure_months: 80, is_within_3m_of_renewal: 0 }),
		).toEqual(["no_single_driver"]);
	});

	it("two customers with the same score get different reasons", () => {
		const gold = table({
			customer_id: ["A", "B"],
			avg_monthly_margin: [20, null],
			is_cancellation_intent: [1, 0],
			is_complaint_intent: [0, 0],
			is_negative_sentiment: [1, 0],
			is_expired_contract: [0, 0],
			is_within_3m_of_renewal: [0, 1],
			is_price_increase: [0, 0],
			is_price_sensitive: [0, 0],
			is_high_competition_province: [0, 1],
			tenure_months: [50, 50],
		}) as Table;
		const scored = table({
			customer_id: ["B", "A"],
			churn_proba: [0.65, 0.65],
		}) as Table;
		const recs = recommend(scored, gold);
		expect(recs.map((r) => [r.customerId, r.reasonCodes.join("|")])).toEqual([
			["B", "renewal_within_3m|high_competition_province"],
			["A", "cancellation_intent|negative_sentiment"],
		]);
		// Null margin: budget 0, like a zero margin.
		expect(recs[0]).toMatchObject({
			action: "offer_medium",
			offerBudgetEur: 0,
		});
		expect(recs[1]).toMatchObject({
			action: "offer_medium",
			offerBudgetEur: 3,
		});
		const t = recommendationsTable(recs);
		expect(t.numRows()).toBe(2);
		expect(t.get("reason_codes", 1)).toBe(
			"cancellation_intent|negative_sentiment",
		);
	});
});
