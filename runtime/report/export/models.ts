/** `models` (registry history) and the scoring model's `pr_curve`, `roc_curve` and `confusion`. */
import type { Evaluation } from "../../model/artifact.ts";
import type { ModelRegistry, ModelVersion } from "../../model/registry.ts";
import type { ReportRow } from "../contract.ts";
import { downsample, flag, num } from "./values.ts";

const CURVE_POINTS = 400;

export interface ModelTables {
	champion: ModelVersion | undefined;
	/** The version that scored the run (its scores' model_version, else the champion). */
	scoringVersion: string | null;
	scoringModel: ModelVersion | undefined;
	versions: ModelVersion[];
	models: ReportRow<"models">[];
	pr_curve: ReportRow<"pr_curve">[];
	roc_curve: ReportRow<"roc_curve">[];
	confusion: ReportRow<"confusion">[];
}

function modelRow(
	v: ModelVersion,
	champion: string | undefined,
	scoring: string | null,
): ReportRow<"models"> {
	const m = v.metrics;
	return {
		version: v.version,
		registered_at: v.registeredAt,
		run_id: v.runId,
		status: v.status,
		is_champion: flag(v.version === champion),
		is_scoring_model: flag(v.version === scoring),
		experiment: v.experiment,
		algorithm: v.algorithm,
		n_features: v.features.length,
		pr_auc: m.pr_auc,
		roc_auc: m.roc_auc,
		precision: m.precision,
		recall: m.recall,
		f1: m.f1,
		accuracy: m.accuracy,
		threshold: m.threshold,
		gate_minimum: v.gate.minimum,
		gate_passed: flag(v.gate.passed),
		tp: m.confusion.tp,
		fp: m.confusion.fp,
		tn: m.confusion.tn,
		fn: m.confusion.fn,
	};
}

function curveRows(version: string, ev: Evaluation) {
	const pr = ev.curves.pr;
	const roc = ev.curves.roc;
	const c = ev.metrics.confusion;
	return {
		pr_curve: downsample(pr.recall.length, CURVE_POINTS).map((i) => ({
			version,
			recall: pr.recall[i],
			precision: pr.precision[i],
			threshold: num(pr.thresholds[i]),
		})),
		roc_curve: downsample(roc.fpr.length, CURVE_POINTS).map((i) => ({
			version,
			fpr: roc.fpr[i],
			tpr: roc.tpr[i],
			threshold: num(roc.thresholds[i]),
		})),
		confusion: (
			[
				["churn", "churn", c.tp],
				["churn", "stay", c.fn],
				["stay", "churn", c.fp],
				["stay", "stay", c.tn],
			] as const
		).map(([actual, predicted, customers]) => ({
			version,
			actual,
			predicted,
			customers,
		})),
	};
}

export async function modelTables(
	registry: ModelRegistry,
	scoredWith: string | null,
	/**
	 * The version this run promotes in MarkSucceeded (its approved candidate),
	 * when the run is presented before it: the report shows the registry as it
	 * stands once the run succeeds, as it shows the run itself.
	 */
	promotes?: string,
): Promise<ModelTables> {
	const versions = await registry.list();
	const champion =
		(promotes ? versions.find((v) => v.version === promotes) : undefined) ??
		(await registry.champion());
	const scoringVersion = scoredWith ?? champion?.version ?? null;
	const scoringModel = versions.find((v) => v.version === scoringVersion);
	const curves = scoringModel
		? curveRows(
				scoringModel.version,
				await registry.loadEvaluation(scoringModel.version),
			)
		: { pr_curve: [], roc_curve: [], confusion: [] };
	return {
		champion,
		scoringVersion,
		scoringModel,
		versions,
		models: versions.map((v) => modelRow(v, champion?.version, scoringVersion)),
		...curves,
	};
}
