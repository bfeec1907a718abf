/**
 * Exact TreeSHAP: a tree worked out by hand, Algorithm 2 and the tabulated
 * version against Shapley values by enumeration of every feature subset
 * (same cover-weighted conditional expectation), additivity to 1e-9 on real
 * ml-xgboost boosters (the default champion size included), and agreement
 * with native XGBoost's pred_contribs on a committed fixture.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { bruteForceShapley } from "../runtime/model/explain/brute-force.ts";
import {
	treeExplainerFor,
	xgbEnsemble,
} from "../runtime/model/explain/explainer.ts";
import {
	compileShap,
	explainRows,
} from "../runtime/model/explain/fast-tree-shap.ts";
import {
	ensembleOutput,
	type ShapEnsemble,
	type ShapTree,
} from "../runtime/model/explain/shap-tree.ts";
import { treeShapRow } from "../runtime/model/explain/tree-shap.ts";
import { createLearner, loadModel } from "../runtime/model/learners/index.ts";
import {
	toLibraryMatrix,
	type XgbState,
} from "../runtime/model/learners/xgboost.ts";
import { parseXgbModel } from "../runtime/model/learners/xgboost-model.ts";
import type { Matrix, SerializedModel } from "../runtime/model/types.ts";
import { IN_FAST_SUBSET } from "./support/fast-subset.ts";
import { syntheticTask } from "./support/synthetic-task.ts";

const tree = (t: {
	feature: number[];
	threshold: number[];
	left: number[];
	right: number[];
	value: number[];
	cover: number[];
}): ShapTree => ({
	feature: Int32Array.from(t.feature),
	threshold: Float64Array.from(t.threshold),
	left: Int32Array.from(t.left),
	right: Int32Array.from(t.right),
	value: Float64Array.from(t.value),
	cover: Float64Array.from(t.cover),
});

/**
 * node 0: x0 < 1 (cover 10) → node 1 | leaf 2 (value 5, cover 4)
 * node 1: x1 < 1 (cover 6)  → leaf 3 (value 1, cover 2) | leaf 4 (value 3, cover 4)
 */
const handTree = tree({
	feature: [0, 1, -1, -1, -1],
	threshold: [1, 1, 0, 0, 0],
	left: [1, 3, -1, -1, -1],
	right: [2, 4, -1, -1, -1],
	value: [0, 0, 5, 1, 3],
	cover: [10, 6, 4, 2, 4],
});
const handModel = (rule: "lt" | "le"): ShapEnsemble => ({
	numFeatures: 2,
	trees: [handTree],
	rule,
	base: 0,
	treeWeight: 1,
	sum: "float64",
});

/** Random trees written here, with features repeated along paths and uneven covers. */
function randomTree(rnd: () => number, depth: number, M: number): ShapTree {
	const t = {
		feature: [] as number[],
		threshold: [] as number[],
		left: [] as number[],
		right: [] as number[],
		value: [] as number[],
		cover: [] as number[],
	};
	const grow = (d: number, cover: number): number => {
		const k = t.feature.length;
		t.feature.push(-1);
		t.threshold.push(0);
		t.left.push(-1);
		t.right.push(-1);
		t.value.push(0);
		t.cover.push(cover);
		if (d === depth || (d > 0 && rnd() < 0.15)) {
			t.value[k] = rnd() * 2 - 1;
			return k;
		}
		t.feature[k] = Math.floor(rnd() * M);
		t.threshold[k] = Math.floor(rnd() * 5);
		const share = 0.05 + 0.9 * rnd();
		t.left[k] = grow(d + 1, cover * share);
		t.right[k] = grow(d + 1, cover * (1 - share));
		return k;
	};
	grow(0, 50 + rnd() * 100);
	return tree(t);
}

function lcg(seed: number): () => number {
	let s = seed >>> 0;
	return () => {
		s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
		return s / 2 ** 32;
	};
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
	let m = 0;
	for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
	return m;
};
const rowOf = (values: Float64Array, i: number, M: number) =>
	values.subarray(i * (M + 1), (i + 1) * (M + 1));
const sum = (a: ArrayLike<number>) => {
	let s = 0;
	for (let i = 0; i < a.length; i++) s += a[i];
	return s;
};

describe("TreeSHAP on a tree worked out by hand", () => {
	// x = (0, 0) reaches leaf 3. v(∅) = 0.6·(⅓·1 + ⅔·3) + 0.4·5 = 3.4,
	// v({0}) = 7/3, v({1}) = 0.6·1 + 0.4·5 = 2.6, v({0,1}) = 1, so
	// φ0 = ½(7/3 − 3.4 + 1 − 2.6) = −4/3 and φ1 = ½(2.6 − 3.4 + 1 − 7/3) = −16/15.
	const expected = [-4 / 3, -16 / 15, 3.4];

	it("Algorithm 2 gives the Shapley values computed by hand", () => {
		const phi = treeShapRow(handModel("lt"), [0, 0]);
		expect(maxAbsDiff(phi, expected)).toBeLessThan(1e-12);
	});

	it("the tabulated version and brute force give the same", () => {
		const c = compileShap(handModel("lt"));
		expect(maxAbsDiff(explainRows(c, [0, 0], 1, 2), expected)).toBeLessThan(
			1e-12,
		);
		expect(
			maxAbsDiff(bruteForceShapley(handModel("lt"), [0, 0]), expected),
		).toBeLessThan(1e-12);
	});

	it("follows the model's split rule at a value equal to the split", () => {
		// x0 = 1: "lt" sends it right (leaf 2, value 5), "le" left.
		const lt = treeShapRow(handModel("lt"), [1, 0]);
		const le = treeShapRow(handModel("le"), [1, 0]);
		expect(sum(lt)).toBeCloseTo(5, 12);
		expect(sum(le)).toBeCloseTo(1, 12);
		// Under "lt": v({0}) = v({0,1}) = 5, v({1}) = 2.6, so φ0 = ½(1.6 + 2.4) = 2, φ1 = ½(−0.8 + 0) = −0.4.
		expect(lt[0]).toBeCloseTo(2, 12);
		expect(lt[1]).toBeCloseTo(-0.4, 12);
		const c = compileShap(handModel("le"));
		expect(maxAbsDiff(explainRows(c, [1, 0], 1, 2), le)).toBeLessThan(1e-12);
	});
});

describe("TreeSHAP against brute-force Shapley values", () => {
	it("agrees on random trees with repeated features, both split rules, ensembles and forests", () => {
		const rnd = lcg(42);
		let worst = 0;
		let worstFast = 0;
		for (let rep = 0; rep < 40; rep++) {
			const M = 4 + (rep % 4);
			const e: ShapEnsemble = {
				numFeatures: M,
				trees: [2, 3, 5, 7].map((d) => randomTree(rnd, d, M)),
				rule: rep % 2 ? "lt" : "le",
				base: rnd() - 0.5,
				treeWeight: rep % 3 === 0 ? 1 / 4 : 1,
				sum: "float64",
			};
			const rows = 6;
			const data = Array.from(
				{ length: rows * M },
				() => Math.floor(rnd() * 6) - 0.5 * (rep % 2),
			);
			const fast = explainRows(compileShap(e), data, rows, M);
			for (let i = 0; i < rows; i++) {
				const x = data.slice(i * M, (i + 1) * M);
				const brute = bruteForceShapley(e, x);
				worst = Math.max(worst, maxAbsDiff(treeShapRow(e, x), brute));
				worstFast = Math.max(worstFast, maxAbsDiff(rowOf(fast, i, M), brute));
				expect(Math.abs(sum(brute) - ensembleOutput(e, x))).toBeLessThan(1e-12);
			}
		}
		expect(worst).toBeLessThan(1e-12);
		expect(worstFast).toBeLessThan(1e-12);
	});

	it("is the same whether a tree is tabulated or recursed", () => {
		const rnd = lcg(7);
		const M = 6;
		const e: ShapEnsemble = {
			numFeatures: M,
			trees: [
				...Array.from({ length: 19 }, (_, t) =>
					randomTree(rnd, 2 + (t % 5), M),
				),
				// A tree that is a single leaf (boosting can grow one): bias only.
				tree({
					feature: [-1],
					threshold: [0],
					left: [-1],
					right: [-1],
					value: [0.25],
					cover: [10],
				}),
			],
			rule: "lt",
			base: 0,
			treeWeight: 1,
			sum: "float64",
		};
		const data = Array.from({ length: 50 * M }, () => rnd() * 5);
		const out1 = new Float64Array(50);
		const out0 = new Float64Array(50);
		const tabulated = explainRows(compileShap(e), data, 50, M, out1);
		const recursed = explainRows(compileShap(e, 0), data, 50, M, out0);
		for (let i = 0; i < 50; i++) {
			const x = data.slice(i * M, (i + 1) * M);
			expect(out1[i]).toBeCloseTo(ensembleOutput(e, x), 12);
			expect(out0[i]).toBeCloseTo(ensembleOutput(e, x), 12);
			expect(sum(rowOf(tabulated, i, M))).toBeCloseTo(ensembleOutput(e, x), 12);
		}
		expect(compileShap(e, 0).general).toHaveLength(19); // the leaf has no node to tabulate
		expect(compileShap(e).general.length).toBeLessThan(20);
		expect(maxAbsDiff(tabulated, recursed)).toBeLessThan(1e-12);
	});
});

async function trainXgb(
	X: Matrix,
	y: Uint8Array,
	params: Record<string, number>,
): Promise<SerializedModel> {
	return (
		await createLearner("xgboost").fit(X, y, { seed: 3, params })
	).serialize();
}

/** The project's predictor's arithmetic (xgboost-model.ts): leaves summed in float32, then the link. */
function float32Probability(e: ShapEnsemble, x: ArrayLike<number>): number {
	let psum = 0;
	for (const t of e.trees) {
		let k = 0;
		while (t.feature[k] >= 0)
			k = x[t.feature[k]] < t.threshold[k] ? t.left[k] : t.right[k];
		psum = Math.fround(psum + t.value[k]);
	}
	const margin = Math.fround(psum + e.base);
	return Math.fround(1 / (1 + Math.exp(-margin)));
}

describe("TreeSHAP on real ml-xgboost boosters", () => {
	const small = syntheticTask(500, 8, 21);
	let shallow: SerializedModel;
	let deep: SerializedModel;
	beforeAll(async () => {
		shallow = await trainXgb(small.X, small.y, { n_rounds: 40 });
		deep = await trainXgb(small.X, small.y, { n_rounds: 15, max_depth: 6 });
	});

	it("matches brute-force enumeration of all 2^8 subsets (depth 3 and depth 6)", () => {
		for (const s of [shallow, deep]) {
			const explainer = treeExplainerFor(s);
			if (!explainer) throw new Error("no explainer for xgboost");
			const rows = 25;
			const X = { ...small.X, rows, data: small.X.data.slice(0, rows * 8) };
			const c = explainer.explain(X);
			const lib = toLibraryMatrix(X);
			for (let i = 0; i < rows; i++) {
				const brute = bruteForceShapley(
					explainer.ensemble,
					lib.subarray(i * 8, (i + 1) * 8),
				);
				expect(maxAbsDiff(rowOf(c.values, i, 8), brute)).toBeLessThan(1e-10);
			}
			// The same pass yields the model's own raw score, bit for bit.
			expect(Array.from(c.raw)).toEqual(
				Array.from(loadModel(s).predictProba(X)),
			);
		}
		// The depth-6 trees are beyond the tables: Algorithm 2 explained them.
		expect(
			compileShap(treeExplainerFor(deep)?.ensemble as ShapEnsemble).general
				.length,
		).toBeGreaterThan(0);
	});

	// At the champion's size: the full suite only (test/support/fast-subset.ts).
	it.skipIf(IN_FAST_SUBSET)(
		"contributions + bias = the margin to 1e-9, and the margin is the one predictProba scores",
		async () => {
			// The default champion size: 600 rounds, depth 3, 56 columns.
			const task = syntheticTask(3000, 56, 5);
			const s = await trainXgb(task.X, task.y, {});
			expect(s.params).toMatchObject({ n_rounds: 600, max_depth: 3 });
			const explainer = treeExplainerFor(s);
			if (!explainer) throw new Error("no explainer for xgboost");
			const c = explainer.explain(task.X);
			const lib = toLibraryMatrix(task.X);
			const proba = loadModel(s).predictProba(task.X);
			let worst = 0;
			for (let i = 0; i < task.X.rows; i++) {
				const x = lib.subarray(i * 56, (i + 1) * 56);
				const total = sum(rowOf(c.values, i, 56));
				worst = Math.max(
					worst,
					Math.abs(total - ensembleOutput(explainer.ensemble, x)),
				);
				// Same leaves as the project's predictor: its float32 arithmetic is reproduced bit for bit.
				expect(float32Probability(explainer.ensemble, x)).toBe(proba[i]);
				expect(c.raw[i]).toBe(proba[i]);
				expect(Math.abs(1 / (1 + Math.exp(-total)) - proba[i])).toBeLessThan(
					1e-6,
				);
			}
			expect(worst).toBeLessThan(1e-9);
			expect(c.values[56]).toBe(c.bias);
		},
	);

	it("reads the covers the booster saved (sum of hessians: the root's is the weight of the rows seen)", () => {
		const parsed = parseXgbModel(
			new Uint8Array(Buffer.from((shallow.state as XgbState).model, "base64")),
		);
		for (const t of parsed.trees) {
			for (let k = 0; k < t.feature.length; k++) {
				if (t.feature[k] < 0) continue;
				// A parent's cover is its children's sum (float32 rounding aside).
				const children = t.cover[t.left[k]] + t.cover[t.right[k]];
				expect(Math.abs(t.cover[k] - children)).toBeLessThan(1e-3 * t.cover[k]);
			}
			expect(t.cover[0]).toBeGreaterThan(0);
		}
	});

	it("refuses a matrix whose columns are not the model's", () => {
		const explainer = treeExplainerFor(shallow);
		const renamed = { ...small.X, columns: small.X.columns.toReversed() };
		expect(() => explainer?.explain(renamed)).toThrow(/columns/);
	});

	it("has no explainer for a model that is not a tree model", async () => {
		const lr = (
			await createLearner("logistic").fit(small.X, small.y, { seed: 1 })
		).serialize();
		expect(treeExplainerFor(lr)).toBeUndefined();
	});
});

describe("TreeSHAP on the project's CART and random forest", () => {
	const small = syntheticTask(400, 8, 13);
	for (const [algorithm, params] of [
		["cart", { max_depth: 6 }],
		["random_forest", { n_estimators: 6, max_depth: 5 }],
	] as const) {
		it(`${algorithm}: brute force over all 2^8 subsets, and Σ = the raw score`, async () => {
			const s = (
				await createLearner(algorithm).fit(small.X, small.y, {
					seed: 2,
					params,
				})
			).serialize();
			const explainer = treeExplainerFor(s);
			if (!explainer) throw new Error(`no explainer for ${algorithm}`);
			expect(explainer.ensemble.rule).toBe("le");
			const c = explainer.explain(small.X);
			expect(c.output).toBe("probability");
			expect(Array.from(c.raw)).toEqual(
				Array.from(loadModel(s).predictProba(small.X)),
			);
			for (let i = 0; i < small.X.rows; i++) {
				const row = rowOf(c.values, i, 8);
				expect(Math.abs(sum(row) - c.raw[i])).toBeLessThan(1e-12);
				if (i < 15) {
					const x = small.X.data.subarray(i * 8, (i + 1) * 8);
					expect(
						maxAbsDiff(row, bruteForceShapley(explainer.ensemble, x)),
					).toBeLessThan(1e-12);
				}
			}
		});
	}

	it("a tree saved without covers has no explainer", async () => {
		const s = (
			await createLearner("cart").fit(small.X, small.y, { seed: 2 })
		).serialize();
		const { cover: _, ...older } = s.state as Record<string, unknown>;
		expect(treeExplainerFor({ ...s, state: older })).toBeUndefined();
		// …and still loads and predicts as before.
		expect(loadModel({ ...s, state: older }).predictProba(small.X)).toEqual(
			loadModel(s).predictProba(small.X),
		);
	});
});

describe("TreeSHAP against native XGBoost pred_contribs (committed fixture)", () => {
	// test/fixtures/xgboost-shap: boosters saved by ml-xgboost, contributions
	// from Debian's python3-xgboost 1.7.4 on the same bytes (make-model.ts,
	// native-contribs.py). XGBoost computes in float32, hence 1e-5.
	const dir = "test/fixtures/xgboost-shap";
	const inputs = JSON.parse(readFileSync(`${dir}/inputs.json`, "utf8")) as {
		columns: string[];
		models: Record<string, { serialized: SerializedModel; inputs: number[][] }>;
	};
	const expected = JSON.parse(readFileSync(`${dir}/expected.json`, "utf8")) as {
		models: Record<string, { margin: number[]; contribs: number[][] }>;
	};

	for (const name of ["depth3", "depth6"]) {
		it(`${name}: same contributions, bias and margin`, () => {
			const m = inputs.models[name];
			const want = expected.models[name];
			const explainer = treeExplainerFor(m.serialized);
			if (!explainer) throw new Error("no explainer");
			const M = inputs.columns.length;
			const X: Matrix = {
				rows: m.inputs.length,
				cols: M,
				data: Float64Array.from(m.inputs.flat()),
				columns: inputs.columns,
			};
			// The fixture exercises the −1 nudge and rows exactly on split values.
			expect(m.inputs.flat()).toContain(-1);
			const c = explainer.explain(X);
			let worst = 0;
			for (let i = 0; i < X.rows; i++) {
				worst = Math.max(
					worst,
					maxAbsDiff(rowOf(c.values, i, M), want.contribs[i]),
				);
				expect(sum(rowOf(c.values, i, M))).toBeCloseTo(want.margin[i], 5);
			}
			expect(worst).toBeLessThan(1e-5);
		});
	}

	it("is sensitive to the split rule (a wrong rule disagrees with native XGBoost)", () => {
		const m = inputs.models.depth3;
		const want = expected.models.depth3;
		const bytes = new Uint8Array(
			Buffer.from((m.serialized.state as XgbState).model, "base64"),
		);
		const e = { ...xgbEnsemble(parseXgbModel(bytes)), rule: "le" as const };
		const M = inputs.columns.length;
		const data = Float64Array.from(m.inputs.flat(), (v) =>
			v === -1 ? Math.fround(-1 + 2 ** -24) : Math.fround(v),
		);
		const c = explainRows(compileShap(e), data, m.inputs.length, M);
		let worst = 0;
		for (let i = 0; i < m.inputs.length; i++)
			worst = Math.max(worst, maxAbsDiff(rowOf(c, i, M), want.contribs[i]));
		expect(worst).toBeGreaterThan(1e-3);
	});
});
