/**
 * ml-xgboost honours every option the learner relies on (each test changes
 * one option and sees its effect in the saved model), the JavaScript tree
 * evaluator reproduces the library's own predictions, and the library's
 * "−1 means missing" trap is neutralised.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ModelInputError } from "../runtime/errors.ts";
import { createLearner, loadModel } from "../runtime/model/learners/index.ts";
import {
	loadLibrary,
	predictWithLibrary,
	type XgbState,
} from "../runtime/model/learners/xgboost.ts";
import {
	parseXgbModel,
	type XgbModel,
} from "../runtime/model/learners/xgboost-model.ts";
import type {
	FitOptions,
	Labels,
	Matrix,
	SerializedModel,
} from "../runtime/model/types.ts";
import { syntheticTask } from "./support/synthetic-task.ts";

const { X, y } = syntheticTask(600, 8, 11);
const SMALL = { n_rounds: 40 };

async function train(
	options: FitOptions,
	data: { X: Matrix; y: Labels } = { X, y },
): Promise<SerializedModel> {
	return (
		await createLearner("xgboost").fit(data.X, data.y, options)
	).serialize();
}
const bytesOf = (s: SerializedModel) => (s.state as XgbState).model;
const parsed = (s: SerializedModel): XgbModel =>
	parseXgbModel(new Uint8Array(Buffer.from(bytesOf(s), "base64")));
const featuresOf = (t: XgbModel["trees"][number]) =>
	new Set([...t.feature].filter((f) => f >= 0));

describe("xgboost learner", () => {
	let base: SerializedModel;
	beforeAll(async () => {
		base = await train({ seed: 1, params: SMALL });
	});

	it("uses docs/data-contract.md §6 defaults and scale_pos_weight = negatives/positives", async () => {
		const pos = y.reduce((s, v) => s + v, 0);
		const full = await train({ seed: 1 });
		expect(full.params).toMatchObject({
			tree_method: "hist",
			n_rounds: 600,
			eta: 0.02,
			max_depth: 3,
			subsample: 0.8,
			colsample_bytree: 0.7,
			seed: 1,
		});
		expect(full.params.scale_pos_weight).toBeCloseTo(
			(y.length - pos) / pos,
			12,
		);
		expect(parsed(full).trees).toHaveLength(600);
	});

	it("JavaScript tree evaluation matches the library's predict", async () => {
		const ours = loadModel(base).predictProba(X);
		const lib = await predictWithLibrary(base, X);
		let maxDiff = 0;
		for (let i = 0; i < X.rows; i++)
			maxDiff = Math.max(maxDiff, Math.abs(ours[i] - lib[i]));
		expect(maxDiff).toBeLessThan(1e-6);
	});

	it("seed: same seed, same model; another seed, another model (subsample < 1)", async () => {
		expect(bytesOf(await train({ seed: 1, params: SMALL }))).toBe(
			bytesOf(base),
		);
		expect(bytesOf(await train({ seed: 2, params: SMALL }))).not.toBe(
			bytesOf(base),
		);
		// row sampling alone (subsample 0.5, all columns) makes the seed matter
		const rowsOnly = { ...SMALL, subsample: 0.5, colsample_bytree: 1 };
		expect(bytesOf(await train({ seed: 1, params: rowsOnly }))).not.toBe(
			bytesOf(await train({ seed: 2, params: rowsOnly })),
		);
		// without row/column sampling the seed has nothing to act on
		const noSampling = { ...SMALL, subsample: 1, colsample_bytree: 1 };
		expect(bytesOf(await train({ seed: 1, params: noSampling }))).toBe(
			bytesOf(await train({ seed: 2, params: noSampling })),
		);
	});

	it("max_depth bounds every tree", async () => {
		expect(Math.max(...parsed(base).depths)).toBe(3);
		expect(
			parsed(
				await train({ seed: 1, params: { ...SMALL, max_depth: 1 } }),
			).depths.every((d) => d === 1),
		).toBe(true);
	});

	it("tree_method hist: max_bin (a hist-only option) limits the split values", async () => {
		const distinctSplits = (m: XgbModel) => {
			const s = new Set<string>();
			for (const t of m.trees)
				t.feature.forEach((f, k) => {
					if (f >= 0) s.add(`${f}:${t.value[k]}`);
				});
			return s.size;
		};
		const coarse = parsed(
			await train({ seed: 1, params: { ...SMALL, max_bin: 2 } }),
		);
		// 2 bins ⇒ at most one cut per feature
		expect(distinctSplits(coarse)).toBeLessThanOrEqual(X.cols);
		const exact = parsed(
			await train({
				seed: 1,
				params: { ...SMALL, tree_method: "exact", max_bin: 2 },
			}),
		);
		expect(distinctSplits(exact)).toBeGreaterThan(X.cols);
	});

	it("colsample_bytree: 1/p leaves one feature per tree", async () => {
		const one = parsed(
			await train({
				seed: 1,
				params: { ...SMALL, colsample_bytree: 1 / X.cols },
			}),
		);
		expect(one.trees.every((t) => featuresOf(t).size === 1)).toBe(true);
		expect(parsed(base).trees.some((t) => featuresOf(t).size > 1)).toBe(true);
	});

	it("eta scales the first tree's leaves", async () => {
		const a = parsed(await train({ seed: 1, params: { ...SMALL, eta: 0.1 } }))
			.trees[0];
		const b = parsed(await train({ seed: 1, params: { ...SMALL, eta: 0.2 } }))
			.trees[0];
		a.feature.forEach((f, k) => {
			if (f < 0) expect(b.value[k] / a.value[k]).toBeCloseTo(2, 5);
		});
	});

	it("scale_pos_weight raises the positive scores", async () => {
		const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
		const fast = { ...SMALL, eta: 0.3 };
		const weighted = mean(
			loadModel(await train({ seed: 1, params: fast })).predictProba(X),
		);
		const unweighted = mean(
			loadModel(
				await train({ seed: 1, params: { ...fast, scale_pos_weight: 1 } }),
			).predictProba(X),
		);
		const prevalence = y.reduce((s, v) => s + v, 0) / y.length;
		expect(unweighted).toBeLessThan(prevalence + 0.1);
		expect(weighted).toBeGreaterThan(unweighted + 0.1);
	});

	it("a genuine −1 is a value, not the library's missing marker", async () => {
		// Trained on x ∈ (−3, 3) without an exact −1, label = x > −1.5. At x = −1 the
		// answer is "positive"; the raw library routes −1 as missing (default branch).
		const xs = Array.from({ length: 600 }, (_, i) => -3 + 0.005 + i * 0.01);
		const labels = Uint8Array.from(xs, (v) => (v > -1.5 ? 1 : 0));
		const M: Matrix = {
			rows: xs.length,
			cols: 1,
			data: Float64Array.from(xs),
			columns: ["x"],
		};
		const params = {
			n_rounds: 30,
			max_depth: 2,
			eta: 0.5,
			subsample: 1,
			colsample_bytree: 1,
			min_child_weight: 0,
		};
		const model = await createLearner("xgboost").fit(M, labels, {
			seed: 1,
			params,
		});
		const probe: Matrix = {
			rows: 3,
			cols: 1,
			data: Float64Array.from([-1, -0.99, -2]),
			columns: ["x"],
		};
		const p = model.predictProba(probe);
		expect(p[0]).toBeGreaterThan(0.5);
		expect(p[0]).toBe(p[1]);
		expect(p[2]).toBeLessThan(0.5);
		const XGBoost = await loadLibrary();
		const raw = new XGBoost({
			booster: "gbtree",
			objective: "binary:logistic",
			tree_method: "hist",
			...params,
			iterations: 30,
		});
		raw.train(
			xs.map((v) => [v]),
			Array.from(labels),
		);
		const rawP = raw.predict([[-1], [-0.99], [-2]]);
		raw.free();
		expect(rawP[1]).toBeGreaterThan(0.5);
		expect(rawP[0]).toBeLessThan(0.5); // the trap: −1 scored like −2
	});

	it("rejects non-finite input before the library sees it, naming the column", async () => {
		const bad = { ...X, data: X.data.slice() };
		bad.data[5 * X.cols + 3] = Number.NaN;
		await expect(
			createLearner("xgboost").fit(bad, y, { seed: 1 }),
		).rejects.toThrow(ModelInputError);
		await expect(
			createLearner("xgboost").fit(bad, y, { seed: 1 }),
		).rejects.toThrow(/column "f3".*row 5/);
		expect(() => loadModel(base).predictProba(bad)).toThrow(/column "f3"/);
	});
});
