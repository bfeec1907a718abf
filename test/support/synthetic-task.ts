/**
 * A realistic synthetic churn-like classification task for learner tests and
 * measurements: a few informative features (threshold effects, an
 * interaction, a monotone trend, binary flags), many noise columns, ~10 %
 * positives, label noise so no model is perfect.
 */

import { createRng } from "../../runtime/model/learners/common.ts";
import type { Labels, Matrix } from "../../runtime/model/types.ts";

export function syntheticTask(
	rows: number,
	cols: number,
	seed: number,
): { X: Matrix; y: Labels } {
	if (cols < 8) throw new RangeError("syntheticTask needs at least 8 columns");
	const rng = createRng(seed);
	const gauss = () =>
		Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
	const data = new Float64Array(rows * cols);
	const y = new Uint8Array(rows);
	const columns = Array.from({ length: cols }, (_, j) => `f${j}`);
	for (let i = 0; i < rows; i++) {
		const o = i * cols;
		const months = Math.floor(rng() * 24) - 2; // months to renewal (integer, some expired)
		const tenure = Math.round(Math.exp(rng() * 4.5)); // skewed
		const complaint = rng() < 0.06 ? 1 : 0;
		const competition = rng() < 0.3 ? 1 : 0;
		const trend = rng() < 0.05 ? -1 : Math.round(gauss() * 20) / 100; // exact −1 sometimes
		const usage = Math.exp(gauss() * 0.8 + 6);
		const sentiment = Math.floor(rng() * 3) - 1; // −1, 0, 1
		const noise1 = gauss();
		data.set(
			[months, tenure, complaint, competition, trend, usage, sentiment, noise1],
			o,
		);
		for (let j = 8; j < cols; j++)
			data[o + j] =
				j % 3 === 0 ? (rng() < 0.2 ? 1 : 0) : gauss() * (1 + (j % 5));
		const logit =
			-4.1 +
			(months >= 0 && months <= 3 ? 1.6 : 0) +
			(tenure < 12 ? 0.8 : 0) +
			3.2 * complaint +
			0.7 * competition +
			(months <= 3 ? 0.6 * competition : 0) +
			(trend > 0.1 ? 0.9 : 0) +
			(trend === -1 ? -1.2 : 0) +
			-0.25 * Math.log(usage / 400) -
			0.8 * sentiment;
		y[i] = rng() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
	}
	return { X: { rows, cols, data, columns }, y };
}

/** Rows [from, to) of a matrix and its labels. */
export function sliceRows(
	X: Matrix,
	y: Labels,
	from: number,
	to: number,
): { X: Matrix; y: Labels } {
	return {
		X: {
			rows: to - from,
			cols: X.cols,
			data: X.data.slice(from * X.cols, to * X.cols),
			columns: X.columns,
		},
		y: y.slice(from, to),
	};
}
