import { describe, expect, it } from "vitest";
import { createLearner } from "../runtime/model/learners/index.ts";
import { fitLogistic } from "../runtime/model/learners/logistic.ts";
import type { Matrix } from "../runtime/model/types.ts";
import { syntheticTask } from "./support/synthetic-task.ts";

const col = (xs: number[]): Matrix => ({
	rows: xs.length,
	cols: 1,
	data: Float64Array.from(xs),
	columns: ["x"],
});
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Root of w = k·σ(−w) by bisection (the stationarity condition of the symmetric cases below). */
function solveSymmetric(k: number): number {
	let lo = 0;
	let hi = k;
	for (let i = 0; i < 200; i++) {
		const mid = (lo + hi) / 2;
		if (mid - k * sigmoid(-mid) > 0) hi = mid;
		else lo = mid;
	}
	return (lo + hi) / 2;
}

describe("logistic regression (L2, C = 1, balanced)", () => {
	it("two symmetric points: b = 0 and w solves w = 2C·σ(−w)", async () => {
		// f(w, b) = ½w² + C[log(1+e^{−(w+b)}) + log(1+e^{−w+b})]; symmetry ⇒ b = 0,
		// ∂f/∂w = w − 2C·σ(−w) = 0.
		const m = await createLearner("logistic").fit(
			col([1, -1]),
			Uint8Array.from([1, 0]),
			{ seed: 0 },
		);
		const s = m.serialize().state as { coef: number[]; intercept: number };
		expect(s.intercept).toBeCloseTo(0, 10);
		expect(s.coef[0]).toBeCloseTo(solveSymmetric(2), 10);
		// by hand: e^0.67483 = 1.96384, 2 / (1 + 1.96384) = 0.67480
		expect(s.coef[0]).toBeCloseTo(0.6748, 4);
	});

	it("balanced weights: 1 positive vs 3 negatives behaves as 2 vs 2", async () => {
		// n = 4: w₊ = 4/(2·1) = 2, w₋ = 4/(2·3) = ⅔ ⇒ each class weighs 2 ⇒ b = 0, w = 4C·σ(−w).
		const X = col([1, -1, -1, -1]);
		const y = Uint8Array.from([1, 0, 0, 0]);
		const balanced = (
			await createLearner("logistic").fit(X, y, { seed: 0 })
		).serialize().state as {
			coef: number[];
			intercept: number;
		};
		expect(balanced.intercept).toBeCloseTo(0, 10);
		expect(balanced.coef[0]).toBeCloseTo(solveSymmetric(4), 10);
		const plain = (
			await createLearner("logistic").fit(X, y, {
				seed: 0,
				params: { class_weight: "none" },
			})
		).serialize().state as { intercept: number };
		expect(plain.intercept).toBeLessThan(-0.1); // without weights the majority pulls b down
	});

	it("the gradient vanishes at the solution on realistic data (C = 0.5, weighted)", () => {
		const { X, y } = syntheticTask(1500, 12, 4);
		// standardise as the pipeline would
		const data = X.data.slice();
		for (let j = 0; j < X.cols; j++) {
			let m = 0;
			let v = 0;
			for (let i = 0; i < X.rows; i++) m += data[i * X.cols + j] / X.rows;
			for (let i = 0; i < X.rows; i++)
				v += (data[i * X.cols + j] - m) ** 2 / X.rows;
			for (let i = 0; i < X.rows; i++)
				data[i * X.cols + j] = (data[i * X.cols + j] - m) / Math.sqrt(v || 1);
		}
		const Z = { ...X, data };
		const sw = Float64Array.from(y, (l) => (l ? 3 : 0.6));
		const C = 0.5;
		const st = fitLogistic(Z, y, { C, sampleWeight: sw });
		expect(st.converged).toBe(true);
		expect(st.iterations).toBeLessThan(30);
		const g = new Float64Array(X.cols + 1);
		for (let j = 0; j < X.cols; j++) g[j] = st.coef[j];
		for (let i = 0; i < X.rows; i++) {
			let z = st.intercept;
			for (let j = 0; j < X.cols; j++) z += data[i * X.cols + j] * st.coef[j];
			const r = C * sw[i] * (sigmoid(z) - y[i]);
			for (let j = 0; j < X.cols; j++) g[j] += r * data[i * X.cols + j];
			g[X.cols] += r;
		}
		for (const v of g) expect(Math.abs(v)).toBeLessThan(1e-7);
	});

	it("separable 1-D data: finite weights in the right direction, scores ordered", async () => {
		const xs = [-3, -2, -1.5, -1, 1, 1.5, 2, 3];
		const y = Uint8Array.from(xs, (x) => (x > 0 ? 1 : 0));
		const m = await createLearner("logistic").fit(col(xs), y, { seed: 0 });
		const s = m.serialize().state as { coef: number[]; converged: boolean };
		expect(s.converged).toBe(true);
		expect(s.coef[0]).toBeGreaterThan(0.5);
		expect(Number.isFinite(s.coef[0])).toBe(true);
		const p = m.predictProba(col(xs));
		for (let i = 1; i < p.length; i++) expect(p[i]).toBeGreaterThan(p[i - 1]);
		// flipping the labels flips the sign
		const flipped = await createLearner("logistic").fit(
			col(xs),
			Uint8Array.from(y, (v) => 1 - v),
			{ seed: 0 },
		);
		expect(
			(flipped.serialize().state as { coef: number[] }).coef[0],
		).toBeCloseTo(-s.coef[0], 8);
	});

	it("refuses single-class training data, as sklearn does", async () => {
		await expect(
			createLearner("logistic").fit(
				col([1, 2, 3]),
				Uint8Array.from([0, 0, 0]),
				{ seed: 0 },
			),
		).rejects.toThrow(/single class/);
	});

	it("C is honoured: a smaller C shrinks the coefficients", async () => {
		const { X, y } = syntheticTask(800, 8, 9);
		const norm = async (C: number) =>
			(
				(
					await createLearner("logistic").fit(X, y, { seed: 0, params: { C } })
				).serialize().state as { coef: number[] }
			).coef.reduce((s, v) => s + v * v, 0);
		expect(await norm(0.001)).toBeLessThan(await norm(1));
	});
});
