/**
 * Small gold-shaped tables with a known churn signal, for model/scoring tests.
 * Every column of the gold contract is present (56 production features, the
 * 8 Tier-1B strings, keys, label and business columns) with the null pattern
 * of the real data (interaction fields null without an interaction). Churn
 * follows a logistic model of a few drivers (renewal soon, negative sentiment,
 * complaint/cancellation intent, competition, short tenure, price increase),
 * so a working learner must beat the baselines clearly. Seeded: same options,
 * same table.
 */
import { table } from "arquero";
import type { Table } from "../../runtime/io/tables.ts";
import { seededRng } from "../../runtime/model/random.ts";

export interface GoldFixtureOptions {
	rows?: number;
	seed?: number;
	/** Multiplies every driver's weight; 0 gives labels independent of the features. */
	signal?: number;
}

const CHANNELS: Array<[string, number]> = [
	["In-Person Commercial", 0.46],
	["Unknown", 0.26],
	["Comparison Website", 0.13],
	["Office", 0.09],
	["Telemarketing", 0.06],
];
const INTENTS: Array<[string, number]> = [
	["Cancellation / Switch", 0.05],
	["Complaint / Escalation", 0.07],
	["Billing / Payment", 0.12],
	["Contract Renewal", 0.14],
	["Pricing Offers", 0.17],
	["Plan / Product Inquiry", 0.12],
	["Account / Service Inquiry", 0.15],
	["General / Operational Contact", 0.12],
	["Other / Unclassified", 0.06],
];
const PROVINCES = ["08", "28", "41", "46", "29", "03", "48", "15"];
const HIGH_COMPETITION = new Set(["08", "28", "46"]);

function pick<T>(items: Array<[T, number]>, u: number): T {
	let acc = 0;
	for (const [v, w] of items) {
		acc += w;
		if (u < acc) return v;
	}
	return items[items.length - 1][0];
}

function renewalBucket(m: number): string {
	return m <= 0
		? "expired"
		: m <= 3
			? "0-3m"
			: m <= 6
				? "3-6m"
				: m <= 12
					? "6-12m"
					: "12m+";
}
function tenureBucket(m: number): string {
	return m <= 6
		? "0-6m"
		: m <= 12
			? "6-12m"
			: m <= 24
				? "1-2y"
				: m <= 60
					? "2-5y"
					: "5y+";
}
const x = (a: unknown, b: unknown) => `${a ?? "Unknown"}_x_${b ?? "Unknown"}`;

export function makeGold(options: GoldFixtureOptions = {}): Table {
	const n = options.rows ?? 3000;
	const rng = seededRng(options.seed ?? 7);
	const w = options.signal ?? 1;
	const normal = () =>
		Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
	const cols: Record<string, unknown[]> = {};
	const put = (name: string, v: unknown) => {
		cols[name] ??= [];
		cols[name].push(v);
	};
	for (let i = 0; i < n; i++) {
		const u = rng();
		const segment = u < 0.9 ? "Residential" : u < 0.99 ? "SME" : "Corporate";
		const channel = pick(CHANNELS, rng());
		const province = PROVINCES[Math.floor(rng() * PROVINCES.length)];
		const highComp = HIGH_COMPETITION.has(province) ? 1 : 0;
		const monthsToRenewal = Math.round((0.1 + rng() * 10.9) * 10) / 10;
		const within3m = monthsToRenewal <= 3 ? 1 : 0;
		const tenure = Math.round(1 + rng() ** 1.5 * 150);
		const dual = rng() < 0.15 ? 1 : 0;
		const priceIncrease = rng() < 0.4 ? 1 : 0;
		const elecTrend = priceIncrease ? 0.02 + rng() * 0.15 : -rng() * 0.1;
		const avgKwh =
			Math.exp(6.5 + 0.8 * normal()) * (segment === "Residential" ? 1 : 3);
		const avgGas = dual ? Math.exp(3 + 0.7 * normal()) : 0;
		const hasInteraction = rng() < 0.32 ? 1 : 0;
		const intent = hasInteraction ? pick(INTENTS, rng()) : null;
		const cancel = intent === "Cancellation / Switch" ? 1 : 0;
		const complaint = intent === "Complaint / Escalation" ? 1 : 0;
		const sentiment = hasInteraction
			? cancel || complaint
				? rng() < 0.6
					? "negative"
					: "neutral"
				: pick(
						[
							["negative", 0.05],
							["neutral", 0.45],
							["positive", 0.5],
						],
						rng(),
					)
			: null;
		const negative = sentiment === "negative" ? 1 : 0;
		const daysAgo = hasInteraction ? Math.round(10 + rng() * 300) : null;
		const interactionNearRenewal =
			hasInteraction && daysAgo !== null
				? monthsToRenewal + daysAgo / 30.44 <= 3
					? 1
					: 0
				: 0;
		const margin =
			Math.round(
				(7 + 12 * normal() + (segment === "Corporate" ? -20 : 0)) * 100,
			) / 100;

		const logit =
			-5.0 +
			w *
				(2.6 * within3m +
					1.3 * highComp +
					1.3 * (tenure <= 12 ? 1 : 0) +
					0.8 * priceIncrease +
					4 * elecTrend +
					4.5 * negative +
					3.5 * (cancel || complaint) -
					2 * (sentiment === "positive" ? 1 : 0) +
					0.5 * (intent === "Pricing Offers" ? 1 : 0) +
					0.5 * normal());
		const churn = rng() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
		const rb = renewalBucket(monthsToRenewal);
		const tb = tenureBucket(tenure);
		const digital = channel === "Comparison Website" ? 1 : 0;

		put("customer_id", `C${String(i + 1).padStart(6, "0")}`);
		put("churn", churn);
		put("as_of_date", "2025-01-01");
		// Tier 1A
		put("months_to_renewal", monthsToRenewal);
		put("renewal_bucket", rb);
		put("is_within_3m_of_renewal", within3m);
		put("tenure_months", tenure);
		put("tenure_bucket", tb);
		put("is_expired_contract", 0);
		put("segment", segment);
		put("sales_channel", channel);
		put("is_high_competition_province", highComp);
		put(
			"is_second_residence",
			segment === "Residential" && rng() < 0.02 ? 1 : 0,
		);
		put("is_dual_fuel", dual);
		put("portfolio_type", `${segment}_${dual ? "DualFuel" : "SingleFuel"}`);
		put("is_digital_channel", digital);
		put("is_comparison_channel", digital);
		put("is_own_website_channel", 0);
		// Tier MP core
		put("avg_monthly_elec_kwh", avgKwh);
		put("total_elec_kwh_2024", avgKwh * 12);
		put("avg_monthly_gas_m3", avgGas);
		put("total_gas_m3_2024", avgGas * 12);
		put("gas_share_of_revenue", dual ? rng() * 0.4 : 0);
		put("price_update_count", Math.floor(rng() * 6));
		put(
			"province_avg_elec_cost_2024",
			0.09 + PROVINCES.indexOf(province) * 0.002,
		);
		put(
			"province_avg_gas_cost_2024",
			0.03 + PROVINCES.indexOf(province) * 0.001,
		);
		// Tier MP risk
		put("std_monthly_elec_kwh", avgKwh * (0.1 + rng() * 0.3));
		put("std_monthly_gas_m3", avgGas * rng() * 0.5);
		put("active_months_count", 12);
		put("std_margin", Math.abs(margin) * rng());
		put("min_monthly_margin", margin - Math.abs(normal()) * 5);
		put(
			"max_negative_margin",
			margin < 0 ? Math.floor(rng() * 12) : Math.floor(rng() * 2),
		);
		put("elec_price_trend_12m", elecTrend);
		put("gas_price_trend_12m", dual ? normal() * 0.05 : 0);
		put("elec_price_volatility_12m", rng() * 0.02);
		put("province_elec_cost_trend", normal() * 0.03);
		put("elec_price_vs_province_cost_spread", 0.05 + normal() * 0.02);
		put("is_price_increase", priceIncrease);
		put("rolling_margin_trend", normal() * 2);
		// Tier 2A
		put("has_interaction", hasInteraction);
		put("customer_intent", intent);
		put("is_cancellation_intent", cancel);
		put("is_complaint_intent", complaint);
		put("recent_complaint_flag", cancel || complaint ? 1 : 0);
		put(
			"intent_severity_score",
			cancel ? 3 : complaint ? 2 : intent === "Pricing Offers" ? 1 : 0,
		);
		put("last_interaction_days_ago", daysAgo);
		put("interaction_within_3m_of_renewal", interactionNearRenewal);
		put(
			"is_interaction_within_30d_of_renewal",
			interactionNearRenewal && monthsToRenewal + (daysAgo ?? 0) / 30.44 <= 1
				? 1
				: 0,
		);
		put(
			"complaint_near_renewal",
			interactionNearRenewal && (cancel || complaint) ? 1 : 0,
		);
		put(
			"months_since_last_change",
			rng() < 0.5 ? Math.round(rng() * 400) / 10 : null,
		);
		// Tier 2B
		put("sentiment_label", sentiment);
		put("is_negative_sentiment", negative);
		put(
			"complaint_x_negative_sentiment",
			(cancel || complaint) && negative ? 1 : 0,
		);
		// Tier 3
		put("is_price_sensitive", intent === "Pricing Offers" ? 1 : 0);
		put("is_high_risk_lifecycle", within3m && tenure <= 12 ? 1 : 0);
		put("is_competition_x_renewal", highComp && within3m ? 1 : 0);
		put("dual_fuel_x_renewal", dual && within3m ? 1 : 0);
		put("dual_fuel_x_competition", dual && highComp ? 1 : 0);
		put("dual_fuel_x_intent", dual && (cancel || complaint) ? 1 : 0);
		// Tier 1B strings
		put("intent_x_renewal_bucket", x(intent, rb));
		put("intent_x_tenure_bucket", x(intent, tb));
		put("sentiment_x_renewal_bucket", x(sentiment, rb));
		put("intent_x_sentiment", x(intent, sentiment));
		put("tenure_x_renewal_bucket", x(tb, rb));
		put("sales_channel_x_renewal_bucket", x(channel, rb));
		put("has_interaction_x_renewal_bucket", x(hasInteraction, rb));
		put("competition_x_intent", x(highComp, intent));
		// Business and keys
		put("avg_monthly_margin", margin);
		put("total_margin_2024", Math.round(margin * 12 * 100) / 100);
		put("province_code", province);
		put("region", HIGH_COMPETITION.has(province) ? "Metro" : "Rest");
	}
	return table(cols) as Table;
}
