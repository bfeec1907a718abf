/** `runs`, `stages`, `stage_rows` and `faults` from the run manifest (every run). */
import { lakeKeys } from "../../io/lake.ts";
import type { RunManifest, RunRecord } from "../../io/manifest.ts";
import type { ObjectStore } from "../../io/object-store.ts";
import type { ReportRow } from "../contract.ts";
import { type ScoreFigures, scoreFigures } from "./customers.ts";
import { flag, type Obj, sum, tryTable } from "./values.ts";

/** How many earlier runs get their scores read for the trend (each a small Parquet file). */
const TREND_RUNS = 30;

export interface HistoryTables {
	/** Every run, oldest first, the presented one as it will stand after MarkSucceeded. */
	records: RunRecord[];
	current: RunRecord | undefined;
	runs: ReportRow<"runs">[];
	stages: ReportRow<"stages">[];
	stage_rows: ReportRow<"stage_rows">[];
	faults: ReportRow<"faults">[];
}

function runSeconds(r: RunRecord): number | null {
	if (!r.finishedAt) return null;
	return (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000;
}

/**
 * The run manifest, with the presented run as it will stand: it is still
 * "started" because PublishReport runs after every computing stage has
 * succeeded and right before MarkSucceeded, which marks it succeeded and moves
 * "latest" to it (an error in between fails the run and "latest" keeps the
 * previous run's site and outputs).
 */
export async function presentedRecords(
	manifest: RunManifest,
	runId: string,
): Promise<RunRecord[]> {
	const now = new Date().toISOString();
	return (await manifest.list()).map((r) =>
		r.runId === runId && r.status === "started"
			? { ...r, status: "succeeded" as const, finishedAt: now }
			: r,
	);
}

function stageTables(r: RunRecord) {
	const stages: ReportRow<"stages">[] = [];
	const stage_rows: ReportRow<"stage_rows">[] = [];
	const faults: ReportRow<"faults">[] = [];
	for (const [order, st] of r.stages.entries()) {
		stages.push({
			run_id: r.runId,
			stage: st.stage,
			stage_order: order + 1,
			seconds: st.seconds,
			rows_out: st.rows ? sum(Object.values(st.rows)) : null,
			detail: st.detail ? JSON.stringify(st.detail) : null,
		});
		for (const [table, count] of Object.entries(st.rows ?? {}))
			stage_rows.push({
				run_id: r.runId,
				stage: st.stage,
				table_name: table,
				rows: count,
			});
		for (const [fault, count] of Object.entries(st.faults ?? {}))
			faults.push({ run_id: r.runId, stage: st.stage, fault, count });
	}
	return { stages, stage_rows, faults };
}

export async function historyTables(
	store: ObjectStore,
	manifest: RunManifest,
	runId: string,
	figures: ScoreFigures,
): Promise<HistoryTables> {
	const records = await presentedRecords(manifest, runId);
	const out: HistoryTables = {
		records,
		current: records.find((r) => r.runId === runId),
		runs: [],
		stages: [],
		stage_rows: [],
		faults: [],
	};
	const trendFrom = Math.max(0, records.length - TREND_RUNS);
	for (const [i, r] of records.entries()) {
		const error = r.history.findLast((h) => h.error)?.error;
		let f: ScoreFigures | undefined;
		if (r.runId === runId) f = figures;
		else if (r.status === "succeeded" && i >= trendFrom) {
			const t = await tryTable(
				store,
				lakeKeys.table(r.runId, "scored", "scores"),
			);
			if (t) f = scoreFigures(t.objects() as Obj[]);
		}
		out.runs.push({
			run_id: r.runId,
			batch_id: r.batchId,
			status: r.status,
			started_at: r.startedAt,
			finished_at: r.finishedAt ?? null,
			seconds: runSeconds(r),
			error_name: error?.name ?? null,
			error_message: error?.message ?? null,
			is_current: flag(r.runId === runId),
			model_version: f?.modelVersion ?? null,
			customers: f?.customers ?? null,
			at_risk_customers: f?.atRisk ?? null,
			expected_monthly_loss_eur: f?.expectedLoss ?? null,
		});
		const st = stageTables(r);
		out.stages.push(...st.stages);
		out.stage_rows.push(...st.stage_rows);
		out.faults.push(...st.faults);
	}
	return out;
}
