/**
 * Per-customer features of the gold table that come from silver_customer
 * (docs/data-contract.md §4): lifecycle (1A), behavioural (2A), sentiment (2B), compound
 * (3) and the Tier-1B strings. Flags are 0/1 numbers, never null; values that
 * are genuinely absent (no interaction, no date) stay null for the model
 * matrix to fill (docs/data-contract.md §6).
 */
import type { Intent } from "../data/nlp/intent.ts";
import {
	monthsBetween,
	renewalBucket,
	roundTo,
	tenureBucket,
} from "./dates.ts";
import type {
	TIER_1A_LIFECYCLE,
	TIER_1B_STRINGS,
	TIER_2A_BEHAVIOURAL,
	TIER_2B_SENTIMENT,
	TIER_3_COMPOUND,
} from "./feature-sets.ts";

type Value = number | string | null;
export type LifecycleFeatures = Record<
	(typeof TIER_1A_LIFECYCLE)[number],
	Value
>;
export type BehaviouralFeatures = Record<
	(typeof TIER_2A_BEHAVIOURAL)[number],
	Value
>;
export type SentimentFeatures = Record<
	(typeof TIER_2B_SENTIMENT)[number],
	Value
>;
export type CompoundFeatures = Record<(typeof TIER_3_COMPOUND)[number], number>;
export type StringFeatures = Record<(typeof TIER_1B_STRINGS)[number], string>;

/** One silver_customer row as the feature functions need it; day numbers are NaN when absent. */
export interface CustomerFacts {
	segment: string;
	salesChannel: string;
	isHighCompetitionProvince: number;
	isSecondResidence: number;
	firstActivationDay: number;
	contractStartDay: number;
	lastProductChangeDay: number;
	nextRenewalDay: number;
	interactionDay: number;
	hasInteraction: boolean;
	intent: string | null;
	sentimentLabel: string | null;
}

const CANCELLATION: Intent = "Cancellation / Switch";
const COMPLAINT: Intent = "Complaint / Escalation";
const PRICING: Intent = "Pricing Offers";

const flag = (b: boolean): number => (b ? 1 : 0);
const orNull = (x: number): number | null => (Number.isNaN(x) ? null : x);

export function lifecycleFeatures(
	c: CustomerFacts,
	asOfDay: number,
	isDualFuel: number,
): LifecycleFeatures {
	// The bucket is taken from the rounded months_to_renewal so that the two
	// columns never disagree (a customer shown at 3.0 months is "0-3m").
	const toRenewal = orNull(
		roundTo(monthsBetween(asOfDay, c.nextRenewalDay), 1),
	);
	const rBucket = renewalBucket(toRenewal);
	// Renewal window (docs/data-quality.md): months_to_renewal ≤ 3, expired
	// included, as in the reference system: an expired contract has rolled
	// onto open terms and can leave at any time.
	const inRenewalWindow = toRenewal !== null && toRenewal <= 3;
	const startDay = Number.isNaN(c.firstActivationDay)
		? c.contractStartDay
		: c.firstActivationDay;
	const tenure = orNull(Math.round(monthsBetween(startDay, asOfDay)));
	return {
		months_to_renewal: toRenewal,
		renewal_bucket: rBucket,
		is_within_3m_of_renewal: flag(inRenewalWindow),
		tenure_months: tenure,
		tenure_bucket: tenureBucket(tenure),
		is_expired_contract: flag(rBucket === "expired"),
		segment: c.segment,
		sales_channel: c.salesChannel,
		is_high_competition_province: c.isHighCompetitionProvince,
		is_second_residence: c.isSecondResidence,
		is_dual_fuel: isDualFuel,
		portfolio_type: `${c.segment}_${isDualFuel === 1 ? "DualFuel" : "SingleFuel"}`,
		is_digital_channel: flag(
			c.salesChannel === "Comparison Website" ||
				c.salesChannel === "Own Website",
		),
		is_comparison_channel: flag(c.salesChannel === "Comparison Website"),
		is_own_website_channel: flag(c.salesChannel === "Own Website"),
	};
}

/** Whether the renewal falls 0..`maxMonths` months after the interaction (unrounded months). */
function renewalWithin(c: CustomerFacts, maxMonths: number): boolean {
	const m = monthsBetween(c.interactionDay, c.nextRenewalDay);
	return !Number.isNaN(m) && m >= 0 && m <= maxMonths;
}

export function behaviouralFeatures(
	c: CustomerFacts,
	asOfDay: number,
): BehaviouralFeatures {
	const intent = c.hasInteraction ? c.intent : null;
	const cancellation = intent === CANCELLATION;
	const complaint = intent === COMPLAINT;
	// "Complaint" in the derived flags means complaint or cancellation, as recent_complaint_flag defines it.
	const complaintOrCancellation = cancellation || complaint;
	const within3m = c.hasInteraction && renewalWithin(c, 3);
	return {
		has_interaction: flag(c.hasInteraction),
		customer_intent: intent,
		is_cancellation_intent: flag(cancellation),
		is_complaint_intent: flag(complaint),
		recent_complaint_flag: flag(complaintOrCancellation),
		intent_severity_score: cancellation
			? 3
			: complaint
				? 2
				: intent === PRICING
					? 1
					: 0,
		last_interaction_days_ago: orNull(asOfDay - c.interactionDay),
		interaction_within_3m_of_renewal: flag(within3m),
		// The spec defines the "30d" window as 0–1 month (30.44 days).
		is_interaction_within_30d_of_renewal: flag(
			c.hasInteraction && renewalWithin(c, 1),
		),
		complaint_near_renewal: flag(complaintOrCancellation && within3m),
		months_since_last_change: orNull(
			roundTo(monthsBetween(c.lastProductChangeDay, asOfDay), 1),
		),
	};
}

export function sentimentFeatures(
	c: CustomerFacts,
	b: BehaviouralFeatures,
): SentimentFeatures {
	const label = c.hasInteraction ? c.sentimentLabel : null;
	const negative = label === "negative";
	return {
		sentiment_label: label,
		is_negative_sentiment: flag(negative),
		complaint_x_negative_sentiment: flag(
			b.recent_complaint_flag === 1 && negative,
		),
	};
}

export function compoundFeatures(
	l: LifecycleFeatures,
	b: BehaviouralFeatures,
): CompoundFeatures {
	const dual = l.is_dual_fuel === 1;
	const renewalSoon = l.is_within_3m_of_renewal === 1;
	const competition = l.is_high_competition_province === 1;
	return {
		is_price_sensitive: flag(b.customer_intent === PRICING),
		// "expired or 0-3m" is the renewal window itself.
		is_high_risk_lifecycle: flag(
			renewalSoon &&
				(l.tenure_bucket === "0-6m" || l.tenure_bucket === "6-12m"),
		),
		is_competition_x_renewal: flag(competition && renewalSoon),
		dual_fuel_x_renewal: flag(dual && renewalSoon),
		dual_fuel_x_competition: flag(dual && competition),
		dual_fuel_x_intent: flag(dual && b.recent_complaint_flag === 1),
	};
}

const cross = (a: Value, b: Value): string =>
	`${a ?? "Unknown"}_x_${b ?? "Unknown"}`;

export function stringFeatures(
	l: LifecycleFeatures,
	b: BehaviouralFeatures,
	s: SentimentFeatures,
): StringFeatures {
	return {
		intent_x_renewal_bucket: cross(b.customer_intent, l.renewal_bucket),
		intent_x_tenure_bucket: cross(b.customer_intent, l.tenure_bucket),
		sentiment_x_renewal_bucket: cross(s.sentiment_label, l.renewal_bucket),
		intent_x_sentiment: cross(b.customer_intent, s.sentiment_label),
		tenure_x_renewal_bucket: cross(l.tenure_bucket, l.renewal_bucket),
		sales_channel_x_renewal_bucket: cross(l.sales_channel, l.renewal_bucket),
		has_interaction_x_renewal_bucket: cross(
			b.has_interaction,
			l.renewal_bucket,
		),
		competition_x_intent: cross(
			l.is_high_competition_province,
			b.customer_intent,
		),
	};
}
