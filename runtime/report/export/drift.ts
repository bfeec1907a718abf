/**
 * `drift` (the run's drift report, runs/<id>/monitoring/drift.json) and
 * `drift_distributions`: the champion's reference distributions (always, once
 * the reference exists), with the current batch's beside them when the run
 * was compared with it — so the drift page has something to show on the run
 * that trained the champion too.
 */
import { getJson, getTable, lakeKeys } from "../../io/lake.ts";
import type { ObjectStore } from "../../io/object-store.ts";
import type { Table } from "../../io/tables.ts";
import {
	type DriftFeatureResult,
	type DriftReport,
	driftDistributions,
	driftReference,
	PREDICTION_COLUMN,
} from "../../monitoring/drift.ts";
import type { ReportRow } from "../contract.ts";
import { flag, num } from "./values.ts";

type StoredDrift = DriftReport & { modelVersion?: string };

function effectThreshold(
	d: DriftFeatureResult,
	th: DriftReport["thresholds"] | undefined,
): number | null {
	if (!th) return null;
	return d.effectMetric === "wasserstein_normed"
		? th.wasserstein
		: th.jensenShannon;
}

export function driftRow(
	d: DriftFeatureResult,
	kind: "feature" | "prediction",
	modelVersion: string | null,
	report?: Pick<DriftReport, "alpha" | "thresholds">,
): ReportRow<"drift"> {
	return {
		feature: d.feature,
		kind,
		// Reports written before tests by type were KS on numeric features only.
		feature_type: d.featureType ?? "continuous",
		test: d.test ?? (d.method === "none" ? "none" : "ks"),
		statistic: num(d.statistic),
		p_value: num(d.pvalue),
		method: d.method,
		dof: num(d.dof),
		effect_metric: d.effectMetric ?? null,
		effect_size: num(d.effectSize),
		effect_threshold: effectThreshold(d, report?.thresholds),
		psi: num(d.psi),
		alpha: num(report?.alpha),
		significant: flag(d.significant),
		large: flag(d.large),
		drifted: flag(d.drifted),
		reference_size: d.referenceSize,
		current_size: d.currentSize,
		reference_mean: num(d.referenceMean),
		current_mean: num(d.currentMean),
		reason: d.reason ?? null,
		model_version: modelVersion,
	};
}

/** The run's batch as the drift stage compares it: gold features plus each customer's score. */
async function currentSide(
	store: ObjectStore,
	runId: string,
	features: readonly string[],
	scores: ReadonlyMap<string, number>,
): Promise<Table | undefined> {
	const key = lakeKeys.table(runId, "gold", "gold_customer");
	if (!(await store.exists(key))) return undefined;
	const gold = await getTable(store, key);
	const ids = gold.array("customer_id") as ArrayLike<string>;
	const proba = Float64Array.from(
		{ length: ids.length },
		(_, i) => scores.get(String(ids[i])) ?? Number.NaN,
	);
	const present = features.filter((f) => gold.columnNames().includes(f));
	// A customer without a score cannot be compared on the prediction: leave it out.
	return proba.every(Number.isFinite)
		? driftReference(gold, present, proba)
		: driftReference(gold, present);
}

export async function driftTables(
	store: ObjectStore,
	runId: string,
	scoringVersion: string | null,
	scores: ReadonlyMap<string, number>,
): Promise<{
	report: StoredDrift | undefined;
	drift: ReportRow<"drift">[];
	drift_distributions: ReportRow<"drift_distributions">[];
}> {
	const key = lakeKeys.doc(runId, "monitoring", "drift");
	const report = (await store.exists(key))
		? await getJson<StoredDrift>(store, key)
		: undefined;
	const version = report?.modelVersion ?? scoringVersion;
	const drift: ReportRow<"drift">[] = [];
	if (report) {
		for (const d of report.features)
			drift.push(driftRow(d, "feature", version, report));
		if (report.prediction)
			drift.push(driftRow(report.prediction, "prediction", version, report));
	}
	const drift_distributions: ReportRow<"drift_distributions">[] = [];
	const refKey = version ? lakeKeys.driftReference(version) : undefined;
	if (refKey && (await store.exists(refKey))) {
		const reference = await getTable(store, refKey);
		const columns = reference.columnNames();
		const features = columns.filter((c) => c !== PREDICTION_COLUMN);
		const current = report
			? await currentSide(store, runId, features, scores)
			: undefined;
		for (const b of driftDistributions(reference, current, columns))
			drift_distributions.push({
				feature: b.feature,
				kind: b.feature === PREDICTION_COLUMN ? "prediction" : "feature",
				feature_type: b.featureType,
				bin_order: b.binOrder,
				bin: b.bin,
				lower: b.lower,
				upper: b.upper,
				reference_count: b.referenceCount,
				reference_share: b.referenceShare,
				current_count: b.currentCount,
				current_share: b.currentShare,
				model_version: version,
			});
	}
	return { report, drift, drift_distributions };
}
