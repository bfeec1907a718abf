/** `customers` (scores ⨝ recommendations ⨝ gold, one row per scored customer) and `feature_importance`. */
import { lakeKeys } from "../../io/lake.ts";
import type { ObjectStore } from "../../io/object-store.ts";
import { isAtRisk } from "../../scoring/tiers.ts";
import { type ReportRow, TIER_ORDER } from "../contract.ts";
import { num, type Obj, round2, str, sum, tryTable } from "./values.ts";

/** The run's headline figures from its scores (also computed for earlier runs' trend). */
export interface ScoreFigures {
	customers: number;
	atRisk: number;
	expectedLoss: number;
	modelVersion: string | null;
}

export function scoreFigures(rows: Obj[]): ScoreFigures {
	return {
		customers: rows.length,
		atRisk: rows.filter((r) => isAtRisk(String(r.risk_tier))).length,
		expectedLoss: round2(
			sum(rows.map((r) => num(r.expected_monthly_loss) ?? 0)),
		),
		modelVersion: str(rows[0]?.model_version),
	};
}

async function rowsById(
	store: ObjectStore,
	key: string,
): Promise<Map<string, Obj>> {
	const rows = ((await tryTable(store, key))?.objects() ?? []) as Obj[];
	return new Map(rows.map((r) => [String(r.customer_id), r]));
}

export function customerRow(sc: Obj, g: Obj, r: Obj): ReportRow<"customers"> {
	const tier = String(sc.risk_tier);
	return {
		customer_id: String(sc.customer_id),
		segment: str(g.segment),
		region: str(g.region),
		province_code: str(g.province_code),
		sales_channel: str(g.sales_channel),
		portfolio_type: str(g.portfolio_type),
		tenure_months: num(g.tenure_months),
		tenure_bucket: str(g.tenure_bucket),
		months_to_renewal: num(g.months_to_renewal),
		renewal_bucket: str(g.renewal_bucket),
		is_dual_fuel: num(g.is_dual_fuel),
		is_high_competition_province: num(g.is_high_competition_province),
		is_price_increase: num(g.is_price_increase),
		has_interaction: num(g.has_interaction),
		customer_intent: str(g.customer_intent) ?? "no_interaction",
		sentiment_label: str(g.sentiment_label) ?? "no_interaction",
		avg_monthly_margin_eur: num(g.avg_monthly_margin ?? r.avg_monthly_margin),
		total_margin_2024_eur: num(g.total_margin_2024),
		avg_monthly_elec_kwh: num(g.avg_monthly_elec_kwh),
		avg_monthly_gas_m3: num(g.avg_monthly_gas_m3),
		churn: num(g.churn),
		churn_proba: num(sc.churn_proba),
		churn_pred: num(sc.churn_pred),
		risk_tier: tier,
		tier_order: TIER_ORDER[tier] ?? null,
		expected_monthly_loss_eur: num(sc.expected_monthly_loss),
		action: str(r.action),
		timing: str(r.timing),
		offer_budget_eur: num(r.offer_budget_eur),
		reason_codes: str(r.reason_codes),
		driver_1_feature: str(sc.driver_1_feature),
		driver_1_contribution: num(sc.driver_1_contribution),
		driver_2_feature: str(sc.driver_2_feature),
		driver_2_contribution: num(sc.driver_2_contribution),
		driver_3_feature: str(sc.driver_3_feature),
		driver_3_contribution: num(sc.driver_3_contribution),
		driver_4_feature: str(sc.driver_4_feature),
		driver_4_contribution: num(sc.driver_4_contribution),
		driver_5_feature: str(sc.driver_5_feature),
		driver_5_contribution: num(sc.driver_5_contribution),
	};
}

export interface CustomerTables {
	/** The run's scores as stored (the headline figures read them). */
	scores: Obj[];
	figures: ScoreFigures;
	customers: ReportRow<"customers">[];
	feature_importance: ReportRow<"feature_importance">[];
}

/** The run's customers; `scores` undefined when the run has no scores table. */
export async function customerTables(
	store: ObjectStore,
	runId: string,
): Promise<CustomerTables | undefined> {
	const scoresTable = await tryTable(
		store,
		lakeKeys.table(runId, "scored", "scores"),
	);
	if (!scoresTable) return undefined;
	const scores = scoresTable.objects() as Obj[];
	const [recs, gold] = await Promise.all([
		rowsById(store, lakeKeys.table(runId, "scored", "recommendations")),
		rowsById(store, lakeKeys.table(runId, "gold", "gold_customer")),
	]);
	const customers = scores.map((sc) => {
		const id = String(sc.customer_id);
		return customerRow(sc, gold.get(id) ?? {}, recs.get(id) ?? {});
	});
	// Global importance, written by the Score stage when the champion is a tree model.
	const importance = await tryTable(
		store,
		lakeKeys.table(runId, "scored", "feature_importance"),
	);
	const feature_importance = ((importance?.objects() ?? []) as Obj[]).map(
		(r) => ({
			feature: str(r.feature),
			rank: num(r.rank),
			mean_abs_contribution: num(r.mean_abs_contribution),
			mean_contribution: num(r.mean_contribution),
		}),
	);
	return {
		scores,
		figures: scoreFigures(scores),
		customers,
		feature_importance,
	};
}
