/**
 * Data-quality contracts of the silver tables (docs/data-quality.md). Hard
 * invariants (types, keys, flags, non-negative consumption, allowed segments)
 * are errors; plausibility ranges of the real extract are warnings, so an
 * unusual but valid batch is reported rather than stopped. Null allowances
 * match bronze's for every column carried over (the same REASONS).
 */

import type {
	ColumnContract,
	TableContract,
} from "../../monitoring/quality.ts";
import { CONSUMPTION_MONTH_RULES, REASONS } from "../bronze/contracts.ts";
import { INTENT_PRIORITY } from "../nlp/intent.ts";
import { PNL_COLUMNS } from "./pnl.ts";

/** Interaction fields are legitimately null for customers without one (~68 % in the real extract; a batch may have none). */
export const INTERACTION_NULL_RATE = 1;

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

const flag = (
	name: string,
	reason: string,
	maxNullRate: ColumnContract["maxNullRate"] = 0,
): ColumnContract => ({
	name,
	type: "flag",
	maxNullRate,
	reason,
});
const attribute = (
	name: string,
	type: ColumnContract["type"],
): ColumnContract => ({
	name,
	type,
	maxNullRate: "maxInvalidShare",
	reason: REASONS.attribute,
});

export const SILVER_CUSTOMER_CONTRACT: TableContract = {
	table: "silver_customer",
	key: ["customer_id"],
	keyReason: REASONS.customerKey,
	minRows: 1,
	columns: [
		{ name: "customer_id", type: "string", reason: REASONS.customerId },
		flag("churn", REASONS.churn),
		{
			...attribute("contracted_power_kw", "number"),
			min: 0,
			max: 1000,
			severity: "warning",
			reason:
				"plausibility: residential 2.3–10.35 kW, corporate up to 150 kW in the real extract; above 1 MW is worth a look (warning); missing tolerated as in bronze",
		},
		attribute("is_industrial", "flag"),
		attribute("is_second_residence", "flag"),
		attribute("province_code", "string"),
		attribute("region", "string"),
		attribute("is_high_competition_province", "flag"),
		attribute("is_urban", "flag"),
		{
			name: "sales_channel",
			type: "string",
			allowed: SALES_CHANNELS,
			severity: "warning",
			reason:
				"translated channel; an unrecognised label is kept as given (a warning), a missing one becomes Unknown",
		},
		attribute("sales_channel_raw", "string"),
		{
			name: "customer_first_activation_date",
			type: "date",
			maxNullRate: 1,
			reason: REASONS.firstActivation,
		},
		{
			name: "contract_start_date",
			type: "date",
			maxNullRate: "maxInvalidShare",
			reason: REASONS.contract,
		},
		{
			name: "last_product_change_date",
			type: "date",
			maxNullRate: 1,
			reason: REASONS.productChange,
		},
		{
			name: "next_renewal_date",
			type: "date",
			maxNullRate: "maxInvalidShare",
			reason: REASONS.contract,
		},
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
				maxNullRate: INTERACTION_NULL_RATE,
				reason: REASONS.interaction,
			}),
		),
		{
			name: "interaction_count",
			type: "integer",
			min: 0,
			reason: REASONS.interactionCount,
		},
		{
			name: "segment",
			type: "string",
			allowed: SEGMENTS,
			reason:
				"derived for every customer from is_industrial and contracted power (unknowns counted as faults)",
		},
		{
			name: "residential_subtype",
			type: "string",
			allowed: ["Primary", "Second residence"],
			maxNullRate: 1,
			reason:
				"null for SME and Corporate customers (≈ 10 % in the real extract; a business portfolio may be all of them)",
		},
		{
			name: "customer_intent",
			type: "string",
			allowed: INTENT_PRIORITY,
			maxNullRate: INTERACTION_NULL_RATE,
			reason: `one of the intent categories for each interaction; ${REASONS.interaction}`,
		},
		{
			name: "sentiment_label",
			type: "string",
			allowed: SENTIMENT_LABELS,
			maxNullRate: INTERACTION_NULL_RATE,
			reason: `one of three labels for each interaction; ${REASONS.interaction}`,
		},
		...["sentiment_negative", "sentiment_neutral", "sentiment_positive"].map(
			(name): ColumnContract => ({
				name,
				type: "number",
				min: 0,
				max: 1,
				maxNullRate: INTERACTION_NULL_RATE,
				reason: `a class probability; ${REASONS.interaction}`,
			}),
		),
	],
};

/** Electricity prices after imputation (imputation only fills cells, never empties one). */
const IMPUTED_ELEC_REASON =
	"imputation only fills cells, so never more missing than bronze allowed (maxImputedPriceShare); plausibility ceiling of a Spanish retail tariff (warning)";

/**
 * [column, plausible maximum, allowed null rate, reason] of every price and
 * cost column. Gas tariffs are legitimately absent for electricity-only
 * customers; a gas price missing where gas was consumed is caught by
 * imputation and counted as a fault instead.
 */
const PRICE_COLUMNS: readonly (readonly [
	string,
	number,
	ColumnContract["maxNullRate"],
	string,
])[] = [
	[
		"variable_price_tier1_eur_kwh",
		2,
		"maxImputedPriceShare",
		IMPUTED_ELEC_REASON,
	],
	[
		"variable_price_tier2_eur_kwh",
		2,
		"maxImputedPriceShare",
		IMPUTED_ELEC_REASON,
	],
	[
		"variable_price_tier3_eur_kwh",
		2,
		"maxImputedPriceShare",
		IMPUTED_ELEC_REASON,
	],
	[
		"elec_fixed_fee_eur_month",
		10_000,
		"maxImputedPriceShare",
		IMPUTED_ELEC_REASON,
	],
	[
		"elec_fixed_cost_eur_month",
		10_000,
		"maxImputedPriceShare",
		REASONS.elecFixedCost,
	],
	["gas_variable_price_eur_m3", 20, 1, REASONS.gasTariff],
	["gas_fixed_revenue_eur_year", 100_000, 1, REASONS.gasTariff],
	["gas_fixed_cost_eur_year", 100_000, 1, REASONS.gasTariff],
	["elec_var_cost_eur_kwh", 2, "maxInvalidShare", REASONS.provinceCost],
	["gas_var_cost_eur_m3", 20, 1, REASONS.gasCost],
	["peaje_elec_eur_kwh", 2, "maxInvalidShare", REASONS.provinceCost],
];

export const SILVER_CUSTOMER_MONTH_CONTRACT: TableContract = {
	table: "silver_customer_month",
	key: ["customer_id", "month"],
	keyReason: REASONS.customerMonthKey,
	minRows: 1,
	columns: [
		{ name: "customer_id", type: "string", reason: REASONS.customerId },
		{ name: "month", type: "month", reason: REASONS.month },
		attribute("province_code", "string"),
		// Negative readings are clamped in bronze: a negative here is a bug.
		...CONSUMPTION_MONTH_RULES,
		...PRICE_COLUMNS.map(
			([name, max, maxNullRate, reason]): ColumnContract => ({
				name,
				type: "number",
				min: 0,
				max,
				maxNullRate,
				severity: "warning",
				reason,
			}),
		),
		flag(
			"is_industrial",
			"an unknown is_industrial is taken as residential and counted (is_industrial_missing_as_residential)",
		),
		{
			name: "segment",
			type: "string",
			allowed: SEGMENTS,
			reason: "derived for every customer (see silver_customer.segment)",
		},
		// Missing P&L inputs count as 0, so every component is a finite number.
		...PNL_COLUMNS.map(
			(name): ColumnContract => ({
				name,
				type: "number",
				reason:
					"P&L component: missing inputs count as 0, so always a finite number",
			}),
		),
	],
};
