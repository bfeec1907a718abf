/**
 * Registry candidates for the registry tests (test/registry.test.ts, local;
 * test/aws-registry.test.ts, DynamoDB + S3): a minimal but complete artifact
 * and evaluation whose only varying facts are the test PR-AUC (which decides
 * the gate) and the run id (kept in the model state, so two candidates'
 * artifacts differ).
 */
import type {
	Evaluation,
	ModelArtifact,
	TestMetrics,
} from "../../runtime/model/artifact.ts";
import {
	gateDecision,
	type RegistryCandidate,
} from "../../runtime/model/registry.ts";

/** Test metrics with the given PR-AUC; the rest fixed and consistent (100 rows, 10 positives). */
export function testMetricsWith(pr_auc: number): TestMetrics {
	return {
		pr_auc,
		roc_auc: 0.9,
		precision: 0.5,
		recall: 0.7,
		f1: 0.58,
		accuracy: 0.9,
		threshold: 0.3,
		confusion: { tp: 7, fp: 7, tn: 83, fn: 3 },
	};
}

/** A candidate of `runId` with test PR-AUC `prAuc`, gated at `gate` (default: gateDecision's). */
export function registryCandidate(
	prAuc: number,
	runId: string,
	gate?: number,
): RegistryCandidate {
	const m = testMetricsWith(prAuc);
	const artifact: ModelArtifact = {
		kind: "spanishgas-churn-model",
		format: 1,
		experiment: "E5_full",
		algorithm: "xgboost",
		features: ["tenure_months"],
		preprocessor: {
			format: 1,
			features: ["tenure_months"],
			standardize: false,
			numeric: [{ name: "tenure_months", median: 3 }],
			categorical: [],
			columns: ["tenure_months"],
		},
		model: {
			algorithm: "xgboost",
			format: 1,
			params: {},
			columns: ["tenure_months"],
			state: { runId },
		},
		calibration: { method: "platt", a: -3, b: 1 },
		threshold: {
			threshold: 0.3,
			rule: "precision_at_recall",
			minRecall: 0.7,
			precision: 0.5,
			recall: 0.7,
			f1: 0.58,
		},
		metadata: {
			runId,
			trainedAt: "2026-01-01T00:00:00Z",
			seed: 1,
			productionModel: "full_train",
			rows: { train: 80, subTrain: 60, holdout: 20, test: 20 },
			positiveRate: 0.1,
		},
	};
	const evaluation: Evaluation = {
		metrics: m,
		curves: {
			pr: { precision: [1, 0.5], recall: [0, 1], thresholds: [0.4] },
			roc: { fpr: [0], tpr: [0], thresholds: [] },
		},
		calibrationCheck: {
			holdout: { meanProba: 0.1, churnRate: 0.1 },
			test: { meanProba: 0.1, churnRate: 0.1, brier: 0.05 },
		},
	};
	const decision = gate === undefined ? gateDecision(m) : gateDecision(m, gate);
	return { artifact, evaluation, gate: decision, runId };
}
