/**
 * Data-quality contracts of the bronze tables (DATA_SPEC §7). Null-rate
 * allowances are deliberate: ~68 % of customers have no interaction, prices
 * and costs can be missing before silver imputes them, and a customer may
 * have no recorded first activation or product change.
 */

import type {
	ColumnContract,
	TableContract,
} from "../../monitoring/quality.ts";
import { CONSUMPTION_QUANTITY_COLUMNS } from "./hourly-aggregate.ts";

const nonNegative = (name: string, maxNullRate = 0): ColumnContract => ({
	name,
	type: "number",
	min: 0,
	maxNullRate,
});
const price = (name: string): ColumnContract => ({
	name,
	type: "number",
	min: 0,
	maxNullRate: 0.5,
});

export const BRONZE_CUSTOMER_CONTRACT: TableContract = {
	table: "bronze_customer",
	key: ["customer_id"],
	minRows: 1,
	columns: [
		{ name: "customer_id", type: "string" },
		{ name: "churn", type: "flag" },
		{
			name: "contracted_power_kw",
			type: "number",
			min: 0.001,
			max: 100_000,
			maxNullRate: 0.01,
		},
		{ name: "is_industrial", type: "flag", maxNullRate: 0.01 },
		{ name: "is_second_residence", type: "flag", maxNullRate: 0.01 },
		{ name: "province_code", type: "string", maxNullRate: 0.01 },
		{ name: "region", type: "string", maxNullRate: 0.01 },
		{ name: "is_high_competition_province", type: "flag", maxNullRate: 0.01 },
		{ name: "is_urban", type: "flag", maxNullRate: 0.01 },
		{ name: "sales_channel", type: "string", maxNullRate: 0.01 },
		{ name: "customer_first_activation_date", type: "date", maxNullRate: 0.5 },
		{ name: "contract_start_date", type: "date", maxNullRate: 0.01 },
		{ name: "last_product_change_date", type: "date", maxNullRate: 1 },
		{ name: "next_renewal_date", type: "date", maxNullRate: 0.01 },
		{ name: "interaction_date", type: "date", maxNullRate: 0.95 },
		{ name: "interaction_channel", type: "string", maxNullRate: 0.95 },
		{ name: "interaction_summary", type: "string", maxNullRate: 0.95 },
		{ name: "interaction_count", type: "integer", min: 0 },
	],
};

export const BRONZE_CUSTOMER_MONTH_CONTRACT: TableContract = {
	table: "bronze_customer_month",
	key: ["customer_id", "month"],
	minRows: 1,
	columns: [
		{ name: "customer_id", type: "string" },
		{ name: "month", type: "month" },
		{ name: "province_code", type: "string", maxNullRate: 0.01 },
		...CONSUMPTION_QUANTITY_COLUMNS.map((n) => nonNegative(n)),
		{ name: "holiday_hours_in_month", type: "integer", min: 0, max: 3 * 24 },
		{ name: "hours_in_month", type: "integer", min: 1, max: 31 * 24 + 1 },
		{ name: "pricing_date", type: "date", maxNullRate: 0.5 },
		price("variable_price_tier1_eur_kwh"),
		price("variable_price_tier2_eur_kwh"),
		price("variable_price_tier3_eur_kwh"),
		price("elec_fixed_fee_eur_month"),
		price("elec_fixed_cost_eur_month"),
		price("gas_variable_price_eur_m3"),
		price("gas_fixed_revenue_eur_year"),
		price("gas_fixed_cost_eur_year"),
		// Cost and toll per kWh/m3: non-negative, missing only when the province/month is absent.
		nonNegative("elec_var_cost_eur_kwh", 0.1),
		nonNegative("gas_var_cost_eur_m3", 0.1),
		nonNegative("peaje_elec_eur_kwh", 0.1),
	],
};
