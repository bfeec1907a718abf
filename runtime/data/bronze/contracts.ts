/**
 * Data-quality contracts of the bronze tables (docs/data-quality.md). Bronze
 * keeps the extract as it is (prices raw, silver imputes), so its rules are
 * the hard invariants of the domain plus the share of faulty rows tolerated
 * (`QualityTolerances`). Every rule says why in `reason`.
 */

import type { QualityViolation } from "../../errors.ts";
import type { Table } from "../../io/tables.ts";
import {
	type ColumnContract,
	type QualityTolerances,
	shareViolation,
	type TableContract,
} from "../../monitoring/quality.ts";
import { CONSUMPTION_QUANTITY_COLUMNS } from "./hourly-aggregate.ts";

/** Reasons shared with silver and gold (one wording per domain fact). */
export const REASONS = {
	attribute:
		"every customer has a row in customer_attributes; one without (customers_without_attributes) is tolerated up to maxInvalidShare",
	contract:
		"every customer has a contract with a start and a next renewal date; one without (no contract row, customers_without_contract, or a blank date) is tolerated up to maxInvalidShare",
	firstActivation:
		"first activation may be unrecorded: tenure falls back to contract_start_date",
	productChange: "customers who never changed product have no change date",
	interaction:
		"most customers have no interaction (≈ 68 % in the real extract) and a batch may have none",
	interactionCount: "a count of interactions, 0 for customers without one",
	consumption:
		"hourly readings summed per month: negatives are clamped to 0 and counted, so a sum is never negative or missing",
	holidayHours:
		"at most three national holidays fall in one month (December: 6, 8, 25), 24 hours each",
	hoursInMonth:
		"a month has a row only if it has readings; at most 31 × 24 + 1 (the repeated wall-clock hour when daylight saving time ends)",
	pricingDate:
		"a customer-month without a price row (customer_months_without_price_row) is imputed in silver, tolerated up to maxImputedPriceShare",
	elecPrice:
		"every customer is billed for electricity each month; a missing price is imputed in silver, tolerated up to maxImputedPriceShare; never negative",
	elecFixedCost:
		"an electricity fixed cost exists for every customer-month; a missing one counts as 0 in the P&L, tolerated up to maxImputedPriceShare; never negative",
	gasTariff:
		"blank for electricity-only customers (gas is consumed in ≈ 13.5 % of customer-months of the real extract), so any share may be blank; never negative",
	provinceCost:
		"costs_by_province_month covers every province and month; a customer-month without a cost row (customer_months_without_cost_row) is tolerated up to maxInvalidShare; never negative",
	gasCost:
		"provinces without a natural-gas network (e.g. the Canary Islands) have no gas cost, so any share may be blank; never negative",
	customerKey: "one row per customer of churn_label, whose ids are unique",
	customerMonthKey: "the hourly aggregate has one row per customer and month",
	churn: "the label: churn_label requires a 0/1 value for every customer",
	customerId: "the key: rows with an empty customer_id are dropped in raw",
	month: "the month of the hourly timestamps, always present",
} as const;

const tolerated = (
	name: string,
	type: ColumnContract["type"],
	reason: string,
	extra: Partial<ColumnContract> = {},
): ColumnContract => ({
	name,
	type,
	maxNullRate: "maxInvalidShare",
	reason,
	...extra,
});
const elecPrice = (name: string): ColumnContract => ({
	name,
	type: "number",
	min: 0,
	maxNullRate: "maxImputedPriceShare",
	reason: REASONS.elecPrice,
});
const gasTariff = (name: string): ColumnContract => ({
	name,
	type: "number",
	min: 0,
	maxNullRate: 1,
	reason: REASONS.gasTariff,
});

export const BRONZE_CUSTOMER_CONTRACT: TableContract = {
	table: "bronze_customer",
	key: ["customer_id"],
	keyReason: REASONS.customerKey,
	minRows: 1,
	columns: [
		{ name: "customer_id", type: "string", reason: REASONS.customerId },
		{ name: "churn", type: "flag", reason: REASONS.churn },
		// Plausibility (kW range) is a silver warning; bronze only rejects the impossible.
		tolerated("contracted_power_kw", "number", REASONS.attribute, {
			min: 0,
		}),
		tolerated("is_industrial", "flag", REASONS.attribute),
		tolerated("is_second_residence", "flag", REASONS.attribute),
		tolerated("province_code", "string", REASONS.attribute),
		tolerated("region", "string", REASONS.attribute),
		tolerated("is_high_competition_province", "flag", REASONS.attribute),
		tolerated("is_urban", "flag", REASONS.attribute),
		tolerated("sales_channel", "string", REASONS.attribute),
		{
			name: "customer_first_activation_date",
			type: "date",
			maxNullRate: 1,
			reason: REASONS.firstActivation,
		},
		tolerated("contract_start_date", "date", REASONS.contract),
		{
			name: "last_product_change_date",
			type: "date",
			maxNullRate: 1,
			reason: REASONS.productChange,
		},
		tolerated("next_renewal_date", "date", REASONS.contract),
		...(
			[
				["interaction_date", "date"],
				["interaction_channel", "string"],
				["interaction_summary", "string"],
			] as const
		).map(
			([name, type]): ColumnContract => ({
				name,
				type,
				maxNullRate: 1,
				reason: REASONS.interaction,
			}),
		),
		{
			name: "interaction_count",
			type: "integer",
			min: 0,
			reason: REASONS.interactionCount,
		},
	],
};

/**
 * The monthly consumption and pricing-date rules, the same in bronze and
 * silver customer-month (silver carries these columns unchanged).
 */
export const CONSUMPTION_MONTH_RULES: readonly ColumnContract[] = [
	...CONSUMPTION_QUANTITY_COLUMNS.map(
		(name): ColumnContract => ({
			name,
			type: "number",
			min: 0,
			reason: REASONS.consumption,
		}),
	),
	{
		name: "holiday_hours_in_month",
		type: "integer",
		min: 0,
		max: 3 * 24,
		reason: REASONS.holidayHours,
	},
	{
		name: "hours_in_month",
		type: "integer",
		min: 1,
		max: 31 * 24 + 1,
		reason: REASONS.hoursInMonth,
	},
	{
		name: "pricing_date",
		type: "date",
		maxNullRate: "maxImputedPriceShare",
		reason: REASONS.pricingDate,
	},
];

export const BRONZE_CUSTOMER_MONTH_CONTRACT: TableContract = {
	table: "bronze_customer_month",
	key: ["customer_id", "month"],
	keyReason: REASONS.customerMonthKey,
	minRows: 1,
	columns: [
		{ name: "customer_id", type: "string", reason: REASONS.customerId },
		{ name: "month", type: "month", reason: REASONS.month },
		tolerated("province_code", "string", REASONS.attribute),
		...CONSUMPTION_MONTH_RULES,
		elecPrice("variable_price_tier1_eur_kwh"),
		elecPrice("variable_price_tier2_eur_kwh"),
		elecPrice("variable_price_tier3_eur_kwh"),
		elecPrice("elec_fixed_fee_eur_month"),
		{
			name: "elec_fixed_cost_eur_month",
			type: "number",
			min: 0,
			maxNullRate: "maxImputedPriceShare",
			reason: REASONS.elecFixedCost,
		},
		gasTariff("gas_variable_price_eur_m3"),
		gasTariff("gas_fixed_revenue_eur_year"),
		gasTariff("gas_fixed_cost_eur_year"),
		tolerated("elec_var_cost_eur_kwh", "number", REASONS.provinceCost, {
			min: 0,
		}),
		{
			name: "gas_var_cost_eur_m3",
			type: "number",
			min: 0,
			maxNullRate: 1,
			reason: REASONS.gasCost,
		},
		tolerated("peaje_elec_eur_kwh", "number", REASONS.provinceCost, {
			min: 0,
		}),
	],
};

/** Fault key of customers of churn_label with no consumption row at all (bronze_customer_month reports it). */
export const CUSTOMERS_WITHOUT_CONSUMPTION = "customers_without_consumption";

export const COVERAGE_REASON =
	"every customer of the batch is metered every hour; a customer with no consumption row at all (customers_without_consumption) would reach gold with zero totals, tolerated up to maxInvalidShare";

/**
 * The rule a column contract cannot express: the share of customers of
 * bronze_customer without any consumption row, reported on
 * bronze_customer_month with the first ids.
 */
export function consumptionCoverageViolations(
	bronzeCustomer: Table,
	customersWithoutConsumption: readonly string[],
	tolerances: QualityTolerances,
): QualityViolation[] {
	const ids = customersWithoutConsumption;
	const v = shareViolation(
		BRONZE_CUSTOMER_MONTH_CONTRACT.table,
		"customer_coverage",
		ids.length,
		bronzeCustomer.numRows(),
		tolerances.maxInvalidShare,
		`customers have no consumption row (first: ${ids.slice(0, 5).join(", ")})`,
		COVERAGE_REASON,
	);
	return v ? [v] : [];
}
