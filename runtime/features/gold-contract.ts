/**
 * Data-quality contract of gold_customer (docs/data-quality.md): every column
 * of GOLD_COLUMNS with its type and the reason for its rules. Flags are never
 * null; interaction-derived values are legitimately null for customers
 * without an interaction; values that need a joined record or at least one
 * monthly row are null only for the faults bronze tolerates
 * (maxInvalidShare); plausibility ranges are warnings.
 */

import { REASONS } from "../data/bronze/contracts.ts";
import { INTENT_PRIORITY } from "../data/nlp/intent.ts";
import {
	INTERACTION_NULL_RATE,
	SALES_CHANNELS,
	SEGMENTS,
	SENTIMENT_LABELS,
} from "../data/silver/contracts.ts";
import type { ColumnContract, TableContract } from "../monitoring/quality.ts";
import { GOLD_COLUMNS } from "./build-gold.ts";
import type { RenewalBucket, TenureBucket } from "./dates.ts";
import { FLAG_FEATURES, TIER_1B_STRINGS } from "./feature-sets.ts";

const RENEWAL_BUCKETS: readonly RenewalBucket[] = [
	"expired",
	"0-3m",
	"3-6m",
	"6-12m",
	"12m+",
];
const TENURE_BUCKETS: readonly TenureBucket[] = [
	"0-6m",
	"6-12m",
	"1-2y",
	"2-5y",
	"5y+",
];
const PORTFOLIO_TYPES = SEGMENTS.flatMap((s) => [
	`${s}_DualFuel`,
	`${s}_SingleFuel`,
]);

const FLAGS = ["churn", ...FLAG_FEATURES];

/** Null only for a customer without any consumption row, which bronze counts and tolerates. */
const NEEDS_MONTHS =
	"a statistic of the customer's months: null only for a customer without consumption (customers_without_consumption), tolerated up to maxInvalidShare";
const FROM_CONTRACT = `from the contract dates: ${REASONS.contract}`;
const INTERACTION = `from the latest interaction: ${REASONS.interaction}`;

const num = (
	name: string,
	reason: string,
	extra: Partial<ColumnContract> = {},
): ColumnContract => ({ name, type: "number", reason, ...extra });
const monthly = (
	name: string,
	reason: string,
	extra: Partial<ColumnContract> = {},
): ColumnContract =>
	num(name, `${NEEDS_MONTHS}; ${reason}`, {
		maxNullRate: "maxInvalidShare",
		...extra,
	});
const warn = (min?: number, max?: number): Partial<ColumnContract> => ({
	min,
	max,
	severity: "warning",
});

const SPECIFIC: readonly ColumnContract[] = [
	{
		name: "customer_id",
		type: "string",
		reason: "the key: one row per customer of silver_customer",
	},
	{
		name: "as_of_date",
		type: "date",
		reason: "the run's explicit as-of date, on every row",
	},
	num(
		"months_to_renewal",
		`${FROM_CONTRACT}; next renewals fall 2–330 days after the data's end in the real extract, beyond −24 or 36 months is implausible (warning)`,
		{ maxNullRate: "maxInvalidShare", ...warn(-24, 36) },
	),
	{
		name: "renewal_bucket",
		type: "string",
		allowed: RENEWAL_BUCKETS,
		maxNullRate: "maxInvalidShare",
		reason: `the bucket of months_to_renewal; ${FROM_CONTRACT}`,
	},
	{
		name: "tenure_months",
		type: "integer",
		maxNullRate: "maxInvalidShare",
		reason: `${FROM_CONTRACT}; a negative tenure or one over 50 years is implausible (warning)`,
		...warn(0, 600),
	},
	{
		name: "tenure_bucket",
		type: "string",
		allowed: TENURE_BUCKETS,
		maxNullRate: "maxInvalidShare",
		reason: `the bucket of tenure_months; ${FROM_CONTRACT}`,
	},
	{
		name: "segment",
		type: "string",
		allowed: SEGMENTS,
		reason: "derived in silver for every customer",
	},
	{
		name: "sales_channel",
		type: "string",
		allowed: SALES_CHANNELS,
		severity: "warning",
		reason:
			"translated channel; an unrecognised label is kept as given (a warning)",
	},
	{
		name: "portfolio_type",
		type: "string",
		allowed: PORTFOLIO_TYPES,
		reason: "segment × dual/single fuel, for every customer",
	},
	monthly("avg_monthly_elec_kwh", "never negative", { min: 0 }),
	num(
		"total_elec_kwh_2024",
		"a sum of non-negative months, 0 without any (a fault counted in bronze)",
		{ min: 0 },
	),
	monthly("avg_monthly_gas_m3", "never negative", { min: 0 }),
	num(
		"total_gas_m3_2024",
		"a sum of non-negative months, 0 for electricity-only customers",
		{ min: 0 },
	),
	num("gas_share_of_revenue", "a share of revenue, 0 when revenue ≤ 0", {
		min: 0,
		max: 1,
	}),
	{
		name: "price_update_count",
		type: "integer",
		min: 0,
		reason: "a count of months",
	},
	monthly(
		"province_avg_elec_cost_2024",
		`and ${REASONS.provinceCost}; above 2 €/kWh is implausible (warning)`,
		warn(0, 2),
	),
	num(
		"province_avg_gas_cost_2024",
		`${REASONS.gasCost}; above 20 €/m3 is implausible (warning)`,
		{ maxNullRate: 1, ...warn(0, 20) },
	),
	monthly("std_monthly_elec_kwh", "a sample std, 0 for one month", { min: 0 }),
	monthly("std_monthly_gas_m3", "a sample std, 0 for one month", { min: 0 }),
	{
		name: "active_months_count",
		type: "integer",
		min: 0,
		reason: "a count of months with consumption",
	},
	monthly("std_margin", "a sample std, 0 for one month", { min: 0 }),
	monthly("min_monthly_margin", "a margin may be negative"),
	{
		name: "max_negative_margin",
		type: "integer",
		min: 0,
		reason: "a count of months with negative margin (the name is historical)",
	},
	num(
		"elec_price_trend_12m",
		"a relative change, 0 without a first price; below −100 % or above +1000 % is implausible (warning)",
		warn(-1, 10),
	),
	num(
		"gas_price_trend_12m",
		"a relative change, 0 without a first gas price (electricity-only); below −100 % or above +1000 % is implausible (warning)",
		warn(-1, 10),
	),
	monthly(
		"elec_price_volatility_12m",
		"also null when no month has a positive tier-1 price; never negative",
		{ min: 0 },
	),
	num(
		"province_elec_cost_trend",
		"a relative change, 0 without a first cost; below −100 % or above +1000 % is implausible (warning)",
		warn(-1, 10),
	),
	monthly(
		"elec_price_vs_province_cost_spread",
		"also null without a positive tier-1 price or cost; beyond ±2 €/kWh is implausible (warning)",
		warn(-2, 2),
	),
	num(
		"rolling_margin_trend",
		"a difference of means, 0 without two full windows",
	),
	{
		name: "customer_intent",
		type: "string",
		allowed: INTENT_PRIORITY,
		maxNullRate: INTERACTION_NULL_RATE,
		reason: INTERACTION,
	},
	{
		name: "intent_severity_score",
		type: "integer",
		min: 0,
		max: 3,
		reason: "cancellation 3, complaint 2, pricing 1, else 0",
	},
	// An interaction after the as-of date would be leakage: worth a warning.
	{
		name: "last_interaction_days_ago",
		type: "integer",
		maxNullRate: INTERACTION_NULL_RATE,
		reason: `${INTERACTION}; an interaction after the as-of date would be leakage (warning)`,
		...warn(0),
	},
	num(
		"months_since_last_change",
		`${REASONS.productChange}; a change after the as-of date is implausible (warning)`,
		{ maxNullRate: 1, ...warn(0) },
	),
	{
		name: "sentiment_label",
		type: "string",
		allowed: SENTIMENT_LABELS,
		maxNullRate: INTERACTION_NULL_RATE,
		reason: INTERACTION,
	},
	monthly("avg_monthly_margin", "a margin may be negative"),
	num("total_margin_2024", "a sum of monthly margins, 0 without any month"),
	{
		name: "province_code",
		type: "string",
		maxNullRate: "maxInvalidShare",
		reason: REASONS.attribute,
	},
	{
		name: "region",
		type: "string",
		maxNullRate: "maxInvalidShare",
		reason: REASONS.attribute,
	},
	{
		name: "residential_subtype",
		type: "string",
		allowed: ["Primary", "Second residence"],
		maxNullRate: 1,
		reason:
			"null for SME and Corporate customers (a business portfolio may be all of them)",
	},
];

function contractFor(name: string): ColumnContract {
	const specific = SPECIFIC.find((c) => c.name === name);
	if (specific) return specific;
	if (FLAGS.includes(name))
		return {
			name,
			type: "flag",
			reason: "flags are 0/1, never null: an unknown flag is not flagged",
		};
	if ((TIER_1B_STRINGS as readonly string[]).includes(name))
		return {
			name,
			type: "string",
			reason: "never null: a missing part is written Unknown",
		};
	throw new Error(`gold contract: no rule for column "${name}"`);
}

export const GOLD_CONTRACT: TableContract = {
	table: "gold_customer",
	key: ["customer_id"],
	keyReason: "one row per customer of silver_customer",
	minRows: 1,
	columns: GOLD_COLUMNS.map(contractFor),
};
