/**
 * exportReportData: the report's source tables (contract.ts) for one run,
 * read only through the storage interfaces — ObjectStore keys of the lake
 * (runtime/io/lake.ts), RunManifest.list() and ModelRegistry — so the same
 * code runs locally (folder, files) and in AWS (S3, DynamoDB).
 *
 * The run given by `runId` is the one presented (it may still be "started":
 * PublishReport runs before MarkSucceeded); history comes from the manifest
 * and the registry. Each group of tables is built by one function in
 * export/ (customers, models, history, lake tables, drift, ladder, realized
 * performance, churn drivers, tiers, summary); this file only orders them.
 */
import { lakeKeys } from "../io/lake.ts";
import type { RunManifest } from "../io/manifest.ts";
import type { ObjectStore } from "../io/object-store.ts";
import type { ModelRegistry } from "../model/registry.ts";
import type { ReportTableName } from "./contract.ts";
import { churnDriverRows } from "./export/churn-drivers.ts";
import { customerTables } from "./export/customers.ts";
import { driftTables } from "./export/drift.ts";
import { ladderTables } from "./export/experiments.ts";
import { historyTables } from "./export/history.ts";
import { layerTables, qualityTables } from "./export/lake-tables.ts";
import { modelTables } from "./export/models.ts";
import { writeReportTables } from "./export/parquet.ts";
import { realizedTables } from "./export/realized.ts";
import { summaryRow } from "./export/summary.ts";
import { tierRows } from "./export/tiers.ts";

export { rowsToParquet } from "./export/parquet.ts";
export { downsample } from "./export/values.ts";

export interface ReportDeps {
	store: ObjectStore;
	manifest: RunManifest;
	registry: ModelRegistry;
	runId: string;
}

export interface ExportResult {
	outDir: string;
	runId: string;
	tables: Record<ReportTableName, number>;
}

/** The report needs these outputs of the run; without them there is nothing to present. */
export class ReportDataError extends Error {
	override readonly name = "ReportDataError";
}

/** Write the report's source tables for `deps.runId` into `outDir` (one Parquet file per table). */
export async function exportReportData(
	deps: ReportDeps,
	outDir: string,
): Promise<ExportResult> {
	const { store, manifest, registry, runId } = deps;
	const run = await customerTables(store, runId);
	if (!run)
		throw new ReportDataError(
			`report: run ${runId} has no ${lakeKeys.table(runId, "scored", "scores")} (the report presents a run that scored its customers)`,
		);
	const models = await modelTables(
		registry,
		run.figures.modelVersion,
		await promotedBy(manifest, runId),
	);
	const history = await historyTables(store, manifest, runId, run.figures);
	const scoreById = new Map(
		run.customers.map((c) => [
			String(c.customer_id),
			c.churn_proba ?? Number.NaN,
		]),
	);
	const drift = await driftTables(
		store,
		runId,
		models.scoringVersion,
		scoreById,
	);
	const ladder = await ladderTables(store, runId, history.records);
	const realized = await realizedTables(
		store,
		runId,
		history.records,
		models.versions,
	);
	const tables = await writeReportTables(
		{
			customers: run.customers,
			feature_importance: run.feature_importance,
			models: models.models,
			pr_curve: models.pr_curve,
			roc_curve: models.roc_curve,
			confusion: models.confusion,
			runs: history.runs,
			stages: history.stages,
			stage_rows: history.stage_rows,
			faults: history.faults,
			...(await layerTables(store, runId)),
			...(await qualityTables(store, runId)),
			drift: drift.drift,
			drift_distributions: drift.drift_distributions,
			experiments: ladder.experiments,
			realized_performance: realized.realized_performance,
			realized_calibration: realized.realized_calibration,
			realized_tiers: realized.realized_tiers,
			churn_drivers: churnDriverRows(run.customers),
			tiers: tierRows(),
			run_summary: [
				summaryRow({
					runId,
					current: history.current,
					scores: run.scores,
					figures: run.figures,
					customers: run.customers,
					scoringVersion: models.scoringVersion,
					scoringModel: models.scoringModel,
					champion: models.champion,
					drift: drift.report,
					ladderRows: ladder.experiments.length,
					ladderRun: ladder.ladderRun,
					realizedRun: realized.realizedRun,
				}),
			],
		},
		outDir,
	);
	return { outDir, runId, tables };
}

/**
 * The candidate a run still marked started will promote in MarkSucceeded
 * (its Train stage approved it), if any.
 */
async function promotedBy(
	manifest: ReportDeps["manifest"],
	runId: string,
): Promise<string | undefined> {
	const record = await manifest.get(runId);
	if (record?.status !== "started") return undefined;
	const train = record.stages.find((s) => s.stage === "Train")?.detail as
		| { version?: unknown; status?: unknown }
		| undefined;
	return train?.status === "approved" && typeof train.version === "string"
		? train.version
		: undefined;
}
