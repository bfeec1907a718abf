/**
 * `realized_performance` (one row per run with a realized-performance record,
 * up to the presented run: the trend), `realized_calibration` and
 * `realized_tiers` (of the newest such record: this run's, else the newest
 * earlier run's). The records are written
 * by the Score stage on labelled score-mode batches
 * (docs/realized-performance.md).
 */
import { getJson, lakeKeys } from "../../io/lake.ts";
import type { RunRecord } from "../../io/manifest.ts";
import type { ObjectStore } from "../../io/object-store.ts";
import type { ModelVersion } from "../../model/registry.ts";
import {
	REALIZED_PERFORMANCE_DOC,
	type RealizedPerformanceDoc,
} from "../../monitoring/realized.ts";
import { type ReportRow, TIER_ORDER } from "../contract.ts";
import { flag, num, str } from "./values.ts";

/** How many of the newest runs are looked at for the trend. */
const TREND_RUNS = 30;

export interface RealizedTables {
	/** The newest run with a record (null: no labelled score-mode batch yet). */
	realizedRun: string | null;
	realized_performance: ReportRow<"realized_performance">[];
	realized_calibration: ReportRow<"realized_calibration">[];
	realized_tiers: ReportRow<"realized_tiers">[];
}

export async function realizedTables(
	store: ObjectStore,
	runId: string,
	records: readonly RunRecord[],
	versions: readonly ModelVersion[],
): Promise<RealizedTables> {
	const out: RealizedTables = {
		realizedRun: null,
		realized_performance: [],
		realized_calibration: [],
		realized_tiers: [],
	};
	let newest: RealizedPerformanceDoc | undefined;
	// The presented run and the runs before it: a later run's record is not this run's history.
	const upTo = records.findIndex((r) => r.runId === runId);
	const history = upTo >= 0 ? records.slice(0, upTo + 1) : records;
	for (const r of history.slice(-TREND_RUNS)) {
		// Failed runs' records are left out: their outputs never became "latest".
		if (r.status === "failed" && r.runId !== runId) continue;
		const key = lakeKeys.doc(r.runId, "monitoring", REALIZED_PERFORMANCE_DOC);
		if (!(await store.exists(key))) continue;
		const doc = await getJson<RealizedPerformanceDoc>(store, key);
		const model = versions.find((v) => v.version === doc.modelVersion);
		out.realized_performance.push({
			run_id: r.runId,
			batch_id: r.batchId,
			is_current: flag(r.runId === runId),
			started_at: r.startedAt,
			model_version: doc.modelVersion,
			customers: doc.customers,
			churners: doc.churners,
			observed_churn_rate: num(doc.observedChurnRate),
			mean_churn_proba: num(doc.meanScore),
			pr_auc: num(doc.prAuc),
			roc_auc: num(doc.rocAuc),
			training_pr_auc: model?.metrics.pr_auc ?? null,
			gate_minimum: num(doc.gate.minimum),
			below_gate: flag(doc.belowGate),
			reason: str(doc.reason),
		});
		newest = doc;
		out.realizedRun = r.runId;
	}
	if (newest && out.realizedRun) {
		const run = out.realizedRun;
		out.realized_calibration = newest.calibration.map((b) => ({
			run_id: run,
			bin: b.bin,
			customers: b.customers,
			min_score: num(b.minScore),
			max_score: num(b.maxScore),
			mean_score: num(b.meanScore),
			observed_rate: num(b.observedRate),
		}));
		out.realized_tiers = newest.tiers.map((t) => ({
			run_id: run,
			tier: t.tier,
			tier_order: TIER_ORDER[t.tier] ?? null,
			customers: t.customers,
			churners: t.churners,
			realized_churn_rate: num(t.realizedChurnRate),
			mean_churn_proba: num(t.meanScore),
		}));
	}
	return out;
}
