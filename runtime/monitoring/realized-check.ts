/**
 * The Score stage's check of the champion against what happened: when a
 * score-mode batch carries churn labels, its scores are evaluated on them
 * (runtime/monitoring/realized.ts), the record is stored for the report, and
 * a result below the promotion gate raises `realized_below_gate` and
 * recommends a retrain in the run record (docs/realized-performance.md).
 *
 * Not in a training run: there the labels trained the very model, so the
 * figures would be in-sample; the training run's test split measures it.
 */

import { lakeKeys, putJson } from "../io/lake.ts";
import { columnValues, type Table } from "../io/tables.ts";
import { LABEL_COLUMN } from "../model/matrix.ts";
import type { Platform } from "../pipeline/platform.ts";
import {
	REALIZED_PERFORMANCE_DOC,
	type RealizedPerformanceDoc,
	realizedPerformance,
} from "./realized.ts";

/** What the Score stage records of the check. */
export interface RealizedSummary {
	customers: number;
	churners: number;
	prAuc: number;
	rocAuc: number;
	belowGate: boolean;
	/** A retrain is recommended (the champion fell below the gate on real outcomes). */
	retrainRecommended: boolean;
	key: string;
}

export interface RealizedCheckInput {
	runId: string;
	batchId: string;
	/** The gold table (labels in `churn`, null/absent for unlabelled customers). */
	gold: Table;
	/** The scored table (customer_id, churn_proba, risk_tier). */
	scored: Table;
	modelVersion: string;
	/** The run's promotion gate (minimum PR-AUC). */
	gate: number;
}

/** Evaluates, stores and alerts; undefined when the batch has no labelled customer. */
export async function checkRealizedPerformance(
	p: Pick<Platform, "store" | "alerts">,
	o: RealizedCheckInput,
): Promise<RealizedSummary | undefined> {
	if (!o.gold.columnNames().includes(LABEL_COLUMN)) return undefined;
	const labelById = new Map<string, number>();
	const goldIds = columnValues(o.gold, "customer_id") as ArrayLike<string>;
	const labels = columnValues(o.gold, LABEL_COLUMN) as ArrayLike<
		number | null | undefined
	>;
	for (let i = 0; i < goldIds.length; i++) {
		const y = labels[i];
		if (y === 0 || y === 1) labelById.set(goldIds[i], y);
	}
	if (labelById.size === 0) return undefined;
	const ids = columnValues(o.scored, "customer_id") as ArrayLike<string>;
	const proba = columnValues(o.scored, "churn_proba") as ArrayLike<number>;
	const tier = columnValues(o.scored, "risk_tier") as ArrayLike<string>;
	const scores: number[] = [];
	const y: number[] = [];
	const tiers: string[] = [];
	for (let i = 0; i < ids.length; i++) {
		const label = labelById.get(ids[i]);
		if (label === undefined) continue;
		scores.push(proba[i]);
		y.push(label);
		tiers.push(tier[i]);
	}
	if (y.length === 0) return undefined;
	const perf = realizedPerformance({ scores, labels: y, tiers, gate: o.gate });
	const key = lakeKeys.doc(o.runId, "monitoring", REALIZED_PERFORMANCE_DOC);
	const doc: RealizedPerformanceDoc = { modelVersion: o.modelVersion, ...perf };
	await putJson(p.store, key, doc);
	if (perf.belowGate)
		await p.alerts.raise({
			kind: "realized_below_gate",
			runId: o.runId,
			batchId: o.batchId,
			message: `champion ${o.modelVersion} on this batch's outcomes: PR-AUC ${Number.isFinite(perf.prAuc) ? perf.prAuc.toFixed(3) : "undefined"} < gate ${o.gate}${perf.reason ? ` (${perf.reason})` : ""}; retrain recommended (npm start -- --mode train, or the trigger's {"rerun": true, "mode": "train"})`,
			detail: {
				modelVersion: o.modelVersion,
				prAuc: perf.prAuc,
				rocAuc: perf.rocAuc,
				customers: perf.customers,
			},
		});
	return {
		customers: perf.customers,
		churners: perf.churners,
		prAuc: perf.prAuc,
		rocAuc: perf.rocAuc,
		belowGate: perf.belowGate,
		retrainRecommended: perf.belowGate,
		key,
	};
}
