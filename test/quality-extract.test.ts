/**
 * The quality contracts hold on an extract written by hand, not by the
 * generator, shaped like the real one: an electricity-only majority (gas
 * tariffs blank), a province without a natural-gas network (gas cost blank),
 * one interaction among 32 customers, a customer with no recorded first
 * activation, an SME, expired and upcoming renewals. Every layer's contract
 * passes; a customer without any consumption row is counted and, beyond the
 * tolerated share, stops bronze.
 */
import * as aq from "arquero";
import { describe, expect, it } from "vitest";
import { buildBronzeCustomer } from "../runtime/data/bronze/bronze-customer.ts";
import { buildBronzeCustomerMonth } from "../runtime/data/bronze/bronze-customer-month.ts";
import {
	BRONZE_CUSTOMER_CONTRACT,
	BRONZE_CUSTOMER_MONTH_CONTRACT,
	CUSTOMERS_WITHOUT_CONSUMPTION,
	consumptionCoverageViolations,
} from "../runtime/data/bronze/contracts.ts";
import type { SentimentScorer } from "../runtime/data/nlp/sentiment.ts";
import type { RawBatch } from "../runtime/data/raw/load-batch.ts";
import { buildSilver } from "../runtime/data/silver/build-silver.ts";
import {
	SILVER_CUSTOMER_CONTRACT,
	SILVER_CUSTOMER_MONTH_CONTRACT,
} from "../runtime/data/silver/contracts.ts";
import { buildGold } from "../runtime/features/build-gold.ts";
import { GOLD_CONTRACT } from "../runtime/features/gold-contract.ts";
import type { Table } from "../runtime/io/tables.ts";
import {
	checkTable,
	type QualityReport,
	type QualityTolerances,
	resolveTolerances,
} from "../runtime/monitoring/quality.ts";

const N = 32;
const ids = Array.from(
	{ length: N },
	(_, i) => `ES-${String(i + 1).padStart(4, "0")}`,
);
/** Customers 1–4 consume gas too; the other 28 (87.5 %) are electricity-only. */
const hasGas = (i: number) => i < 4;
/** Customers 29–32 live in Las Palmas (35): no natural-gas network, no gas cost. */
const provinceOf = (i: number) => (i >= 28 ? "35" : i % 2 === 0 ? "28" : "08");
const REGION: Record<string, string> = {
	"28": "Madrid",
	"08": "Cataluña",
	"35": "Canarias",
};

const MONTHS = Array.from(
	{ length: 12 },
	(_, m) => `2024-${String(m + 1).padStart(2, "0")}`,
);
// Local wall-clock hours of 2024 (leap February, 23-hour March, 25-hour October)
// and hours of the national holidays in each month.
const HOURS = [744, 696, 743, 720, 744, 720, 744, 744, 720, 745, 720, 744];
const HOLIDAY_HOURS = [48, 0, 0, 0, 24, 0, 0, 24, 0, 24, 24, 72];

function rawBatch(): RawBatch {
	const attr = ids.map((id, i) => ({
		customer_id: id,
		// one SME among residential customers
		contracted_power_kw: i === 5 ? 9.9 : 3.45 + (i % 4),
		is_industrial: i === 5 ? 1 : 0,
		is_second_residence: i === 7 ? 1 : 0,
		province_code: provinceOf(i),
		region: REGION[provinceOf(i)],
		is_high_competition_province: provinceOf(i) === "28" ? 1 : 0,
		is_urban: 1,
		sales_channel: i % 3 === 0 ? "oficina" : "Desconocido",
	}));
	const contracts = ids.map((id, i) => ({
		customer_id: id,
		// first activation not recorded for one customer
		customer_first_activation_date: i === 9 ? null : "2018-05-02",
		contract_start_date: "2023-05-02",
		last_product_change_date: i % 5 === 0 ? "2024-03-10" : null,
		// some expired (rolling terms), some within three months, some later
		next_renewal_date:
			i % 4 === 0 ? "2024-11-30" : i % 4 === 1 ? "2025-02-15" : "2025-09-01",
	}));
	const prices = ids.flatMap((id, i) =>
		MONTHS.map((m) => ({
			customer_id: id,
			pricing_date: `${m}-01`,
			variable_price_tier1_eur_kwh: 0.19,
			variable_price_tier2_eur_kwh: 0.14,
			variable_price_tier3_eur_kwh: 0.09,
			elec_fixed_fee_eur_month: 4.2,
			elec_fixed_cost_eur_month: 2.1,
			gas_variable_price_eur_m3: hasGas(i) ? 0.95 : null,
			gas_fixed_revenue_eur_year: hasGas(i) ? 60 : null,
			gas_fixed_cost_eur_year: hasGas(i) ? 30 : null,
		})),
	);
	const costs = ["28", "08", "35"].flatMap((p) =>
		MONTHS.map((m) => ({
			month: m,
			province: p,
			elec_var_cost_eur_kwh: 0.08,
			gas_var_cost_eur_m3: p === "35" ? null : 0.4,
			peaje_elec_eur_kwh: 0.03,
		})),
	);
	return {
		batchDir: "hand-written",
		churnLabel: aq.table({
			customer_id: ids,
			churn: ids.map((_, i) => (i % 8 === 0 ? 1 : 0)),
		}),
		attributes: aq.from(attr),
		contracts: aq.from(contracts),
		interactions: aq.table({
			customer_id: ["ES-0003"],
			date: ["2024-10-14"],
			channel: ["phone"],
			interaction_summary: ["Cust asked about renewal terms."],
		}),
		prices: aq.from(prices),
		costs: aq.from(costs),
		consumption: undefined as never,
		faults: {},
	};
}

/** The hourly aggregate of the metered customers, month by month. */
function consumptionMonthly(metered: readonly string[]): Table {
	const rows = metered.flatMap((id) => {
		const i = ids.indexOf(id);
		return MONTHS.map((month, m) => {
			const elec = 180 + 10 * i + 5 * m;
			const gas = hasGas(i) ? 20 + m : 0;
			return {
				customer_id: id,
				month,
				monthly_elec_kwh: elec,
				monthly_gas_m3: gas,
				monthly_gas_kwh: gas * 11,
				elec_kwh_tier_1_peak: elec * 0.3,
				elec_kwh_tier_2_standard: elec * 0.3,
				elec_kwh_tier_3_offpeak: elec * 0.4,
				gas_m3_tier_1_peak: gas * 0.3,
				gas_m3_tier_2_standard: gas * 0.3,
				gas_m3_tier_3_offpeak: gas * 0.4,
				gas_kwh_tier_1_peak: gas * 11 * 0.3,
				gas_kwh_tier_2_standard: gas * 11 * 0.3,
				gas_kwh_tier_3_offpeak: gas * 11 * 0.4,
				holiday_hours_in_month: HOLIDAY_HOURS[m],
				hours_in_month: HOURS[m],
			};
		});
	});
	return aq.from(rows) as Table;
}

const neutral: SentimentScorer = {
	name: "neutral",
	score: async (texts) =>
		texts.map(() => ({
			label: "neutral",
			negative: 0,
			neutral: 1,
			positive: 0,
		})),
};

async function runLayers(metered: readonly string[], t: QualityTolerances) {
	const raw = rawBatch();
	const customer = buildBronzeCustomer(raw);
	const month = buildBronzeCustomerMonth(
		consumptionMonthly(metered),
		raw,
		customer.table,
	);
	const silver = await buildSilver(customer.table, month.table, {
		sentiment: neutral,
	});
	const gold = buildGold(silver.customer, silver.customerMonth, {
		asOfDate: "2025-01-01",
	});
	const reports: QualityReport[] = [
		checkTable(BRONZE_CUSTOMER_CONTRACT, customer.table, t),
		checkTable(
			BRONZE_CUSTOMER_MONTH_CONTRACT,
			month.table,
			t,
			consumptionCoverageViolations(
				customer.table,
				month.customersWithoutConsumption,
				t,
			),
		),
		checkTable(SILVER_CUSTOMER_CONTRACT, silver.customer, t),
		checkTable(SILVER_CUSTOMER_MONTH_CONTRACT, silver.customerMonth, t),
		checkTable(GOLD_CONTRACT, gold, t),
	];
	return { reports, month, gold };
}

const errorsOf = (reports: QualityReport[]) =>
	reports.flatMap((r) =>
		r.violations
			.filter((v) => v.severity === "error")
			.map((v) => `${v.table}.${v.column ?? ""} [${v.rule}] ${v.detail}`),
	);

describe("an electricity-only-majority extract written by hand", () => {
	it("passes every layer's contract under the default tolerances", async () => {
		const { reports, month } = await runLayers(ids, resolveTolerances({}));
		expect(errorsOf(reports)).toEqual([]);
		const gasBlank = reports[1].columns.find(
			(c) => c.name === "gas_variable_price_eur_m3",
		);
		expect(gasBlank?.nullRate).toBe(28 / 32);
		expect(month.faults[CUSTOMERS_WITHOUT_CONSUMPTION]).toBeUndefined();
	});

	it("counts a customer with no consumption row and stops bronze beyond the tolerated share", async () => {
		const metered = ids.filter((id) => id !== "ES-0012");
		const strict = await runLayers(metered, resolveTolerances({}));
		expect(strict.month.faults[CUSTOMERS_WITHOUT_CONSUMPTION]).toBe(1);
		expect(strict.month.customersWithoutConsumption).toEqual(["ES-0012"]);
		// 1 of 32 = 3.1 % > 1 %: bronze names the rule and the customer; gold
		// (zero totals, null averages) agrees.
		const errors = errorsOf(strict.reports);
		expect(errors[0]).toBe(
			"bronze_customer_month. [customer_coverage] 1 of 32 customers have no consumption row (first: ES-0012) (3.13%) exceeds 1.00%",
		);
		expect(errors.slice(1).every((e) => e.startsWith("gold_customer."))).toBe(
			true,
		);
		// Tolerated at 5 %: the run goes on, the fault stays counted.
		const lenient = await runLayers(
			metered,
			resolveTolerances({ maxInvalidShare: 0.05 }),
		);
		expect(errorsOf(lenient.reports)).toEqual([]);
		expect(lenient.month.faults[CUSTOMERS_WITHOUT_CONSUMPTION]).toBe(1);
		const row = (lenient.gold.objects() as Record<string, unknown>[]).find(
			(r) => r.customer_id === "ES-0012",
		);
		expect(row).toMatchObject({
			total_elec_kwh_2024: 0,
			active_months_count: 0,
		});
	});
});
