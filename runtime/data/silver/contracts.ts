/**
 * Data-quality contracts of the silver tables (DATA_SPEC §7). Hard invariants
 * (types, keys, flags, non-negative consumption, allowed segments) are errors;
 * plausibility ranges learnt from the real extract (§8) are warnings, so an
 * unusual but valid batch is reported rather than stopped.
 */

import type {
	ColumnContract,
	TableContract,
} from "../../monitoring/quality.ts";
import { CONSUMPTION_QUANTITY_COLUMNS } from "../bronze/hourly-aggregate.ts";
import { INTENT_PRIORITY } from "../nlp/intent.ts";
import { PNL_COLUMNS } from "./pnl.ts";

/** Interaction fields are legitimately null for customers without one (~68 % in the real extract). */
export const INTERACTION_NULL_RATE = 0.95;
/** Attributes joined onto the customer list may be missing for a few customers. */
const JOINED_NULL_RATE = 0.01;
/** Price/cost rows come from left joins; a few months may have none. */
const PRICE_NULL_RATE = 0.05;

export const SEGMENTS = ["Residential", "SME", "Corporate"] as const;
export const SALES_CHANNELS = [
	"In-Person Commercial",
	"Comparison Website",
	"Office",
	"Telemarketing",
	"Own Website",
	"Unknown",
] as const;
export const SENTIMENT_LABELS = ["negative", "neutral", "positive"] as const;

const flag = (name: string, maxNullRate = 0): ColumnContract => ({
	name,
	type: "flag",
	maxNullRate,
});
const warnRange = (
	c: ColumnContract,
	min?: number,
	max?: number,
): ColumnContract => ({
	...c,
	min,
	max,
	severity: "warning",
});

export const SILVER_CUSTOMER_CONTRACT: TableContract = {
	table: "silver_customer",
	key: ["customer_id"],
	minRows: 1,
	columns: [
		{ name: "customer_id", type: "string" },
		flag("churn"),
		warnRange(
			{
				name: "contracted_power_kw",
				type: "number",
				maxNullRate: JOINED_NULL_RATE,
			},
			0,
			1000,
		),
		flag("is_industrial", JOINED_NULL_RATE),
		flag("is_second_residence", JOINED_NULL_RATE),
		{ name: "province_code", type: "string", maxNullRate: JOINED_NULL_RATE },
		{ name: "region", type: "string", maxNullRate: JOINED_NULL_RATE },
		flag("is_high_competition_province", JOINED_NULL_RATE),
		flag("is_urban", JOINED_NULL_RATE),
		// Unrecognised labels are kept as given (§3), so an unknown channel is a warning.
		{
			name: "sales_channel",
			type: "string",
			allowed: SALES_CHANNELS,
			severity: "warning",
		},
		{
			name: "sales_channel_raw",
			type: "string",
			maxNullRate: JOINED_NULL_RATE,
		},
		// First activation may be absent (tenure then falls back to contract start).
		{ name: "customer_first_activation_date", type: "date", maxNullRate: 0.5 },
		{
			name: "contract_start_date",
			type: "date",
			maxNullRate: JOINED_NULL_RATE,
		},
		// Customers who never changed product have no change date.
		{ name: "last_product_change_date", type: "date", maxNullRate: 1 },
		{ name: "next_renewal_date", type: "date", maxNullRate: JOINED_NULL_RATE },
		{
			name: "interaction_date",
			type: "date",
			maxNullRate: INTERACTION_NULL_RATE,
		},
		{
			name: "interaction_channel",
			type: "string",
			maxNullRate: INTERACTION_NULL_RATE,
		},
		{
			name: "interaction_summary",
			type: "string",
			maxNullRate: INTERACTION_NULL_RATE,
		},
		{ name: "interaction_count", type: "integer", min: 0 },
		{ name: "segment", type: "string", allowed: SEGMENTS },
		// Null for SME and Corporate (~10 % of customers in the real extract).
		{
			name: "residential_subtype",
			type: "string",
			allowed: ["Primary", "Second residence"],
			maxNullRate: 0.5,
		},
		{
			name: "customer_intent",
			type: "string",
			allowed: INTENT_PRIORITY,
			maxNullRate: INTERACTION_NULL_RATE,
		},
		{
			name: "sentiment_label",
			type: "string",
			allowed: SENTIMENT_LABELS,
			maxNullRate: INTERACTION_NULL_RATE,
		},
		...["sentiment_negative", "sentiment_neutral", "sentiment_positive"].map(
			(name): ColumnContract => ({
				name,
				type: "number",
				min: 0,
				max: 1,
				maxNullRate: INTERACTION_NULL_RATE,
			}),
		),
	],
};

/**
 * [column, plausible maximum, allowed null rate] of every price and cost
 * column. Gas tariffs are legitimately absent for electricity-only customers
 * (gas is consumed in ~13.5 % of customer-months); a gas price missing where
 * gas was consumed is caught by imputation and counted as a fault instead.
 */
const PRICE_COLUMNS: readonly (readonly [string, number, number])[] = [
	["variable_price_tier1_eur_kwh", 2, PRICE_NULL_RATE],
	["variable_price_tier2_eur_kwh", 2, PRICE_NULL_RATE],
	["variable_price_tier3_eur_kwh", 2, PRICE_NULL_RATE],
	["elec_fixed_fee_eur_month", 10_000, PRICE_NULL_RATE],
	["elec_fixed_cost_eur_month", 10_000, PRICE_NULL_RATE],
	["gas_variable_price_eur_m3", 20, 1],
	["gas_fixed_revenue_eur_year", 100_000, 1],
	["gas_fixed_cost_eur_year", 100_000, 1],
	["elec_var_cost_eur_kwh", 2, PRICE_NULL_RATE],
	["gas_var_cost_eur_m3", 20, PRICE_NULL_RATE],
	["peaje_elec_eur_kwh", 2, PRICE_NULL_RATE],
];

export const SILVER_CUSTOMER_MONTH_CONTRACT: TableContract = {
	table: "silver_customer_month",
	key: ["customer_id", "month"],
	minRows: 1,
	columns: [
		{ name: "customer_id", type: "string" },
		{ name: "month", type: "month" },
		{ name: "province_code", type: "string", maxNullRate: JOINED_NULL_RATE },
		// Negative readings are clamped in bronze: a negative here is a bug.
		...CONSUMPTION_QUANTITY_COLUMNS.map(
			(name): ColumnContract => ({ name, type: "number", min: 0 }),
		),
		{ name: "holiday_hours_in_month", type: "integer", min: 0, max: 744 },
		{ name: "hours_in_month", type: "integer", min: 0, max: 745 },
		{ name: "pricing_date", type: "date", maxNullRate: PRICE_NULL_RATE },
		...PRICE_COLUMNS.map(
			([name, max, maxNullRate]): ColumnContract => ({
				name,
				type: "number",
				min: 0,
				max,
				maxNullRate,
				severity: "warning",
			}),
		),
		flag("is_industrial"),
		{ name: "segment", type: "string", allowed: SEGMENTS },
		// Missing P&L inputs count as 0, so every component is a finite number.
		...PNL_COLUMNS.map((name): ColumnContract => ({ name, type: "number" })),
	],
};
