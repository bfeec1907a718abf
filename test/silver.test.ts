import * as aq from "arquero";
import { describe, expect, it } from "vitest";
import type {
	SentimentScore,
	SentimentScorer,
} from "../runtime/data/nlp/sentiment.ts";
import { createSentimentScorer } from "../runtime/data/nlp/sentiment.ts";
import { buildSilver } from "../runtime/data/silver/build-silver.ts";
import { translateSalesChannel } from "../runtime/data/silver/channel.ts";
import {
	SILVER_CUSTOMER_CONTRACT,
	SILVER_CUSTOMER_MONTH_CONTRACT,
} from "../runtime/data/silver/contracts.ts";
import { segmentOf } from "../runtime/data/silver/segment.ts";
import { RawContractError } from "../runtime/errors.ts";
import type { Table } from "../runtime/io/tables.ts";
import { checkTable } from "../runtime/monitoring/quality.ts";

type Row = Record<string, unknown>;

function customer(id: string, over: Row = {}): Row {
	return {
		customer_id: id,
		churn: 0,
		contracted_power_kw: 4.6,
		is_industrial: 0,
		is_second_residence: 0,
		province_code: "28",
		region: "Madrid",
		is_high_competition_province: 0,
		is_urban: 1,
		sales_channel: "oficina",
		customer_first_activation_date: "2019-03-01",
		contract_start_date: "2023-03-01",
		last_product_change_date: null,
		next_renewal_date: "2025-03-01",
		interaction_date: null,
		interaction_channel: null,
		interaction_summary: null,
		interaction_count: 0,
		...over,
	};
}

function month(id: string, m: string, over: Row = {}): Row {
	return {
		customer_id: id,
		month: m,
		province_code: "28",
		monthly_elec_kwh: 350,
		monthly_gas_m3: 0,
		monthly_gas_kwh: 0,
		elec_kwh_tier_1_peak: 100,
		elec_kwh_tier_2_standard: 50,
		elec_kwh_tier_3_offpeak: 200,
		gas_m3_tier_1_peak: 0,
		gas_m3_tier_2_standard: 0,
		gas_m3_tier_3_offpeak: 0,
		gas_kwh_tier_1_peak: 0,
		gas_kwh_tier_2_standard: 0,
		gas_kwh_tier_3_offpeak: 0,
		holiday_hours_in_month: 24,
		hours_in_month: 744,
		pricing_date: `${m}-01`,
		variable_price_tier1_eur_kwh: 0.2,
		variable_price_tier2_eur_kwh: 0.15,
		variable_price_tier3_eur_kwh: 0.1,
		elec_fixed_fee_eur_month: 5,
		elec_fixed_cost_eur_month: 2,
		gas_variable_price_eur_m3: null,
		gas_fixed_revenue_eur_year: null,
		gas_fixed_cost_eur_year: null,
		elec_var_cost_eur_kwh: 0.06,
		gas_var_cost_eur_m3: 0.5,
		peaje_elec_eur_kwh: 0.04,
		...over,
	};
}

const table = (rows: Row[]): Table => aq.from(rows) as Table;

/** Deterministic scorer that records what it was asked to score. */
function stubScorer(): SentimentScorer & { calls: string[][] } {
	const calls: string[][] = [];
	return {
		name: "stub",
		calls,
		async score(texts: readonly string[]): Promise<SentimentScore[]> {
			calls.push([...texts]);
			return texts.map((t) =>
				/angry|frustrated/i.test(t)
					? { label: "negative", negative: 0.8, neutral: 0.15, positive: 0.05 }
					: { label: "positive", negative: 0.1, neutral: 0.2, positive: 0.7 },
			);
		},
	};
}

const rowsOf = (t: Table) => t.objects() as Row[];

describe("sales channel translation", () => {
	it("ignores case, spaces, underscores and hyphens", () => {
		expect(translateSalesChannel("presencial_comercial")).toBe(
			"In-Person Commercial",
		);
		expect(translateSalesChannel("  Presencial Comercial ")).toBe(
			"In-Person Commercial",
		);
		expect(translateSalesChannel("PRESENCIAL-COMERCIAL")).toBe(
			"In-Person Commercial",
		);
		expect(translateSalesChannel("Comparador")).toBe("Comparison Website");
		expect(translateSalesChannel("OFICINA")).toBe("Office");
		expect(translateSalesChannel("telemarketing")).toBe("Telemarketing");
		expect(translateSalesChannel("web propia")).toBe("Own Website");
		expect(translateSalesChannel("Web_Propia")).toBe("Own Website");
		expect(translateSalesChannel("desconocido")).toBe("Unknown");
		expect(translateSalesChannel("UNKNOWN")).toBe("Unknown");
	});
	it("keeps unknown labels as given and maps missing to Unknown", () => {
		expect(translateSalesChannel(" puerta a puerta ")).toBe("puerta a puerta");
		expect(translateSalesChannel(null)).toBe("Unknown");
		expect(translateSalesChannel("  ")).toBe("Unknown");
	});
});

describe("segment", () => {
	it("splits industrial customers at exactly 10 kW", () => {
		expect(segmentOf(0, 15)).toBe("Residential");
		expect(segmentOf(1, 10)).toBe("SME");
		expect(segmentOf(1, 10.01)).toBe("Corporate");
		expect(segmentOf(1, 2.3)).toBe("SME");
		expect(segmentOf(1, Number.NaN)).toBe("SME");
	});
});

describe("buildSilver", () => {
	const bronzeCustomer = table([
		customer("c3", {
			is_industrial: 1,
			contracted_power_kw: 10,
			sales_channel: "Web Propia",
			interaction_date: "2024-11-02",
			interaction_channel: "phone",
			interaction_summary:
				"Customer frustrated with the bill, wants to cancel.",
			interaction_count: 2,
		}),
		customer("c1", {
			is_second_residence: 1,
			sales_channel: "presencial_comercial",
		}),
		customer("c2", {
			is_industrial: 1,
			contracted_power_kw: 40,
			sales_channel: null,
			interaction_date: "2024-10-01",
			interaction_channel: "email",
			interaction_summary: "Asked about a better rate.",
			interaction_count: 1,
		}),
		customer("c4", {
			interaction_date: "2024-09-09",
			interaction_summary: "  ",
			interaction_count: 1,
		}),
	]);
	const bronzeMonth = table([
		// c1 (residential): January tier-1 price 0 with consumption → carried back from February
		month("c1", "2024-02", { variable_price_tier1_eur_kwh: 0.22 }),
		month("c1", "2024-01", { variable_price_tier1_eur_kwh: 0 }),
		// c2 (industrial): no tier-2 price of its own → median of industrial January {0.18 (c3)}
		month("c2", "2024-01", { variable_price_tier2_eur_kwh: null }),
		month("c3", "2024-01", {
			variable_price_tier2_eur_kwh: 0.18,
			monthly_gas_m3: 10,
			gas_variable_price_eur_m3: 0,
		}),
		// not in bronze_customer: dropped and counted
		month("zz", "2024-01"),
	]);

	it("derives segment, subtype, channel, intent and sentiment per customer", async () => {
		const scorer = stubScorer();
		const { customer: c, faults } = await buildSilver(
			bronzeCustomer,
			bronzeMonth,
			{ sentiment: scorer },
		);
		const rows = rowsOf(c);
		expect(rows.map((r) => r.customer_id)).toEqual(["c1", "c2", "c3", "c4"]);
		expect(rows.map((r) => [r.segment, r.residential_subtype])).toEqual([
			["Residential", "Second residence"],
			["Corporate", null],
			["SME", null],
			["Residential", "Primary"],
		]);
		expect(rows.map((r) => [r.sales_channel, r.sales_channel_raw])).toEqual([
			["In-Person Commercial", "presencial_comercial"],
			["Unknown", null],
			["Own Website", "Web Propia"],
			["Office", "oficina"],
		]);
		expect(rows.map((r) => r.customer_intent)).toEqual([
			null,
			"Pricing Offers",
			"Cancellation / Switch",
			"Other / Unclassified", // an interaction with a blank note
		]);
		expect(rows.map((r) => r.sentiment_label)).toEqual([
			null,
			"positive",
			"negative",
			null,
		]);
		expect(rows[2]).toMatchObject({
			sentiment_negative: 0.8,
			sentiment_neutral: 0.15,
			sentiment_positive: 0.05,
		});
		// One batch call, only non-blank summaries of customers with an interaction.
		expect(scorer.calls).toEqual([
			[
				"Customer frustrated with the bill, wants to cancel.",
				"Asked about a better rate.",
			],
		]);
		expect(faults.interactions_without_summary).toBe(1);
		// The one missing raw channel (1 of 4) is over the contract's 1 % allowance.
		const violations = checkTable(SILVER_CUSTOMER_CONTRACT, c).violations.map(
			(v) => `${v.column}:${v.rule}`,
		);
		expect(violations).toEqual(["sales_channel_raw:null_rate"]);
	});

	it("sorts months, drops unknown customers, imputes prices and computes the P&L", async () => {
		const { customerMonth: cm, faults } = await buildSilver(
			bronzeCustomer,
			bronzeMonth,
			{ sentiment: stubScorer() },
		);
		const rows = rowsOf(cm);
		expect(rows.map((r) => `${r.customer_id}/${r.month}`)).toEqual([
			"c1/2024-01",
			"c1/2024-02",
			"c2/2024-01",
			"c3/2024-01",
		]);
		expect(rows.map((r) => r.segment)).toEqual([
			"Residential",
			"Residential",
			"Corporate",
			"SME",
		]);
		expect(rows.map((r) => r.is_industrial)).toEqual([0, 0, 1, 1]);
		expect(rows[0].variable_price_tier1_eur_kwh).toBe(0.22);
		expect(rows[2].variable_price_tier2_eur_kwh).toBe(0.18);
		// c3's gas price 0 with 10 m3: no gas price anywhere in January → unimputed, left as given.
		expect(rows[3].gas_variable_price_eur_m3).toBe(0);
		// c1/2024-01: 100×0.22 + 50×0.15 + 200×0.10 + 5 = 54.5; cost 350×0.10 + 2 = 37
		expect(rows[0].elec_revenue).toBeCloseTo(54.5, 9);
		expect(rows[0].elec_cost).toBeCloseTo(37, 9);
		expect(rows[0].total_margin).toBeCloseTo(17.5, 9);
		// c3: gas cost 10 × 0.5 = 5, no gas revenue
		expect(rows[3].gas_margin).toBeCloseTo(-5, 9);
		expect(faults).toMatchObject({
			customer_month_rows_unknown_customer: 1,
			price_imputed_level1_variable_price_tier1_eur_kwh: 1,
			price_imputed_level2_variable_price_tier2_eur_kwh: 1,
			price_imputed_level3_variable_price_tier2_eur_kwh: 0,
			price_unimputed_gas_variable_price_eur_m3: 1,
			// gas fixed revenue is null with consumption too
			price_unimputed_gas_fixed_revenue_eur_year: 1,
		});
		expect(checkTable(SILVER_CUSTOMER_MONTH_CONTRACT, cm).violations).toEqual(
			[],
		);
	});

	it("works with the default lexicon sentiment scorer", async () => {
		const { customer: c } = await buildSilver(bronzeCustomer, bronzeMonth, {
			sentiment: createSentimentScorer(),
		});
		const labels = rowsOf(c).map((r) => r.sentiment_label);
		expect(labels[0]).toBeNull();
		expect(labels[2]).toBe("negative");
	});

	it("rejects bad input with the table, row and column", async () => {
		const s = { sentiment: stubScorer() };
		const noChurn = table([customer("x")]).select(aq.not("churn"));
		await expect(buildSilver(noChurn, bronzeMonth, s)).rejects.toMatchObject({
			name: "RawContractError",
			location: { file: "bronze_customer", column: "churn" },
		});
		const dup = table([customer("x"), customer("x")]);
		await expect(buildSilver(dup, bronzeMonth, s)).rejects.toMatchObject({
			location: { file: "bronze_customer", row: 2, column: "customer_id" },
		});
		const badMonth = table([month("c1", "2024-01"), month("c1", "2024-13")]);
		const err = await buildSilver(bronzeCustomer, badMonth, s).catch(
			(e: unknown) => e,
		);
		expect(err).toBeInstanceOf(RawContractError);
		expect((err as RawContractError).message).toBe(
			'bronze_customer_month, row 2, column "month": expected a month YYYY-MM, got "2024-13"',
		);
		const dupMonth = table([month("c1", "2024-01"), month("c1", "2024-01")]);
		await expect(buildSilver(bronzeCustomer, dupMonth, s)).rejects.toThrow(
			/duplicate month 2024-01 for customer "c1"/,
		);
		const badPower = table([customer("x", { contracted_power_kw: "ten" })]);
		await expect(buildSilver(badPower, bronzeMonth, s)).rejects.toThrow(
			/row 1, column "contracted_power_kw": expected a number/,
		);
	});
});
