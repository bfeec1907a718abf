/**
 * Retention recommendations (docs/data-contract.md §6). The Recommendation record refuses
 * invalid states when it is built, so no code path can emit one:
 *   - a negative monthly margin always yields no_offer with a zero budget;
 *   - reason codes are never empty (and only known codes);
 *   - the risk score is a probability in [0, 1].
 * Action, timing and budget are derived from score and margin inside the
 * factory, never passed in, so they cannot disagree with the tier.
 */
import { table } from "arquero";
import { GuardrailError } from "../errors.ts";
import { columnValues, type Table } from "../io/tables.ts";
import { type RiskTier, riskTier } from "./tiers.ts";

export { GuardrailError };

export type OfferAction =
	| "no_offer"
	| "offer_small"
	| "offer_medium"
	| "offer_large";
export type OfferTiming = "60_90_days" | "30_60_days" | "immediate";

export const TIER_POLICY: Readonly<
	Record<
		RiskTier,
		{ action: OfferAction; timing: OfferTiming; budgetShare: number }
	>
> = {
	Low: { action: "no_offer", timing: "60_90_days", budgetShare: 0 },
	Medium: { action: "offer_small", timing: "30_60_days", budgetShare: 0.05 },
	High: { action: "offer_medium", timing: "immediate", budgetShare: 0.15 },
	Critical: { action: "offer_large", timing: "immediate", budgetShare: 0.25 },
};

/** Why this customer is at risk, from the customer's own features (most severe first). */
export const REASON_CODES = [
	"cancellation_intent",
	"complaint_intent",
	"negative_sentiment",
	"contract_expired",
	"renewal_within_3m",
	"price_increase",
	"pricing_inquiry",
	"high_competition_province",
	"short_tenure",
	// Model drivers without a rule: stated only when the customer's own contributions push the risk up.
	"price_trend",
	"consumption_pattern",
	"margin_pattern",
	"recent_interaction",
	"sales_channel",
	/** No single driver applies: the score comes from the model's combination of features. */
	"no_single_driver",
	/** Guardrail note: margin is negative, so no offer is made whatever the risk. */
	"negative_margin_no_offer",
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];
const KNOWN_CODES: ReadonlySet<string> = new Set(REASON_CODES);

/** Months of tenure at or below which a customer counts as new (the churn-prone 0-6m and 6-12m buckets). */
export const SHORT_TENURE_MONTHS = 12;

/** The features reason codes are derived from (a gold row has them all). */
export interface CustomerDrivers {
	is_cancellation_intent?: unknown;
	is_complaint_intent?: unknown;
	is_negative_sentiment?: unknown;
	is_expired_contract?: unknown;
	is_within_3m_of_renewal?: unknown;
	is_price_increase?: unknown;
	is_price_sensitive?: unknown;
	is_high_competition_province?: unknown;
	tenure_months?: unknown;
}

const DRIVER_COLUMNS: readonly (keyof CustomerDrivers)[] = [
	"is_cancellation_intent",
	"is_complaint_intent",
	"is_negative_sentiment",
	"is_expired_contract",
	"is_within_3m_of_renewal",
	"is_price_increase",
	"is_price_sensitive",
	"is_high_competition_province",
	"tenure_months",
];

const on = (v: unknown) => v === 1 || v === true;

export function reasonCodesFor(c: CustomerDrivers): ReasonCode[] {
	const codes: ReasonCode[] = [];
	if (on(c.is_cancellation_intent)) codes.push("cancellation_intent");
	if (on(c.is_complaint_intent)) codes.push("complaint_intent");
	if (on(c.is_negative_sentiment)) codes.push("negative_sentiment");
	if (on(c.is_expired_contract)) codes.push("contract_expired");
	// The renewal window includes expired contracts (months_to_renewal ≤ 3,
	// docs/data-quality.md): the flag says so; is_expired_contract also keeps a
	// row written before that rule from losing the code.
	if (on(c.is_within_3m_of_renewal) || on(c.is_expired_contract))
		codes.push("renewal_within_3m");
	if (on(c.is_price_increase)) codes.push("price_increase");
	if (on(c.is_price_sensitive)) codes.push("pricing_inquiry");
	if (on(c.is_high_competition_province))
		codes.push("high_competition_province");
	if (
		typeof c.tenure_months === "number" &&
		c.tenure_months <= SHORT_TENURE_MONTHS
	)
		codes.push("short_tenure");
	if (codes.length === 0) codes.push("no_single_driver");
	return codes;
}

/**
 * Business meaning of the model's features for reason codes taken from
 * TreeSHAP contributions (explanations.ts). A code's contribution is the sum
 * of its features' contributions. Guardrails: a code that states a fact
 * about the customer (intent, sentiment, renewal, tenure, ...) is given only
 * when that fact holds (the rule of reasonCodesFor); the others only when
 * their contribution is at least MIN_REASON_CONTRIBUTION.
 */
export const REASON_FEATURES: Readonly<
	Partial<Record<ReasonCode, readonly string[]>>
> = {
	cancellation_intent: [
		"is_cancellation_intent",
		"customer_intent",
		"intent_severity_score",
		"dual_fuel_x_intent",
	],
	complaint_intent: [
		"is_complaint_intent",
		"customer_intent",
		"intent_severity_score",
		"recent_complaint_flag",
		"complaint_near_renewal",
		"complaint_x_negative_sentiment",
	],
	negative_sentiment: ["is_negative_sentiment", "sentiment_label"],
	contract_expired: ["is_expired_contract"],
	renewal_within_3m: [
		"is_within_3m_of_renewal",
		"months_to_renewal",
		"renewal_bucket",
		"is_high_risk_lifecycle",
		"dual_fuel_x_renewal",
	],
	price_increase: ["is_price_increase"],
	pricing_inquiry: ["is_price_sensitive"],
	high_competition_province: [
		"is_high_competition_province",
		"is_competition_x_renewal",
		"dual_fuel_x_competition",
	],
	short_tenure: ["tenure_months", "tenure_bucket"],
	price_trend: [
		"elec_price_trend_12m",
		"gas_price_trend_12m",
		"elec_price_volatility_12m",
		"price_update_count",
		"province_elec_cost_trend",
		"elec_price_vs_province_cost_spread",
	],
	consumption_pattern: [
		"avg_monthly_elec_kwh",
		"total_elec_kwh_2024",
		"avg_monthly_gas_m3",
		"total_gas_m3_2024",
		"std_monthly_elec_kwh",
		"std_monthly_gas_m3",
		"active_months_count",
	],
	margin_pattern: [
		"std_margin",
		"min_monthly_margin",
		"max_negative_margin",
		"rolling_margin_trend",
		"gas_share_of_revenue",
	],
	recent_interaction: [
		"has_interaction",
		"last_interaction_days_ago",
		"interaction_within_3m_of_renewal",
		"is_interaction_within_30d_of_renewal",
		"months_since_last_change",
	],
	sales_channel: [
		"sales_channel",
		"is_digital_channel",
		"is_comparison_channel",
		"is_own_website_channel",
	],
};

/** Codes whose fact must hold for the customer (reasonCodesFor's rules). */
const FACT_CODES: ReadonlySet<ReasonCode> = new Set([
	"cancellation_intent",
	"complaint_intent",
	"negative_sentiment",
	"contract_expired",
	"renewal_within_3m",
	"price_increase",
	"pricing_inquiry",
	"high_competition_province",
	"short_tenure",
]);

/** Smallest contribution (log-odds) a model-driver code needs: a 1 % change in the odds. */
export const MIN_REASON_CONTRIBUTION = Math.log(1.01);
/** At most this many codes per customer, largest contribution first. */
export const MAX_REASON_CODES = 3;

/**
 * Reason codes from a customer's TreeSHAP contributions (per gold feature,
 * log-odds): the codes with the largest positive contributions, within the
 * guardrails above; "no_single_driver" when none qualifies.
 */
export function reasonCodesFromContributions(
	c: CustomerDrivers,
	contribution: (feature: string) => number | undefined,
): ReasonCode[] {
	const facts = new Set(reasonCodesFor(c));
	const scored: { code: ReasonCode; value: number }[] = [];
	for (const [code, features] of Object.entries(REASON_FEATURES) as [
		ReasonCode,
		readonly string[],
	][]) {
		let value = 0;
		let known = false;
		for (const f of features) {
			const v = contribution(f);
			if (v === undefined || !Number.isFinite(v)) continue;
			value += v;
			known = true;
		}
		if (!known || !(value > 0)) continue;
		if (
			FACT_CODES.has(code) ? !facts.has(code) : value < MIN_REASON_CONTRIBUTION
		)
			continue;
		scored.push({ code, value });
	}
	scored.sort((a, b) => b.value - a.value);
	const codes = scored.slice(0, MAX_REASON_CODES).map((s) => s.code);
	return codes.length > 0 ? codes : ["no_single_driver"];
}

export interface RecommendationInput {
	customerId: string;
	/** Calibrated churn probability. */
	riskScore: number;
	avgMonthlyMargin: number;
	reasonCodes: readonly ReasonCode[];
}

export class Recommendation {
	readonly riskTier: RiskTier;
	readonly action: OfferAction;
	readonly timing: OfferTiming;
	/** Offer budget in € per month: the tier's share of the (non-negative) monthly margin. */
	readonly offerBudgetEur: number;
	readonly reasonCodes: readonly ReasonCode[];

	private constructor(
		readonly customerId: string,
		readonly riskScore: number,
		readonly avgMonthlyMargin: number,
		reasonCodes: readonly ReasonCode[],
	) {
		if (!customerId)
			throw new GuardrailError("recommendation without a customer id");
		if (!(riskScore >= 0 && riskScore <= 1))
			throw new GuardrailError(
				`customer ${customerId}: risk score ${riskScore} is not within [0, 1]`,
			);
		if (!Number.isFinite(avgMonthlyMargin))
			throw new GuardrailError(
				`customer ${customerId}: monthly margin ${avgMonthlyMargin} is not a number`,
			);
		if (reasonCodes.length === 0)
			throw new GuardrailError(
				`customer ${customerId}: reason codes are empty`,
			);
		for (const code of reasonCodes)
			if (!KNOWN_CODES.has(code))
				throw new GuardrailError(
					`customer ${customerId}: unknown reason code "${code}"`,
				);
		this.riskTier = riskTier(riskScore);
		const policy = TIER_POLICY[this.riskTier];
		this.timing = policy.timing;
		const codes = [...new Set(reasonCodes)];
		if (avgMonthlyMargin < 0) {
			// Guardrail: never pay to keep a customer who loses money.
			this.action = "no_offer";
			this.offerBudgetEur = 0;
			if (!codes.includes("negative_margin_no_offer"))
				codes.push("negative_margin_no_offer");
		} else {
			this.action = policy.action;
			this.offerBudgetEur =
				Math.round(policy.budgetShare * avgMonthlyMargin * 100) / 100;
		}
		this.reasonCodes = Object.freeze(codes);
		Object.freeze(this);
	}

	/** The only way to build a recommendation; throws GuardrailError on an invalid state. */
	static create(input: RecommendationInput): Recommendation {
		return new Recommendation(
			input.customerId,
			input.riskScore,
			input.avgMonthlyMargin,
			input.reasonCodes,
		);
	}
}

/**
 * One recommendation per scored customer. `scored` has customer_id and
 * churn_proba (scoring output); `gold` supplies margin and drivers.
 * A customer without a margin (null) gets budget 0, as a zero margin would.
 * With `contributions` (the Score stage's TreeSHAP table: customer_id and
 * one column per feature) reason codes come from them
 * (reasonCodesFromContributions), otherwise from the rules (reasonCodesFor).
 */
export function recommend(
	scored: Table,
	gold: Table,
	contributions?: Table,
): Recommendation[] {
	const goldRows = new Map<string, Record<string, unknown>>();
	const needed = ["customer_id", "avg_monthly_margin", ...DRIVER_COLUMNS];
	const missing = needed.filter((c) => !gold.columnNames().includes(c));
	if (missing.length > 0)
		throw new GuardrailError(
			`gold table lacks ${missing.map((c) => `"${c}"`).join(", ")}`,
		);
	for (const row of gold.select(needed).objects() as Record<string, unknown>[])
		goldRows.set(String(row.customer_id), row);
	const contributionRow = new Map<string, number>();
	const contributionColumns = new Map<string, ArrayLike<number>>();
	if (contributions) {
		const ids = columnValues(
			contributions,
			"customer_id",
		) as ArrayLike<unknown>;
		for (let i = 0; i < ids.length; i++) contributionRow.set(String(ids[i]), i);
		for (const name of contributions.columnNames())
			if (name !== "customer_id")
				contributionColumns.set(
					name,
					columnValues(contributions, name) as ArrayLike<number>,
				);
	}
	return (scored.objects() as Record<string, unknown>[]).map((s) => {
		const id = String(s.customer_id);
		const features = goldRows.get(id);
		if (!features)
			throw new GuardrailError(
				`customer ${id} is scored but absent from the gold table`,
			);
		const margin = features.avg_monthly_margin;
		let reasonCodes: ReasonCode[];
		if (contributions) {
			const row = contributionRow.get(id);
			if (row === undefined)
				throw new GuardrailError(
					`customer ${id} is scored but has no contributions`,
				);
			reasonCodes = reasonCodesFromContributions(
				features,
				(f) => contributionColumns.get(f)?.[row],
			);
		} else reasonCodes = reasonCodesFor(features);
		return Recommendation.create({
			customerId: id,
			riskScore: Number(s.churn_proba),
			avgMonthlyMargin:
				margin === null || margin === undefined ? 0 : Number(margin),
			reasonCodes,
		});
	});
}

/** Recommendations as a flat table (reason codes joined with "|") for Parquet and the report. */
export function recommendationsTable(recs: readonly Recommendation[]): Table {
	return table({
		customer_id: recs.map((r) => r.customerId),
		risk_score: recs.map((r) => r.riskScore),
		risk_tier: recs.map((r) => r.riskTier),
		action: recs.map((r) => r.action),
		timing: recs.map((r) => r.timing),
		offer_budget_eur: recs.map((r) => r.offerBudgetEur),
		avg_monthly_margin: recs.map((r) => r.avgMonthlyMargin),
		reason_codes: recs.map((r) => r.reasonCodes.join("|")),
	});
}
