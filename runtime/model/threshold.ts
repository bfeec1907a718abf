/**
 * Decision threshold (docs/data-contract.md §6): the highest precision among thresholds
 * whose recall is ≥ minRecall on the held-out rows; the best F1 when none
 * reaches it. Candidates are the distinct scores, a row is predicted positive
 * when score ≥ threshold (as sklearn's precision_recall_curve). The scores
 * passed here must be the CALIBRATED ones: scoring compares calibrated
 * probabilities with this threshold, so both must live on one scale.
 */
import { ModelInputError } from "../errors.ts";
import type { Labels } from "./types.ts";

export interface ThresholdChoice {
	threshold: number;
	rule: "precision_at_recall" | "best_f1";
	minRecall: number;
	/** Held-out precision, recall and F1 at the threshold. */
	precision: number;
	recall: number;
	f1: number;
}

interface Point {
	threshold: number;
	precision: number;
	recall: number;
	f1: number;
}

/** Precision/recall at every distinct score, highest threshold first. */
function sweep(y: Labels, score: ArrayLike<number>): Point[] {
	const n = y.length;
	const order = Array.from({ length: n }, (_, i) => i).sort(
		(i, j) => score[j] - score[i],
	);
	let nPos = 0;
	for (let i = 0; i < n; i++) nPos += y[i];
	const points: Point[] = [];
	let tp = 0;
	let fp = 0;
	for (let k = 0; k < n; k++) {
		const i = order[k];
		if (y[i] === 1) tp++;
		else fp++;
		// Emit once per distinct score (after its last tied row).
		if (k + 1 < n && score[order[k + 1]] === score[i]) continue;
		const precision = tp / (tp + fp);
		const recall = tp / nPos;
		const f1 =
			precision + recall > 0
				? (2 * precision * recall) / (precision + recall)
				: 0;
		points.push({ threshold: score[i], precision, recall, f1 });
	}
	return points;
}

export function chooseThreshold(
	y: Labels,
	score: ArrayLike<number>,
	minRecall = 0.7,
): ThresholdChoice {
	if (y.length !== score.length)
		throw new ModelInputError(
			`threshold: ${y.length} labels but ${score.length} scores`,
		);
	if (!y.some((v) => v === 1))
		throw new ModelInputError(
			"threshold: the held-out rows contain no positive",
		);
	for (let i = 0; i < score.length; i++)
		if (!Number.isFinite(score[i]))
			throw new ModelInputError(
				`threshold: score of row ${i + 1} is ${score[i]}`,
			);
	const points = sweep(y, score);
	// Ties: prefer the higher recall (lower threshold) among equal precision / F1.
	let best: Point | undefined;
	for (const p of points)
		if (p.recall >= minRecall && (!best || p.precision >= best.precision))
			best = p;
	if (best) return { ...best, rule: "precision_at_recall", minRecall };
	for (const p of points) if (!best || p.f1 >= best.f1) best = p;
	return { ...(best as Point), rule: "best_f1", minRecall };
}
