/**
 * Scoring (docs/data-contract.md §6): the champion scores every customer of a gold table.
 * churn_proba is the calibrated probability rounded to 4 decimals; tier,
 * prediction and expected loss are computed from that rounded value, so every
 * row of the scored table can be re-derived from its own churn_proba. (Test
 * metrics use the unrounded value; the two differ only within 5e-5 of a cut.)
 */
import { table } from "arquero";
import { ModelInputError } from "../errors.ts";
import { columnValues, type Table } from "../io/tables.ts";
import { type ModelArtifact, predictWithArtifact } from "../model/artifact.ts";
import { calibrate } from "../model/calibration.ts";
import { customerIds } from "../model/matrix.ts";
import type { FittedModel } from "../model/types.ts";
import { type ScoreExplanation, topDriverColumns } from "./explanations.ts";
import { riskTier } from "./tiers.ts";

const round = (x: number, digits: number) => {
	const f = 10 ** digits;
	return Math.round(x * f) / f;
};

export interface ScoreOptions {
	/** Registry version of the model, written on every row for traceability. */
	modelVersion?: string;
	/**
	 * TreeSHAP of the same gold table (explanations.ts): its raw scores are the
	 * model's own (same pass), so the trees are not walked twice, and each row
	 * gets its top drivers.
	 */
	explanation?: ScoreExplanation;
}

/** Expected monthly loss: probability × margin at risk (a negative margin puts nothing at risk). */
export function expectedMonthlyLoss(
	churnProba: number,
	avgMonthlyMargin: number | null,
): number {
	return churnProba * Math.max(avgMonthlyMargin ?? 0, 0);
}

export function scoreCustomers(
	gold: Table,
	artifact: ModelArtifact,
	model: FittedModel,
	options: ScoreOptions = {},
): Table {
	const ids = customerIds(gold);
	const ex = options.explanation;
	if (
		ex &&
		(ex.customerIds.length !== ids.length ||
			ex.customerIds.some((id, i) => id !== ids[i]))
	)
		throw new ModelInputError(
			"explanation is not of this gold table's customers",
		);
	const proba = ex
		? calibrate(artifact.calibration, ex.raw)
		: predictWithArtifact(artifact, model, gold).proba;
	if (!gold.columnNames().includes("avg_monthly_margin"))
		throw new ModelInputError('gold table has no column "avg_monthly_margin"');
	const margins = columnValues(gold, "avg_monthly_margin") as ArrayLike<
		number | null
	>;
	const t = artifact.threshold.threshold;
	const n = ids.length;
	const churnProba = new Array<number>(n);
	const churnPred = new Array<number>(n);
	const tier = new Array<string>(n);
	const loss = new Array<number>(n);
	for (let i = 0; i < n; i++) {
		const p = round(proba[i], 4);
		churnProba[i] = p;
		churnPred[i] = p >= t ? 1 : 0;
		tier[i] = riskTier(p);
		const m = margins[i];
		if (m !== null && m !== undefined && !Number.isFinite(m))
			throw new ModelInputError(
				`gold column "avg_monthly_margin", row ${i + 1} (customer ${ids[i]}): value ${m} is not finite`,
			);
		loss[i] = round(expectedMonthlyLoss(p, m ?? null), 2);
	}
	const columns: Record<string, unknown[]> = {
		customer_id: ids,
		churn_proba: churnProba,
		churn_pred: churnPred,
		risk_tier: tier,
		expected_monthly_loss: loss,
	};
	// The as-of date is recorded with every output (docs/data-contract.md §4).
	if (gold.columnNames().includes("as_of_date"))
		columns.as_of_date = Array.from(
			columnValues(gold, "as_of_date") as ArrayLike<unknown>,
		);
	if (options.modelVersion !== undefined)
		columns.model_version = new Array(n).fill(options.modelVersion);
	if (ex) Object.assign(columns, topDriverColumns(ex));
	return table(columns) as Table;
}

/** Count of customers per risk tier (for the CLI summary and the run report). */
export function tierCounts(scored: Table): Record<string, number> {
	const counts: Record<string, number> = {
		Low: 0,
		Medium: 0,
		High: 0,
		Critical: 0,
	};
	for (const t of Array.from(
		columnValues(scored, "risk_tier") as ArrayLike<string>,
	))
		counts[t] = (counts[t] ?? 0) + 1;
	return counts;
}
