/**
 * Data-quality contract of gold_customer (DATA_SPEC §4, §7): every column of
 * GOLD_COLUMNS with its type; flags never null; interaction-derived values
 * legitimately null for customers without an interaction; plausibility
 * ranges from the real extract (§8) as warnings.
 */

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

/** Values that depend on a joined attribute or at least one monthly row. */
const JOINED_NULL_RATE = 0.01;

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

const num = (
	name: string,
	extra: Partial<ColumnContract> = {},
): ColumnContract => ({ name, type: "number", ...extra });
const warn = (min?: number, max?: number): Partial<ColumnContract> => ({
	min,
	max,
	severity: "warning",
});

const SPECIFIC: readonly ColumnContract[] = [
	{ name: "customer_id", type: "string" },
	{ name: "as_of_date", type: "date" },
	// Next renewals fall 2–330 days after the data's end in the real extract.
	num("months_to_renewal", { maxNullRate: JOINED_NULL_RATE, ...warn(-24, 36) }),
	{
		name: "renewal_bucket",
		type: "string",
		allowed: RENEWAL_BUCKETS,
		maxNullRate: JOINED_NULL_RATE,
	},
	{
		name: "tenure_months",
		type: "integer",
		maxNullRate: JOINED_NULL_RATE,
		...warn(0, 600),
	},
	{
		name: "tenure_bucket",
		type: "string",
		allowed: TENURE_BUCKETS,
		maxNullRate: JOINED_NULL_RATE,
	},
	{ name: "segment", type: "string", allowed: SEGMENTS },
	{
		name: "sales_channel",
		type: "string",
		allowed: SALES_CHANNELS,
		severity: "warning",
	},
	{ name: "portfolio_type", type: "string", allowed: PORTFOLIO_TYPES },
	num("avg_monthly_elec_kwh", { maxNullRate: JOINED_NULL_RATE, min: 0 }),
	num("total_elec_kwh_2024", { min: 0 }),
	num("avg_monthly_gas_m3", { maxNullRate: JOINED_NULL_RATE, min: 0 }),
	num("total_gas_m3_2024", { min: 0 }),
	num("gas_share_of_revenue", { min: 0, max: 1 }),
	{ name: "price_update_count", type: "integer", min: 0 },
	num("province_avg_elec_cost_2024", {
		maxNullRate: JOINED_NULL_RATE,
		...warn(0, 2),
	}),
	num("province_avg_gas_cost_2024", {
		maxNullRate: JOINED_NULL_RATE,
		...warn(0, 20),
	}),
	num("std_monthly_elec_kwh", { maxNullRate: JOINED_NULL_RATE, min: 0 }),
	num("std_monthly_gas_m3", { maxNullRate: JOINED_NULL_RATE, min: 0 }),
	{ name: "active_months_count", type: "integer", min: 0 },
	num("std_margin", { maxNullRate: JOINED_NULL_RATE, min: 0 }),
	num("min_monthly_margin", { maxNullRate: JOINED_NULL_RATE }),
	{ name: "max_negative_margin", type: "integer", min: 0 },
	num("elec_price_trend_12m", warn(-1, 10)),
	num("gas_price_trend_12m", warn(-1, 10)),
	num("elec_price_volatility_12m", { maxNullRate: JOINED_NULL_RATE, min: 0 }),
	num("province_elec_cost_trend", warn(-1, 10)),
	num("elec_price_vs_province_cost_spread", {
		maxNullRate: JOINED_NULL_RATE,
		...warn(-2, 2),
	}),
	num("rolling_margin_trend"),
	{
		name: "customer_intent",
		type: "string",
		allowed: INTENT_PRIORITY,
		maxNullRate: INTERACTION_NULL_RATE,
	},
	{ name: "intent_severity_score", type: "integer", min: 0, max: 3 },
	// An interaction after the as-of date would be leakage: worth a warning.
	{
		name: "last_interaction_days_ago",
		type: "integer",
		maxNullRate: INTERACTION_NULL_RATE,
		...warn(0),
	},
	// Customers who never changed product have no change date.
	num("months_since_last_change", { maxNullRate: 1, ...warn(0) }),
	{
		name: "sentiment_label",
		type: "string",
		allowed: SENTIMENT_LABELS,
		maxNullRate: INTERACTION_NULL_RATE,
	},
	num("avg_monthly_margin", { maxNullRate: JOINED_NULL_RATE }),
	num("total_margin_2024"),
	{ name: "province_code", type: "string", maxNullRate: JOINED_NULL_RATE },
	{ name: "region", type: "string", maxNullRate: JOINED_NULL_RATE },
	{
		name: "residential_subtype",
		type: "string",
		allowed: ["Primary", "Second residence"],
		maxNullRate: 0.5,
	},
];

function contractFor(name: string): ColumnContract {
	const specific = SPECIFIC.find((c) => c.name === name);
	if (specific) return specific;
	if (FLAGS.includes(name)) return { name, type: "flag" };
	// 1B strings are never null: a missing part is written "Unknown".
	if ((TIER_1B_STRINGS as readonly string[]).includes(name))
		return { name, type: "string" };
	throw new Error(`gold contract: no rule for column "${name}"`);
}

export const GOLD_CONTRACT: TableContract = {
	table: "gold_customer",
	key: ["customer_id"],
	minRows: 1,
	columns: GOLD_COLUMNS.map(contractFor),
};
