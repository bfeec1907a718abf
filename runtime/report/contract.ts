/**
 * The report's data contract: the ONE source definition of the Evidence site.
 *
 * `exportReportData` (export.ts) writes one Parquet file per table below into
 * a folder; the Evidence project reads each of them through its single DuckDB
 * source `lake` (reports/sources/lake/<table>.sql is
 * `select * from read_parquet('report-data/<table>.parquet')`), so a page
 * queries `lake.<table>`. Column types are fixed here (strings, doubles), so
 * an empty table still has its schema and a page's query never breaks because
 * a run had, say, no drift reference. A test checks that every table here has
 * its .sql file and that every page only queries tables of this contract.
 *
 * Units: money in euros (`_eur`), probabilities in [0, 1], durations in
 * seconds, flags 0/1.
 */
import { RISK_TIERS } from "../scoring/tiers.ts";

export type ColumnType = "string" | "number";

export type TableSchema = Readonly<Record<string, ColumnType>>;

const s = "string" as const;
const n = "number" as const;

export const REPORT_TABLES = {
	/** One row: the run the site presents (the run id given to the export) and its headline figures. */
	run_summary: {
		run_id: s,
		batch_id: s,
		run_status: s,
		started_at: s,
		finished_at: s,
		as_of_date: s,
		generated_at: s,
		customers: n,
		/** Observed churn rate of the batch's labels (gold `churn`), null when unlabelled. */
		observed_churn_rate: n,
		mean_churn_proba: n,
		predicted_churners: n,
		/** Customers in the High and Critical tiers. */
		at_risk_customers: n,
		at_risk_share: n,
		/** Sum of `expected_monthly_loss` over all scored customers (€/month). */
		expected_monthly_loss_eur: n,
		at_risk_expected_monthly_loss_eur: n,
		offers: n,
		offer_budget_eur: n,
		model_version: s,
		champion_version: s,
		pr_auc: n,
		roc_auc: n,
		threshold: n,
		gate_minimum: n,
		gate_passed: n,
		drift_checked: n,
		drifted_features: n,
		prediction_drifted: n,
		ladder_rows: n,
		ladder_run_id: s,
		/** Customers of the run with an observed label (gold `churn`); 0 when unlabelled. */
		labelled_customers: n,
		/** 95 % Wilson interval of observed_churn_rate. */
		observed_churn_ci_low: n,
		observed_churn_ci_high: n,
		/** The newest run (this one or earlier) with a realized-performance record; null when none. */
		realized_run_id: s,
	},
	/** The risk tiers (runtime/scoring/tiers.ts): probability range [lower, upper) and whether the tier counts as at risk. */
	tiers: {
		tier: s,
		tier_order: n,
		lower_bound: n,
		upper_bound: n,
		at_risk: n,
	},
	/**
	 * Observed churn of the run's labelled customers by one business dimension
	 * at a time (segment, renewal bucket, …), with a 95 % Wilson interval; for a
	 * bucket, the range of its underlying value in this batch.
	 */
	churn_drivers: {
		dimension: s,
		dimension_label: s,
		dimension_order: n,
		level: s,
		level_order: n,
		customers: n,
		churners: n,
		churn_rate: n,
		ci_low: n,
		ci_high: n,
		value_min: n,
		value_max: n,
	},
	/** Run history from the manifest (every run, oldest first), with headline figures of those that scored. */
	runs: {
		run_id: s,
		batch_id: s,
		status: s,
		started_at: s,
		finished_at: s,
		seconds: n,
		error_name: s,
		error_message: s,
		is_current: n,
		model_version: s,
		customers: n,
		at_risk_customers: n,
		expected_monthly_loss_eur: n,
	},
	/** Per-stage timings and output rows of every run in the manifest. */
	stages: {
		run_id: s,
		stage: s,
		stage_order: n,
		seconds: n,
		rows_out: n,
		detail: s,
	},
	/** Rows written per table per stage (every run). */
	stage_rows: { run_id: s, stage: s, table_name: s, rows: n },
	/** Faults absorbed per stage (every run; zero counts kept). */
	faults: { run_id: s, stage: s, fault: s, count: n },
	/** The run's lake tables by layer (staged … scored). */
	layer_tables: {
		layer: s,
		layer_order: n,
		table_name: s,
		object_key: s,
		rows: n,
		columns: n,
		bytes: n,
	},
	/** Data-quality result per table of the run. */
	quality: {
		table_name: s,
		rows: n,
		passed: n,
		errors: n,
		warnings: n,
	},
	quality_violations: {
		table_name: s,
		rule: s,
		column_name: s,
		severity: s,
		detail: s,
	},
	quality_columns: {
		table_name: s,
		column_name: s,
		nulls: n,
		null_rate: n,
		distinct_values: n,
		min_value: n,
		max_value: n,
	},
	/** Every registered model version (registry history: champions and rejections). */
	models: {
		version: s,
		registered_at: s,
		run_id: s,
		status: s,
		is_champion: n,
		is_scoring_model: n,
		experiment: s,
		algorithm: s,
		n_features: n,
		pr_auc: n,
		roc_auc: n,
		precision: n,
		recall: n,
		f1: n,
		accuracy: n,
		threshold: n,
		gate_minimum: n,
		gate_passed: n,
		tp: n,
		fp: n,
		tn: n,
		fn: n,
	},
	/** Test-split PR curve of the model that scored the run (≤ 400 points). */
	pr_curve: { version: s, recall: n, precision: n, threshold: n },
	/** Test-split ROC curve of the model that scored the run (≤ 400 points). */
	roc_curve: { version: s, fpr: n, tpr: n, threshold: n },
	/** Test-split confusion matrix at the model's threshold. */
	confusion: { version: s, actual: s, predicted: s, customers: n },
	/** The experiment ladder (E0–E8 × algorithms), from the newest run that has one. */
	experiments: {
		experiment: s,
		algorithm: s,
		n_features: n,
		pr_auc: n,
		roc_auc: n,
		precision: n,
		recall: n,
		f1: n,
		seconds: n,
		source_run_id: s,
	},
	/**
	 * Drift per feature and for the prediction (`kind` = feature | prediction):
	 * the test by feature type (KS or chi-square), its p-value, the effect size
	 * and PSI; drifted = significant and large (runtime/monitoring/drift.ts).
	 */
	drift: {
		feature: s,
		kind: s,
		feature_type: s,
		test: s,
		statistic: n,
		p_value: n,
		method: s,
		dof: n,
		effect_metric: s,
		effect_size: n,
		effect_threshold: n,
		psi: n,
		alpha: n,
		significant: n,
		large: n,
		drifted: n,
		reference_size: n,
		current_size: n,
		reference_mean: n,
		current_mean: n,
		reason: s,
		model_version: s,
	},
	/**
	 * Binned distributions of the champion's drift reference (its training
	 * population) and, once a run is compared with it, of the current batch
	 * (current_* null before that).
	 */
	drift_distributions: {
		feature: s,
		kind: s,
		feature_type: s,
		bin_order: n,
		bin: s,
		lower: n,
		upper: n,
		reference_count: n,
		reference_share: n,
		current_count: n,
		current_share: n,
		model_version: s,
	},
	/** Realized performance of the scoring model on labelled score-mode batches, one row per run that has it (docs/realized-performance.md). */
	realized_performance: {
		run_id: s,
		batch_id: s,
		is_current: n,
		started_at: s,
		model_version: s,
		customers: n,
		churners: n,
		observed_churn_rate: n,
		mean_churn_proba: n,
		pr_auc: n,
		roc_auc: n,
		/** The model's test-split PR-AUC at training (registry). */
		training_pr_auc: n,
		gate_minimum: n,
		below_gate: n,
		reason: s,
	},
	/** Calibration curve (score deciles) of the newest realized-performance record. */
	realized_calibration: {
		run_id: s,
		bin: n,
		customers: n,
		min_score: n,
		max_score: n,
		mean_score: n,
		observed_rate: n,
	},
	/** Realized churn per tier of the newest realized-performance record. */
	realized_tiers: {
		run_id: s,
		tier: s,
		tier_order: n,
		customers: n,
		churners: n,
		realized_churn_rate: n,
		mean_churn_proba: n,
	},
	/** One row per scored customer: the features that drive the reason codes, score, tier and recommendation. */
	customers: {
		customer_id: s,
		segment: s,
		region: s,
		province_code: s,
		sales_channel: s,
		portfolio_type: s,
		tenure_months: n,
		tenure_bucket: s,
		months_to_renewal: n,
		renewal_bucket: s,
		is_dual_fuel: n,
		is_high_competition_province: n,
		is_price_increase: n,
		has_interaction: n,
		customer_intent: s,
		sentiment_label: s,
		avg_monthly_margin_eur: n,
		total_margin_2024_eur: n,
		avg_monthly_elec_kwh: n,
		avg_monthly_gas_m3: n,
		churn: n,
		churn_proba: n,
		churn_pred: n,
		risk_tier: s,
		tier_order: n,
		expected_monthly_loss_eur: n,
		action: s,
		timing: s,
		offer_budget_eur: n,
		reason_codes: s,
		/** The customer's five largest TreeSHAP contributions (feature, signed log-odds); null without a tree champion. */
		driver_1_feature: s,
		driver_1_contribution: n,
		driver_2_feature: s,
		driver_2_contribution: n,
		driver_3_feature: s,
		driver_3_contribution: n,
		driver_4_feature: s,
		driver_4_contribution: n,
		driver_5_feature: s,
		driver_5_contribution: n,
	},
	/** Global importance of the scoring model: mean |TreeSHAP contribution| (log-odds) per gold feature, over the run's customers. */
	feature_importance: {
		feature: s,
		rank: n,
		mean_abs_contribution: n,
		mean_contribution: n,
	},
} as const satisfies Record<string, TableSchema>;

export type ReportTableName = keyof typeof REPORT_TABLES;

export type ReportRow<T extends ReportTableName> = {
	[K in keyof (typeof REPORT_TABLES)[T]]: (typeof REPORT_TABLES)[T][K] extends "number"
		? number | null
		: string | null;
};

export const REPORT_TABLE_NAMES = Object.keys(
	REPORT_TABLES,
) as ReportTableName[];

/** Folder name of the exported tables inside the Evidence project being built. */
export const REPORT_DATA_FOLDER = "report-data";

/** The Evidence source's name: pages query `lake.<table>`. */
export const REPORT_SOURCE = "lake";

/** Display order of the risk tiers (1 = Low), from runtime/scoring/tiers.ts. */
export const TIER_ORDER: Record<string, number> = Object.fromEntries(
	RISK_TIERS.map((t, i) => [t, i + 1]),
);
