/**
 * Retention recommendations (DATA_SPEC §6). The Recommendation record refuses
 * invalid states when it is built, so no code path can emit one:
 *   - a negative monthly margin always yields no_offer with a zero budget;
 *   - reason codes are never empty (and only known codes);
 *   - the risk score is a probability in [0, 1].
 * Action, timing and budget are derived from score and margin inside the
 * factory, never passed in, so they cannot disagree with the tier.
 */
import { table } from "arquero";
import { GuardrailError } from "../errors.ts";
import type { Table } from "../io/tables.ts";
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
 */
export function recommend(scored: Table, gold: Table): Recommendation[] {
	const goldRows = new Map<string, Record<string, unknown>>();
	const needed = ["customer_id", "avg_monthly_margin", ...DRIVER_COLUMNS];
	const missing = needed.filter((c) => !gold.columnNames().includes(c));
	if (missing.length > 0)
		throw new GuardrailError(
			`gold table lacks ${missing.map((c) => `"${c}"`).join(", ")}`,
		);
	for (const row of gold.select(needed).objects() as Record<string, unknown>[])
		goldRows.set(String(row.customer_id), row);
	return (scored.objects() as Record<string, unknown>[]).map((s) => {
		const id = String(s.customer_id);
		const features = goldRows.get(id);
		if (!features)
			throw new GuardrailError(
				`customer ${id} is scored but absent from the gold table`,
			);
		const margin = features.avg_monthly_margin;
		return Recommendation.create({
			customerId: id,
			riskScore: Number(s.churn_proba),
			avgMonthlyMargin:
				margin === null || margin === undefined ? 0 : Number(margin),
			reasonCodes: reasonCodesFor(features),
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
