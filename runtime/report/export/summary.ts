/** `run_summary`: the one headline row of the presented run. */
import type { RunRecord } from "../../io/manifest.ts";
import type { ModelVersion } from "../../model/registry.ts";
import type { DriftReport } from "../../monitoring/drift.ts";
import { isAtRisk } from "../../scoring/tiers.ts";
import type { ReportRow } from "../contract.ts";
import type { ScoreFigures } from "./customers.ts";
import { flag, num, type Obj, round2, str, sum } from "./values.ts";
import { wilsonInterval } from "./wilson.ts";

export interface SummaryInputs {
	runId: string;
	current: RunRecord | undefined;
	scores: Obj[];
	figures: ScoreFigures;
	customers: ReportRow<"customers">[];
	scoringVersion: string | null;
	scoringModel: ModelVersion | undefined;
	champion: ModelVersion | undefined;
	drift: DriftReport | undefined;
	ladderRows: number;
	ladderRun: string | null;
	realizedRun: string | null;
}

export function summaryRow(x: SummaryInputs): ReportRow<"run_summary"> {
	const { current, scores, figures, customers, scoringModel, drift } = x;
	const labels = customers
		.map((c) => c.churn)
		.filter((v): v is number => v !== null);
	const churners = sum(labels);
	const ci = labels.length ? wilsonInterval(churners, labels.length) : null;
	const atRiskLoss = sum(
		customers
			.filter((c) => isAtRisk(String(c.risk_tier)))
			.map((c) => c.expected_monthly_loss_eur ?? 0),
	);
	const offers = customers.filter(
		(c) => c.action !== null && c.action !== "no_offer",
	);
	const lastStatus = current?.history.at(-1);
	return {
		run_id: x.runId,
		batch_id: current?.batchId ?? null,
		run_status: current?.status ?? null,
		started_at: current?.startedAt ?? null,
		finished_at: current?.finishedAt ?? lastStatus?.at ?? null,
		as_of_date: str(scores[0]?.as_of_date),
		generated_at: new Date().toISOString(),
		customers: figures.customers,
		observed_churn_rate: labels.length ? churners / labels.length : null,
		mean_churn_proba: scores.length
			? sum(scores.map((r) => num(r.churn_proba) ?? 0)) / scores.length
			: null,
		predicted_churners: sum(scores.map((r) => num(r.churn_pred) ?? 0)),
		at_risk_customers: figures.atRisk,
		at_risk_share: scores.length ? figures.atRisk / scores.length : null,
		expected_monthly_loss_eur: figures.expectedLoss,
		at_risk_expected_monthly_loss_eur: round2(atRiskLoss),
		offers: offers.length,
		offer_budget_eur: round2(sum(offers.map((c) => c.offer_budget_eur ?? 0))),
		model_version: x.scoringVersion,
		champion_version: x.champion?.version ?? null,
		pr_auc: scoringModel?.metrics.pr_auc ?? null,
		roc_auc: scoringModel?.metrics.roc_auc ?? null,
		threshold:
			scoringModel?.threshold.threshold ??
			scoringModel?.metrics.threshold ??
			null,
		gate_minimum: scoringModel?.gate.minimum ?? null,
		gate_passed: flag(scoringModel?.gate.passed),
		drift_checked: flag(drift !== undefined),
		drifted_features: drift ? drift.driftedFeatures.length : null,
		prediction_drifted: drift ? flag(drift.prediction?.drifted ?? false) : null,
		ladder_rows: x.ladderRows,
		ladder_run_id: x.ladderRun,
		labelled_customers: labels.length,
		observed_churn_ci_low: ci?.low ?? null,
		observed_churn_ci_high: ci?.high ?? null,
		realized_run_id: x.realizedRun,
	};
}
