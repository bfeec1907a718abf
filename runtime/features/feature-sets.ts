/**
 * Feature tiers of the gold table (docs/data-contract.md §4) and the experiment feature
 * sets E0–E8 built from them. This file is the one place that lists them.
 */

export const TIER_1A_LIFECYCLE = [
	"months_to_renewal",
	"renewal_bucket",
	"is_within_3m_of_renewal",
	"tenure_months",
	"tenure_bucket",
	"is_expired_contract",
	"segment",
	"sales_channel",
	"is_high_competition_province",
	"is_second_residence",
	"is_dual_fuel",
	"portfolio_type",
	"is_digital_channel",
	"is_comparison_channel",
	"is_own_website_channel",
] as const;

export const TIER_MP_CORE = [
	"avg_monthly_elec_kwh",
	"total_elec_kwh_2024",
	"avg_monthly_gas_m3",
	"total_gas_m3_2024",
	"gas_share_of_revenue",
	"price_update_count",
	"province_avg_elec_cost_2024",
	"province_avg_gas_cost_2024",
] as const;

export const TIER_MP_RISK = [
	"std_monthly_elec_kwh",
	"std_monthly_gas_m3",
	"active_months_count",
	"std_margin",
	"min_monthly_margin",
	"max_negative_margin",
	"elec_price_trend_12m",
	"gas_price_trend_12m",
	"elec_price_volatility_12m",
	"province_elec_cost_trend",
	"elec_price_vs_province_cost_spread",
	"is_price_increase",
	"rolling_margin_trend",
] as const;

export const TIER_2A_BEHAVIOURAL = [
	"has_interaction",
	"customer_intent",
	"is_cancellation_intent",
	"is_complaint_intent",
	"recent_complaint_flag",
	"intent_severity_score",
	"last_interaction_days_ago",
	"interaction_within_3m_of_renewal",
	"is_interaction_within_30d_of_renewal",
	"complaint_near_renewal",
	"months_since_last_change",
] as const;

export const TIER_2B_SENTIMENT = [
	"sentiment_label",
	"is_negative_sentiment",
	"complaint_x_negative_sentiment",
] as const;

export const TIER_3_COMPOUND = [
	"is_price_sensitive",
	"is_high_risk_lifecycle",
	"is_competition_x_renewal",
	"dual_fuel_x_renewal",
	"dual_fuel_x_competition",
	"dual_fuel_x_intent",
] as const;

/** String interactions, for linear models only (E6). */
export const TIER_1B_STRINGS = [
	"intent_x_renewal_bucket",
	"intent_x_tenure_bucket",
	"sentiment_x_renewal_bucket",
	"intent_x_sentiment",
	"tenure_x_renewal_bucket",
	"sales_channel_x_renewal_bucket",
	"has_interaction_x_renewal_bucket",
	"competition_x_intent",
] as const;

/** Kept in gold to price the loss; never trained on. */
export const BUSINESS_COLUMNS = [
	"avg_monthly_margin",
	"total_margin_2024",
] as const;

/** Categorical (string) features; every other feature is numeric. */
export const CATEGORICAL_FEATURES: ReadonlySet<string> = new Set([
	"renewal_bucket",
	"tenure_bucket",
	"segment",
	"sales_channel",
	"portfolio_type",
	"customer_intent",
	"sentiment_label",
	...TIER_1B_STRINGS,
]);

/** The 0/1 (flag) features; in the model matrix a null flag means "not observed" → 0. */
export const FLAG_FEATURES: ReadonlySet<string> = new Set([
	"is_within_3m_of_renewal",
	"is_expired_contract",
	"is_high_competition_province",
	"is_second_residence",
	"is_dual_fuel",
	"is_digital_channel",
	"is_comparison_channel",
	"is_own_website_channel",
	"is_price_increase",
	"has_interaction",
	"is_cancellation_intent",
	"is_complaint_intent",
	"recent_complaint_flag",
	"interaction_within_3m_of_renewal",
	"is_interaction_within_30d_of_renewal",
	"complaint_near_renewal",
	"is_negative_sentiment",
	"complaint_x_negative_sentiment",
	"is_price_sensitive",
	"is_high_risk_lifecycle",
	"is_competition_x_renewal",
	"dual_fuel_x_renewal",
	"dual_fuel_x_competition",
	"dual_fuel_x_intent",
]);

/** The 56 production features (E5_full). */
export const PRODUCTION_FEATURES: readonly string[] = [
	...TIER_1A_LIFECYCLE,
	...TIER_MP_CORE,
	...TIER_MP_RISK,
	...TIER_2A_BEHAVIOURAL,
	...TIER_2B_SENTIMENT,
	...TIER_3_COMPOUND,
];

export type ExperimentId =
	| "E0"
	| "E1"
	| "E2"
	| "E3"
	| "E4"
	| "E5_full"
	| "E6"
	| "E7"
	| "E8";

export const EXPERIMENTS: Record<ExperimentId, readonly string[]> = {
	E0: [...TIER_1A_LIFECYCLE],
	E1: [...TIER_1A_LIFECYCLE, ...TIER_MP_CORE],
	E2: [...TIER_1A_LIFECYCLE, ...TIER_MP_CORE, ...TIER_MP_RISK],
	E3: [
		...TIER_1A_LIFECYCLE,
		...TIER_MP_CORE,
		...TIER_MP_RISK,
		...TIER_2A_BEHAVIOURAL,
	],
	E4: [
		...TIER_1A_LIFECYCLE,
		...TIER_MP_CORE,
		...TIER_MP_RISK,
		...TIER_2A_BEHAVIOURAL,
		...TIER_2B_SENTIMENT,
	],
	E5_full: PRODUCTION_FEATURES,
	E6: [...PRODUCTION_FEATURES, ...TIER_1B_STRINGS],
	E7: [...TIER_MP_CORE, ...TIER_MP_RISK],
	E8: [
		...TIER_1A_LIFECYCLE,
		...TIER_MP_CORE,
		...TIER_MP_RISK,
		...TIER_2A_BEHAVIOURAL,
		...TIER_3_COMPOUND,
	],
};
