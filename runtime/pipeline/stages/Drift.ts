/**
 * Drift: compares this batch's features and scores with the training
 * population of the version that scored the run (plannedVersion; KS tests,
 * runtime/monitoring/drift.ts). The run that trained it writes the
 * reference; later runs compare against it and raise drift_detected.
 */
import {
	BASE_ACCESS,
	defineStage,
	NoChampionError,
	plannedVersion,
	type RunState,
	type StagePlatform,
} from "./stage.ts";

export const Drift = defineStage({
	name: "Drift",
	resultPath: "$.drift",
	summary: { key: "drift" },
	lambda: {
		access: {
			...BASE_ACCESS,
			registry: "read",
			reads: ["runs/*/gold/*", "runs/*/scored/*", "models/*"],
			writes: ["runs/*/monitoring/*", "models/*/drift_reference.parquet"],
		},
		sizing: { memoryMb: 2048, timeoutSeconds: 600, ephemeralStorageMb: 1024 },
	},
	task: {
		cpu: 4096,
		memoryMb: 16384,
		ephemeralStorageGiB: 30,
		timeoutSeconds: 7200,
	},
	async run(s: RunState, p: StagePlatform) {
		const { getTable, lakeKeys, putJson, putTable } = await import(
			"../../io/lake.ts"
		);
		const { driftReference, driftReport, PREDICTION_COLUMN } = await import(
			"../../monitoring/drift.ts"
		);
		const { readTable } = await import("./lake-tables.ts");
		const planned = plannedVersion(s);
		const champion = planned ? await p.registry.get(planned) : undefined;
		if (!champion)
			throw new NoChampionError(
				"drift needs the champion's reference, and no model is approved",
			);
		const [gold, scored] = await Promise.all([
			readTable(p, s.runId, "gold", "gold_customer"),
			readTable(p, s.runId, "scored", "scores"),
		]);
		const probaById = new Map<string, number>();
		const ids = scored.array("customer_id") as ArrayLike<string>;
		const proba = scored.array(PREDICTION_COLUMN) as ArrayLike<number>;
		for (let i = 0; i < ids.length; i++) probaById.set(ids[i], proba[i]);
		const goldIds = gold.array("customer_id") as ArrayLike<string>;
		const scores = Float64Array.from(
			{ length: goldIds.length },
			(_, i) => probaById.get(goldIds[i]) ?? Number.NaN,
		);
		const current = driftReference(gold, champion.features, scores);
		const refKey = lakeKeys.driftReference(champion.version);
		// The scored table must come from the same version (a retried Score cannot have changed it).
		if (!(await p.store.exists(refKey))) {
			// The reference is the population the champion was trained on: written by
			// the run that trained it, compared against by every later run.
			await putTable(p.store, refKey, current);
			const out = {
				referenceWritten: champion.version,
				anyDrift: false,
				driftedFeatures: [] as string[],
			};
			return { output: out, record: { detail: out } };
		}
		const report = driftReport(await getTable(p.store, refKey), current, {
			features: champion.features,
			predictionColumn: PREDICTION_COLUMN,
			...(s.drift ? { thresholds: s.drift } : {}),
		});
		await putJson(p.store, lakeKeys.doc(s.runId, "monitoring", "drift"), {
			modelVersion: champion.version,
			...report,
		});
		if (report.anyDrift)
			await p.alerts.raise({
				kind: "drift_detected",
				runId: s.runId,
				batchId: s.batchId,
				message: `drift against ${champion.version}'s training population: ${report.driftedFeatures.length} features${report.prediction?.drifted ? " and churn_proba" : ""} (p < ${report.thresholds.alpha} and effect size ≥ its threshold: docs/drift.md)`,
				detail: {
					driftedFeatures: report.driftedFeatures,
					predictionDrifted: report.prediction?.drifted ?? false,
				},
			});
		const out = {
			modelVersion: champion.version,
			anyDrift: report.anyDrift,
			driftedFeatures: report.driftedFeatures,
			predictionDrifted: report.prediction?.drifted ?? false,
			predictionPValue: report.prediction?.pvalue ?? null,
		};
		return { output: out, record: { detail: out } };
	},
});
