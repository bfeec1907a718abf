/**
 * Realized performance (docs/realized-performance.md): how the champion did on
 * a later batch that carries labels. Pure: the champion's calibrated scores,
 * the batch's 0/1 labels and each customer's risk tier in, figures out —
 * PR-AUC and ROC-AUC with the training metrics' definitions
 * (runtime/model/metrics.ts), a calibration curve over score deciles, the
 * realized churn per tier, and whether PR-AUC fell below the promotion gate.
 *
 * Below the gate follows the gate's own rule (runtime/model/registry.ts
 * gateDecision): `!(prAuc >= gate)`, so an undefined PR-AUC (no churner in
 * the batch) counts as below — a labelled batch without a single churner is
 * itself worth an alert; `reason` says why.
 */
import { ModelInputError } from "../errors.ts";
import { averagePrecision, rocAuc } from "../model/metrics.ts";
import { RISK_TIERS } from "../scoring/tiers.ts";

export interface RealizedInput {
	/** The champion's calibrated churn probabilities, one per customer. */
	scores: ArrayLike<number>;
	/** The batch's observed churn, 0 or 1, same order. */
	labels: ArrayLike<number>;
	/** Each customer's risk tier at scoring, same order. */
	tiers: ArrayLike<string>;
	/** Minimum PR-AUC of the promotion gate. */
	gate: number;
	/** Calibration bins (equal-count by score); default 10 (deciles). */
	bins?: number;
}

export interface CalibrationBin {
	/** 1 = lowest scores. */
	bin: number;
	customers: number;
	minScore: number;
	maxScore: number;
	meanScore: number;
	/** Share of churners among the bin's customers. */
	observedRate: number;
}

export interface RealizedTier {
	tier: string;
	customers: number;
	churners: number;
	/** churners / customers; null for a tier without customers. */
	realizedChurnRate: number | null;
	meanScore: number | null;
}

export interface RealizedPerformance {
	customers: number;
	churners: number;
	observedChurnRate: number;
	meanScore: number;
	prAuc: number;
	rocAuc: number;
	gate: { metric: "pr_auc"; minimum: number; value: number };
	belowGate: boolean;
	/** Set when a metric is undefined (one class only). */
	reason?: string;
	calibration: CalibrationBin[];
	tiers: RealizedTier[];
}

function check(input: RealizedInput): void {
	const n = input.scores.length;
	if (input.labels.length !== n || input.tiers.length !== n)
		throw new ModelInputError(
			`realized performance: ${n} scores, ${input.labels.length} labels, ${input.tiers.length} tiers`,
		);
	if (n === 0)
		throw new ModelInputError("realized performance: no labelled customer");
	for (let i = 0; i < n; i++) {
		const s = input.scores[i];
		if (!(s >= 0 && s <= 1))
			throw new ModelInputError(
				`realized performance: score at row ${i + 1} is ${s}, not within [0, 1]`,
			);
	}
	if (!(input.gate >= 0 && input.gate <= 1))
		throw new ModelInputError(
			`realized performance: gate ${input.gate} is not within [0, 1]`,
		);
}

/**
 * Equal-count bins over the customers sorted by score (ties keep their input
 * order, so the split is deterministic): bin k holds ranks
 * [⌊k·n/B⌋, ⌊(k+1)·n/B⌋). Fewer customers than bins → one bin per customer.
 */
export function calibrationCurve(
	scores: ArrayLike<number>,
	labels: ArrayLike<number>,
	bins = 10,
): CalibrationBin[] {
	const n = scores.length;
	const order = Array.from({ length: n }, (_, i) => i).sort(
		(a, b) => scores[a] - scores[b] || a - b,
	);
	const b = Math.min(bins, n);
	const out: CalibrationBin[] = [];
	for (let k = 0; k < b; k++) {
		const from = Math.floor((k * n) / b);
		const to = Math.floor(((k + 1) * n) / b);
		let sum = 0;
		let pos = 0;
		for (let r = from; r < to; r++) {
			sum += scores[order[r]];
			pos += labels[order[r]];
		}
		const size = to - from;
		out.push({
			bin: k + 1,
			customers: size,
			minScore: scores[order[from]],
			maxScore: scores[order[to - 1]],
			meanScore: sum / size,
			observedRate: pos / size,
		});
	}
	return out;
}

/** Realized churn and mean score per tier, every tier listed (RISK_TIERS order), unknown tiers after. */
export function realizedByTier(
	scores: ArrayLike<number>,
	labels: ArrayLike<number>,
	tiers: ArrayLike<string>,
): RealizedTier[] {
	const acc = new Map<string, { n: number; pos: number; sum: number }>(
		RISK_TIERS.map((t) => [t, { n: 0, pos: 0, sum: 0 }]),
	);
	for (let i = 0; i < scores.length; i++) {
		const a = acc.get(tiers[i]) ?? { n: 0, pos: 0, sum: 0 };
		a.n++;
		a.pos += labels[i];
		a.sum += scores[i];
		acc.set(tiers[i], a);
	}
	return [...acc.entries()].map(([tier, a]) => ({
		tier,
		customers: a.n,
		churners: a.pos,
		realizedChurnRate: a.n > 0 ? a.pos / a.n : null,
		meanScore: a.n > 0 ? a.sum / a.n : null,
	}));
}

export function realizedPerformance(input: RealizedInput): RealizedPerformance {
	check(input);
	const { scores, labels } = input;
	const prAuc = averagePrecision(labels, scores); // also checks labels are 0/1
	const roc = rocAuc(labels, scores);
	let churners = 0;
	let sum = 0;
	for (let i = 0; i < scores.length; i++) {
		churners += labels[i];
		sum += scores[i];
	}
	const n = scores.length;
	const reason =
		churners === 0
			? "no churner in the batch: PR-AUC and ROC-AUC are undefined"
			: churners === n
				? "every customer churned: ROC-AUC is undefined"
				: undefined;
	return {
		customers: n,
		churners,
		observedChurnRate: churners / n,
		meanScore: sum / n,
		prAuc,
		rocAuc: roc,
		gate: { metric: "pr_auc", minimum: input.gate, value: prAuc },
		belowGate: !(prAuc >= input.gate),
		...(reason ? { reason } : {}),
		calibration: calibrationCurve(scores, labels, input.bins ?? 10),
		tiers: realizedByTier(scores, labels, input.tiers),
	};
}

/** Document name under the run's `monitoring/` layer: runs/<run_id>/monitoring/realized_performance.json. */
export const REALIZED_PERFORMANCE_DOC = "realized_performance";

/**
 * What the Score stage stores for a labelled score-mode batch
 * (docs/realized-performance.md): the figures plus which model scored. As
 * JSON, an undefined metric (NaN) is written as null.
 */
export type RealizedPerformanceDoc = RealizedPerformance & {
	modelVersion: string;
};
