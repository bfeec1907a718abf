import * as aq from "arquero";
import { describe, expect, it } from "vitest";
import { buildGold, GOLD_COLUMNS } from "../runtime/features/build-gold.ts";
import {
	PRODUCTION_FEATURES,
	TIER_1B_STRINGS,
} from "../runtime/features/feature-sets.ts";
import { GOLD_CONTRACT } from "../runtime/features/gold-contract.ts";
import type { Table } from "../runtime/io/tables.ts";
import { checkTable } from "../runtime/monitoring/quality.ts";

type Row = Record<string, unknown>;
const AS_OF = "2025-01-01";

function customer(id: string, over: Row = {}): Row {
	return {
		customer_id: id,
		churn: 0,
		segment: "Residential",
		sales_channel: "Office",
		is_high_competition_province: 0,
		is_second_residence: 0,
		customer_first_activation_date: "2020-01-01", // 1827 days = 60.02 → 60 months, 2-5y
		contract_start_date: "2023-01-01",
		last_product_change_date: null,
		next_renewal_date: "2025-07-06", // 186 days = 6.11 → 6.1 months, 6-12m
		interaction_date: null,
		interaction_count: 0,
		interaction_summary: null,
		customer_intent: null,
		sentiment_label: null,
		province_code: "28",
		region: "Madrid",
		residential_subtype: "Primary",
		...over,
	};
}

function interaction(date: string, intent: string, sentiment: string): Row {
	return {
		interaction_date: date,
		interaction_count: 1,
		interaction_summary: "note",
		customer_intent: intent,
		sentiment_label: sentiment,
	};
}

/** Months of one customer: parallel arrays, null = absent. */
function months(
	id: string,
	start: number,
	cols: Record<string, (number | null)[]>,
): Row[] {
	const n = Object.values(cols)[0].length;
	return Array.from({ length: n }, (_, k) => {
		const row: Row = {
			customer_id: id,
			month: `2024-${String(start + k).padStart(2, "0")}`,
			monthly_elec_kwh: 0,
			monthly_gas_m3: 0,
			variable_price_tier1_eur_kwh: null,
			gas_variable_price_eur_m3: null,
			elec_var_cost_eur_kwh: null,
			gas_var_cost_eur_m3: null,
			gas_variable_revenue: 0,
			total_revenue: 0,
			total_margin: 0,
		};
		for (const [c, v] of Object.entries(cols)) row[c] = v[k];
		return row;
	});
}

const renewals: [string, string][] = [
	["r_today", "2025-01-01"], // 0 days → 0.0, expired
	["r_past", "2024-12-22"], // −10 days → −0.3, expired
	["r_291", "2025-04-02"], // 91 days = 2.99 → 3.0, 0-3m
	["r_302", "2025-04-03"], // 92 days = 3.02 → 3.0, 0-3m (bucket of the rounded value)
	["r_306", "2025-04-04"], // 93 days = 3.06 → 3.1, 3-6m
	["r_604", "2025-07-04"], // 184 days = 6.04 → 6.0, 3-6m
	["r_1196", "2025-12-31"], // 364 days = 11.96 → 12.0, 6-12m
	["r_1222", "2026-01-08"], // 372 days = 12.22 → 12.2, 12m+
];
const tenures: [string, string | null, string | null][] = [
	["t_6", "2024-07-01", null], // 184 days = 6.04 → 6, 0-6m
	["t_7", "2024-06-15", null], // 200 days = 6.57 → 7, 6-12m
	["t_12", "2024-01-01", null], // 366 days = 12.02 → 12, 6-12m
	["t_24", "2023-01-01", null], // 731 days = 24.01 → 24, 1-2y
	["t_60", "2020-01-01", null], // 1827 days = 60.02 → 60, 2-5y
	["t_61", "2019-12-01", null], // 1858 days = 61.04 → 61, 5y+
	["t_start", null, "2024-06-15"], // no activation: contract start, 7, 6-12m
	["t_none", null, null],
];

const silverCustomer = aq.from([
	...renewals.map(([id, d]) => customer(id, { next_renewal_date: d })),
	...tenures.map(([id, a, s]) =>
		customer(id, { customer_first_activation_date: a, contract_start_date: s }),
	),
	customer("ch_cmp", { sales_channel: "Comparison Website" }),
	customer("ch_own", { sales_channel: "Own Website" }),
	// Complaint, negative, renewal (2024-12-15) 75 days = 2.46 months after the interaction and already expired.
	customer("i_complaint", {
		...interaction("2024-10-01", "Complaint / Escalation", "negative"),
		next_renewal_date: "2024-12-15",
		customer_first_activation_date: "2024-07-01",
		is_high_competition_province: 1,
	}),
	// Cancellation on the as-of date, renewal 30 days (0.99 months) later; SME dual fuel.
	customer("i_cancel", {
		...interaction("2025-01-01", "Cancellation / Switch", "neutral"),
		next_renewal_date: "2025-01-31",
		segment: "SME",
		residential_subtype: null,
		is_high_competition_province: 1,
	}),
	// Pricing, renewal 400 days after the interaction; product changed 61 days before as-of (2.0 months).
	customer("i_price", {
		...interaction("2024-06-01", "Pricing Offers", "positive"),
		last_product_change_date: "2024-11-01",
	}),
	customer("i_91", {
		...interaction("2024-10-01", "Billing / Payment", "neutral"),
		next_renewal_date: "2024-12-31",
	}),
	customer("i_92", {
		...interaction("2024-10-01", "Billing / Payment", "neutral"),
		next_renewal_date: "2025-01-01",
	}),
	customer("i_before", {
		...interaction("2024-12-01", "Billing / Payment", "neutral"),
		next_renewal_date: "2024-11-30",
	}),
	customer("s6"),
	customer("s1"),
	customer("s5"),
	customer("s_lead_null"),
]) as Table;

const silverMonth = aq
	.from([
		...months("s6", 7, {
			monthly_elec_kwh: [100, 200, 0, 300, 100, 0],
			monthly_gas_m3: [0, 0, 10, 0, 0, 0],
			variable_price_tier1_eur_kwh: [0.15, 0.15, 0.151, 0.153, null, 0.16],
			gas_variable_price_eur_m3: [null, null, 0.9, null, null, 1.0],
			elec_var_cost_eur_kwh: [0.05, 0.05, 0.06, 0.06, 0.07, 0.07],
			gas_var_cost_eur_m3: [0.4, 0.4, 0.4, 0.4, 0.4, 0.4],
			gas_variable_revenue: [0, 0, 9, 0, 0, 0],
			total_revenue: [30, 20, 40, 50, 10, 30],
			total_margin: [10, -5, 20, 4, -2, 8],
		}),
		...months("s1", 12, {
			monthly_elec_kwh: [50],
			variable_price_tier1_eur_kwh: [0.2],
			total_margin: [3],
		}),
		...months("s5", 1, {
			monthly_elec_kwh: [1, 1, 1, 1, 1],
			variable_price_tier1_eur_kwh: [0.1, 0.1, 0.1, 0.1, 0.1],
			elec_var_cost_eur_kwh: [0.05, 0.05, 0.05, 0.05, 0.05],
			gas_var_cost_eur_m3: [0.4, 0.4, 0.4, 0.4, 0.4],
			total_margin: [1, 2, 3, 4, 5],
		}),
		...months("s_lead_null", 1, {
			monthly_elec_kwh: [1, 1, 1],
			variable_price_tier1_eur_kwh: [null, 0.1, 0.2],
		}),
		...months("i_cancel", 12, {
			monthly_elec_kwh: [10],
			monthly_gas_m3: [5],
			variable_price_tier1_eur_kwh: [0.2],
			elec_var_cost_eur_kwh: [0.05],
			gas_var_cost_eur_m3: [0.4],
		}),
	])
	.orderby(aq.desc("month")) as Table; // unsorted on purpose

const gold = buildGold(silverCustomer, silverMonth, { asOfDate: AS_OF });
const rows = new Map(
	(gold.objects() as Row[]).map((r) => [r.customer_id as string, r]),
);
const get = (id: string): Row => {
	const r = rows.get(id);
	if (!r) throw new Error(`no gold row for ${id}`);
	return r;
};
const pick = (id: string, cols: string[]) =>
	Object.fromEntries(cols.map((c) => [c, get(id)[c]]));
const round = (x: unknown) =>
	typeof x === "number" ? Math.round(x * 1e6) / 1e6 : x;

describe("buildGold: shape", () => {
	it("has one row per customer and exactly the agreed columns", () => {
		expect(gold.numRows()).toBe(silverCustomer.numRows());
		expect(gold.columnNames()).toEqual(GOLD_COLUMNS);
		for (const f of [...PRODUCTION_FEATURES, ...TIER_1B_STRINGS])
			expect(gold.columnNames()).toContain(f);
		expect(PRODUCTION_FEATURES).toHaveLength(56);
		expect(get("s6").as_of_date).toBe(AS_OF);
	});
	it("rejects an as-of date that is not an ISO date", () => {
		expect(() =>
			buildGold(silverCustomer, silverMonth, { asOfDate: "01/01/2025" }),
		).toThrow(/asOfDate/);
	});
});

describe("buildGold: lifecycle (1A)", () => {
	it("rounds months to renewal and buckets every boundary", () => {
		const got = renewals.map(([id]) => [
			get(id).months_to_renewal,
			get(id).renewal_bucket,
			get(id).is_within_3m_of_renewal,
			get(id).is_expired_contract,
		]);
		// Within 3 months of renewal means months_to_renewal ≤ 3, expired included.
		expect(got).toEqual([
			[0, "expired", 1, 1],
			[-0.3, "expired", 1, 1],
			[3, "0-3m", 1, 0],
			[3, "0-3m", 1, 0],
			[3.1, "3-6m", 0, 0],
			[6, "3-6m", 0, 0],
			[12, "6-12m", 0, 0],
			[12.2, "12m+", 0, 0],
		]);
	});
	it("rounds tenure and buckets every boundary, falling back to the contract start", () => {
		const got = tenures.map(([id]) => [
			get(id).tenure_months,
			get(id).tenure_bucket,
		]);
		expect(got).toEqual([
			[6, "0-6m"],
			[7, "6-12m"],
			[12, "6-12m"],
			[24, "1-2y"],
			[60, "2-5y"],
			[61, "5y+"],
			[7, "6-12m"],
			[null, null],
		]);
		expect(get("t_none").tenure_x_renewal_bucket).toBe("Unknown_x_6-12m");
	});
	it("derives channel, portfolio and profile flags", () => {
		expect(
			pick("ch_cmp", [
				"is_digital_channel",
				"is_comparison_channel",
				"is_own_website_channel",
			]),
		).toEqual({
			is_digital_channel: 1,
			is_comparison_channel: 1,
			is_own_website_channel: 0,
		});
		expect(
			pick("ch_own", [
				"is_digital_channel",
				"is_comparison_channel",
				"is_own_website_channel",
			]),
		).toEqual({
			is_digital_channel: 1,
			is_comparison_channel: 0,
			is_own_website_channel: 1,
		});
		expect(get("r_today").is_digital_channel).toBe(0);
		expect(
			pick("i_cancel", ["segment", "is_dual_fuel", "portfolio_type"]),
		).toEqual({
			segment: "SME",
			is_dual_fuel: 1,
			portfolio_type: "SME_DualFuel",
		});
		expect(get("s1").portfolio_type).toBe("Residential_SingleFuel");
		expect(get("s6").portfolio_type).toBe("Residential_DualFuel");
	});
});

describe("buildGold: monthly series (MP core and risk)", () => {
	it("computes a six-month customer by hand", () => {
		const s6 = Object.fromEntries(
			Object.entries(get("s6")).map(([k, v]) => [k, round(v)]),
		);
		expect(s6).toMatchObject({
			avg_monthly_elec_kwh: 116.666667, // 700 / 6
			total_elec_kwh_2024: 700,
			avg_monthly_gas_m3: 1.666667,
			total_gas_m3_2024: 10,
			gas_share_of_revenue: 0.05, // 9 / 180
			price_update_count: 2, // +0.001 not counted; +0.002 and +0.007 (across the missing month) are
			province_avg_elec_cost_2024: 0.06,
			province_avg_gas_cost_2024: 0.4,
			std_monthly_elec_kwh: 116.904519, // sqrt(68333.33 / 5)
			std_monthly_gas_m3: 4.082483, // sqrt((100 − 6 × 1.667²) / 5)
			active_months_count: 5, // December has neither electricity nor gas
			std_margin: 8.998148,
			min_monthly_margin: -5,
			max_negative_margin: 2,
			elec_price_trend_12m: 0.066667, // (0.16 − 0.15) / 0.15
			gas_price_trend_12m: 0.111111, // (1.0 − 0.9) / 0.9
			elec_price_volatility_12m: 0.004207, // sample std of the 5 observed prices
			province_elec_cost_trend: 0.4, // (0.07 − 0.05) / 0.05
			elec_price_vs_province_cost_spread: 0.1, // 0.16 − 0.06
			is_price_increase: 1,
			rolling_margin_trend: -5, // (4 − 2 + 8)/3 − (10 − 5 + 20)/3
			is_dual_fuel: 1,
			avg_monthly_margin: 5.833333,
			total_margin_2024: 35,
		});
	});
	it("handles a single month: std 0, trends 0, no earlier window", () => {
		expect(
			pick("s1", [
				"std_monthly_elec_kwh",
				"std_margin",
				"elec_price_volatility_12m",
				"elec_price_trend_12m",
			]),
		).toEqual({
			std_monthly_elec_kwh: 0,
			std_margin: 0,
			elec_price_volatility_12m: 0,
			elec_price_trend_12m: 0,
		});
		expect(
			pick("s1", [
				"rolling_margin_trend",
				"gas_share_of_revenue",
				"province_avg_elec_cost_2024",
				"elec_price_vs_province_cost_spread",
			]),
		).toEqual({
			rolling_margin_trend: 0,
			gas_share_of_revenue: 0, // revenue ≤ 0
			province_avg_elec_cost_2024: null,
			elec_price_vs_province_cost_spread: null,
		});
	});
	it("needs two full 3-month windows for the rolling margin trend", () => {
		expect(get("s5").rolling_margin_trend).toBe(0);
		expect(get("s5").min_monthly_margin).toBe(1);
	});
	it("starts price trends at the first observed price", () => {
		expect(
			pick("s_lead_null", [
				"elec_price_trend_12m",
				"price_update_count",
				"is_price_increase",
			]),
		).toEqual({
			elec_price_trend_12m: 1, // (0.2 − 0.1) / 0.1
			price_update_count: 1,
			is_price_increase: 1,
		});
	});
	it("keeps statistics null and sums 0 for a customer with no months", () => {
		expect(
			pick("r_today", [
				"avg_monthly_elec_kwh",
				"total_elec_kwh_2024",
				"std_margin",
				"active_months_count",
				"is_dual_fuel",
				"avg_monthly_margin",
				"total_margin_2024",
			]),
		).toEqual({
			avg_monthly_elec_kwh: null,
			total_elec_kwh_2024: 0,
			std_margin: null,
			active_months_count: 0,
			is_dual_fuel: 0,
			avg_monthly_margin: null,
			total_margin_2024: 0,
		});
	});
});

describe("buildGold: interactions, sentiment, compound and strings", () => {
	it("measures interaction timing against the as-of date and the renewal", () => {
		const cols = [
			"last_interaction_days_ago",
			"interaction_within_3m_of_renewal",
			"is_interaction_within_30d_of_renewal",
		];
		expect(pick("i_complaint", cols)).toEqual({
			last_interaction_days_ago: 92,
			interaction_within_3m_of_renewal: 1,
			is_interaction_within_30d_of_renewal: 0,
		});
		expect(pick("i_cancel", cols)).toEqual({
			last_interaction_days_ago: 0,
			interaction_within_3m_of_renewal: 1,
			is_interaction_within_30d_of_renewal: 1,
		});
		expect(get("i_price").interaction_within_3m_of_renewal).toBe(0); // 400 days
		expect(get("i_91").interaction_within_3m_of_renewal).toBe(1); // 91 days = 2.99 months
		expect(get("i_92").interaction_within_3m_of_renewal).toBe(0); // 92 days = 3.02 months
		expect(get("i_before").interaction_within_3m_of_renewal).toBe(0); // renewal before the interaction
		expect(get("i_price").months_since_last_change).toBe(2); // 61 days = 2.004
		expect(get("s1").months_since_last_change).toBeNull();
	});
	it("derives intent flags and severity", () => {
		const cols = [
			"has_interaction",
			"customer_intent",
			"is_cancellation_intent",
			"is_complaint_intent",
			"recent_complaint_flag",
			"intent_severity_score",
			"complaint_near_renewal",
			"is_price_sensitive",
		];
		expect(
			["i_complaint", "i_cancel", "i_price", "i_91", "s1"].map((id) =>
				Object.values(pick(id, cols)),
			),
		).toEqual([
			[1, "Complaint / Escalation", 0, 1, 1, 2, 1, 0],
			[1, "Cancellation / Switch", 1, 0, 1, 3, 1, 0],
			[1, "Pricing Offers", 0, 0, 0, 1, 0, 1],
			[1, "Billing / Payment", 0, 0, 0, 0, 0, 0],
			[0, null, 0, 0, 0, 0, 0, 0],
		]);
		expect(get("s1").last_interaction_days_ago).toBeNull();
	});
	it("derives sentiment features", () => {
		const cols = [
			"sentiment_label",
			"is_negative_sentiment",
			"complaint_x_negative_sentiment",
		];
		expect(pick("i_complaint", cols)).toEqual({
			sentiment_label: "negative",
			is_negative_sentiment: 1,
			complaint_x_negative_sentiment: 1,
		});
		expect(pick("i_cancel", cols)).toEqual({
			sentiment_label: "neutral",
			is_negative_sentiment: 0,
			complaint_x_negative_sentiment: 0,
		});
		expect(pick("s1", cols)).toEqual({
			sentiment_label: null,
			is_negative_sentiment: 0,
			complaint_x_negative_sentiment: 0,
		});
	});
	it("derives compound features", () => {
		const cols = [
			"is_high_risk_lifecycle",
			"is_competition_x_renewal",
			"dual_fuel_x_renewal",
			"dual_fuel_x_competition",
			"dual_fuel_x_intent",
		];
		// expired renewal (inside the renewal window) and 6-month tenure, high competition
		expect(Object.values(pick("i_complaint", cols))).toEqual([1, 1, 0, 0, 0]);
		// 0-3m renewal but 60-month tenure; dual fuel, high competition, cancellation
		expect(Object.values(pick("i_cancel", cols))).toEqual([0, 1, 1, 1, 1]);
		expect(get("t_6").is_high_risk_lifecycle).toBe(0); // 0-6m tenure but 6-12m renewal
		expect(Object.values(pick("s6", cols))).toEqual([0, 0, 0, 0, 0]);
	});
	it("writes the 1B strings as A_x_B with Unknown for nulls", () => {
		expect(pick("i_complaint", [...TIER_1B_STRINGS])).toEqual({
			intent_x_renewal_bucket: "Complaint / Escalation_x_expired",
			intent_x_tenure_bucket: "Complaint / Escalation_x_0-6m",
			sentiment_x_renewal_bucket: "negative_x_expired",
			intent_x_sentiment: "Complaint / Escalation_x_negative",
			tenure_x_renewal_bucket: "0-6m_x_expired",
			sales_channel_x_renewal_bucket: "Office_x_expired",
			has_interaction_x_renewal_bucket: "1_x_expired",
			competition_x_intent: "1_x_Complaint / Escalation",
		});
		expect(
			pick("s1", [
				"intent_x_sentiment",
				"has_interaction_x_renewal_bucket",
				"competition_x_intent",
			]),
		).toEqual({
			intent_x_sentiment: "Unknown_x_Unknown",
			has_interaction_x_renewal_bucket: "0_x_6-12m",
			competition_x_intent: "0_x_Unknown",
		});
	});
	it("moves every date measure with the as-of date, never the clock", () => {
		const later = buildGold(silverCustomer, silverMonth, {
			asOfDate: "2025-02-01",
		});
		const r = (later.objects() as Row[]).find(
			(x) => x.customer_id === "i_complaint",
		) as Row;
		expect(r.last_interaction_days_ago).toBe(123);
		expect(r.months_to_renewal).toBe(-1.6); // −48 days
		expect(r.as_of_date).toBe("2025-02-01");
	});
});

describe("GOLD_CONTRACT", () => {
	it("covers every gold column and passes customers with complete data", () => {
		expect(GOLD_CONTRACT.columns.map((c) => c.name)).toEqual(GOLD_COLUMNS);
		const complete = new Set(["s6", "s5", "i_cancel"]);
		const sub = gold.filter(
			aq.escape((d: Row) => complete.has(d.customer_id as string)),
		) as Table;
		expect(sub.numRows()).toBe(3);
		expect(checkTable(GOLD_CONTRACT, sub).violations).toEqual([]);
	});
	it("flags missing statistics beyond the allowance, never a flag", () => {
		const report = checkTable(GOLD_CONTRACT, gold);
		expect(report.passed).toBe(false);
		const flagged = new Set(
			report.violations.map((v) => `${v.column}:${v.rule}`),
		);
		// Most fixture customers have no monthly rows; t_none has no start date.
		for (const c of [
			"avg_monthly_elec_kwh",
			"std_margin",
			"avg_monthly_margin",
			"tenure_months",
			"tenure_bucket",
		])
			expect(flagged).toContain(`${c}:null_rate`);
		const flagColumns = GOLD_CONTRACT.columns
			.filter((c) => c.type === "flag")
			.map((c) => c.name);
		expect(flagColumns).toHaveLength(25);
		for (const c of flagColumns)
			expect([...flagged].filter((v) => v.startsWith(`${c}:`))).toEqual([]);
	});
});
