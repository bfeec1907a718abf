import { DecisionTreeClassifier } from "ml-cart";
import { describe, expect, it } from "vitest";
import { createLearner } from "../runtime/model/learners/index.ts";
import {
	binMatrix,
	binOf,
	featureThresholds,
} from "../runtime/model/learners/tree/binning.ts";
import { averagePrecision } from "../runtime/model/metrics.ts";
import type { Matrix } from "../runtime/model/types.ts";
import { syntheticTask } from "./support/synthetic-task.ts";

function matrix(rows: number[][]): Matrix {
	const cols = rows[0].length;
	return {
		rows: rows.length,
		cols,
		data: Float64Array.from(rows.flat()),
		columns: Array.from({ length: cols }, (_, j) => `c${j}`),
	};
}

describe("binning", () => {
	it("≤ 256 distinct values: one bin per value, thresholds at midpoints (exact CART candidates)", () => {
		const t = featureThresholds(Float64Array.from([0, 0, 1, 3, 3, 10]), 256);
		expect([...t]).toEqual([0.5, 2, 6.5]);
		// x ≤ threshold belongs to the lower bin (2 ≤ 2 ⇒ bin 1)
		expect([0, 1, 3, 10, 2, 11].map((x) => binOf(t, x))).toEqual([
			0, 1, 2, 3, 1, 3,
		]);
	});
	it("many distinct values: ≤ 256 quantile bins, edges between observed values, order kept", () => {
		const vals = Float64Array.from(
			{ length: 5000 },
			(_, i) => Math.sqrt(i) * 1.37,
		).sort();
		const t = featureThresholds(vals, 256);
		expect(t.length).toBeLessThanOrEqual(255);
		expect(t.length).toBeGreaterThan(200);
		for (let k = 1; k < t.length; k++) expect(t[k]).toBeGreaterThan(t[k - 1]);
		const b = binMatrix(matrix(Array.from(vals, (v) => [v])));
		for (let i = 1; i < vals.length; i++)
			expect(b.bins[i]).toBeGreaterThanOrEqual(b.bins[i - 1]);
		// bins are balanced: none holds more than ~2/256 of the rows
		const counts = new Map<number, number>();
		for (const x of b.bins) counts.set(x, (counts.get(x) ?? 0) + 1);
		expect(Math.max(...counts.values())).toBeLessThan((2 * 5000) / 256);
	});
});

describe("CART", () => {
	it("matches an exhaustive weighted-Gini CART (brute force over every distinct value)", async () => {
		const { X, y } = syntheticTask(300, 8, 21);
		// rounded copies of the continuous columns: many ties, ≤ 256 distinct values ⇒ binning is exact
		const data = X.data.map((v, k) =>
			k % 8 === 5
				? Math.round(Math.log(v) * 10) / 10
				: k % 8 === 7
					? Math.round(v * 10) / 10
					: v,
		);
		const M: Matrix = { ...X, data };
		const pos = y.reduce((a, b) => a + b, 0);
		const w = [300 / (2 * (300 - pos)), 300 / (2 * pos)]; // balanced
		const depth = 4;
		// Reference: at each node try x ≤ v for every feature and distinct value v, keep the
		// largest Σ_child (w₀² + w₁²)/w (first one on ties), stop at depth / purity.
		const leafOf = (rowsIn: number[], d: number): ((r: number) => number) => {
			let w0 = 0;
			let w1 = 0;
			for (const r of rowsIn) {
				if (y[r]) w1 += w[1];
				else w0 += w[0];
			}
			const value = w1 / (w0 + w1);
			if (d >= depth || w0 === 0 || w1 === 0 || rowsIn.length < 2)
				return () => value;
			const parent = (w0 * w0 + w1 * w1) / (w0 + w1);
			let best = parent;
			let bf = -1;
			let bv = 0;
			for (let f = 0; f < M.cols; f++) {
				const vals = [...new Set(rowsIn.map((r) => data[r * M.cols + f]))].sort(
					(a, b) => a - b,
				);
				for (const v of vals.slice(0, -1)) {
					let l0 = 0;
					let l1 = 0;
					for (const r of rowsIn) {
						if (data[r * M.cols + f] > v) continue;
						if (y[r]) l1 += w[1];
						else l0 += w[0];
					}
					const r0 = w0 - l0;
					const r1 = w1 - l1;
					const score =
						(l0 * l0 + l1 * l1) / (l0 + l1) + (r0 * r0 + r1 * r1) / (r0 + r1);
					if (score > best + 1e-12 * parent) {
						best = score;
						bf = f;
						bv = v;
					}
				}
			}
			if (bf < 0) return () => value;
			const left = leafOf(
				rowsIn.filter((r) => data[r * M.cols + bf] <= bv),
				d + 1,
			);
			const right = leafOf(
				rowsIn.filter((r) => data[r * M.cols + bf] > bv),
				d + 1,
			);
			return (r) => (data[r * M.cols + bf] <= bv ? left(r) : right(r));
		};
		const reference = leafOf(
			Array.from({ length: M.rows }, (_, r) => r),
			0,
		);
		const ours = (
			await createLearner("cart").fit(M, y, {
				seed: 1,
				params: { max_depth: depth },
			})
		).predictProba(M);
		for (let r = 0; r < M.rows; r++)
			expect(ours[r]).toBeCloseTo(reference(r), 12);
	});

	it("finds the best split where ml-cart misses it (ml-cart only proposes cuts at label changes of its sort order)", async () => {
		let s = 7;
		const rnd = () => {
			s = (s * 16807) % 2147483647;
			return s / 2147483647;
		};
		const rows: number[][] = [];
		const y: number[] = [];
		for (let i = 0; i < 240; i++) {
			const r = [
				Math.floor(rnd() * 10),
				Math.floor(rnd() * 7),
				Math.floor(rnd() * 13),
				Math.floor(rnd() * 5),
			];
			rows.push(r);
			y.push(
				(r[0] > 5 && r[2] < 8) || (r[1] === 3 && rnd() < 0.7) || rnd() < 0.1
					? 1
					: 0,
			);
		}
		const M = matrix(rows);
		/** Weighted Gini of a partition of the rows (lower is better), leaves given by a key per row. */
		const gini = (leafKey: ArrayLike<number | string>) => {
			const leaves = new Map<number | string, number[]>();
			for (let i = 0; i < y.length; i++)
				leaves.set(leafKey[i], [...(leaves.get(leafKey[i]) ?? []), y[i]]);
			let g = 0;
			for (const ys of leaves.values()) {
				const q = ys.reduce((a, b) => a + b, 0) / ys.length;
				g += (ys.length / y.length) * 2 * q * (1 - q);
			}
			return g;
		};
		/** The leaf of ml-cart's tree a row reaches, as its left/right path. */
		const mlCartLeaf = (tree: DecisionTreeClassifier, row: number[]) => {
			let node = tree.root;
			let path = "";
			while (node.left && node.right) {
				const left = row[node.splitColumn] < node.splitValue;
				path += left ? "L" : "R";
				node = left ? node.left : node.right;
			}
			return path;
		};
		const mlCart = (maxDepth: number) => {
			const t = new DecisionTreeClassifier({
				gainFunction: "gini",
				maxDepth,
				minNumSamples: 3,
				gainThreshold: 0,
			});
			t.train(rows, y);
			return t;
		};
		// Our leaves are told apart by their value (leaves of equal share merge
		// without changing the weighted Gini).
		const ours = async (max_depth: number) =>
			(
				await createLearner("cart").fit(M, Uint8Array.from(y), {
					seed: 1,
					params: { class_weight: "none", max_depth, min_samples_split: 4 },
				})
			).predictProba(M);

		// depth 2: both agree exactly (same partition, same class per row)
		const ref2 = mlCart(2);
		const ours2 = await ours(2);
		expect(Array.from(ours2, (v) => (v > 0.5 ? 1 : 0))).toEqual(
			ref2.predict(rows),
		);
		const refLeaves2 = rows.map((r) => mlCartLeaf(ref2, r));
		expect(gini(Array.from(ours2))).toBeCloseTo(gini(refLeaves2), 12);
		// depth 3, trained on both: ml-cart takes a worse third split (feature 2,
		// gain 0.008) than the best (feature 3, gain 0.034), which we find.
		const ref3 = mlCart(3);
		const refLeaves3 = rows.map((r) => mlCartLeaf(ref3, r));
		const ours3 = await ours(3);
		expect(new Set(refLeaves3).size).toBeGreaterThan(new Set(refLeaves2).size);
		expect(gini(Array.from(ours3))).toBeLessThan(gini(refLeaves3) - 0.004);
	});

	it("balanced class weights give the hand-computed weighted leaf shares", async () => {
		// x=0: 6 negatives, 1 positive; x=1: 2 negatives, 1 positive. n=10, 2 positives:
		// w₀ = 10/16, w₁ = 10/4 ⇒ leaf(0) = 2.5 / (2.5 + 6·0.625) = 0.4, leaf(1) = 2.5 / 3.75 = 2/3.
		const xs = [0, 0, 0, 0, 0, 0, 0, 1, 1, 1];
		const ys = Uint8Array.from([0, 0, 0, 0, 0, 0, 1, 0, 0, 1]);
		const M = matrix(xs.map((x) => [x]));
		const probe = matrix([[0], [1]]);
		const balanced = (
			await createLearner("cart").fit(M, ys, { seed: 1 })
		).predictProba(probe);
		expect(balanced[0]).toBeCloseTo(0.4, 12);
		expect(balanced[1]).toBeCloseTo(2 / 3, 12);
		const plain = (
			await createLearner("cart").fit(M, ys, {
				seed: 1,
				params: { class_weight: "none" },
			})
		).predictProba(probe);
		expect(plain[0]).toBeCloseTo(1 / 7, 12);
		expect(plain[1]).toBeCloseTo(1 / 3, 12);
	});

	it("max_depth bounds the number of leaves", async () => {
		const { X, y } = syntheticTask(2000, 10, 3);
		const distinct = async (depth: number) =>
			new Set(
				(
					await createLearner("cart").fit(X, y, {
						seed: 1,
						params: { max_depth: depth },
					})
				).predictProba(X),
			).size;
		expect(await distinct(1)).toBe(2);
		expect(await distinct(2)).toBeLessThanOrEqual(4);
		expect(await distinct(8)).toBeGreaterThan(16);
	});
});

describe("random forest", () => {
	const { X, y } = syntheticTask(3000, 16, 5);
	const test = syntheticTask(1500, 16, 6);
	const small = { n_estimators: 24 };

	it("is deterministic for a seed, identical on 1 or 2 threads, and varies with the seed", async () => {
		const forest = (seed: number, threads: number) =>
			createLearner("random_forest").fit(X, y, {
				seed,
				params: { ...small, threads },
			});
		const one = (await forest(1, 1)).predictProba(test.X);
		const two = (await forest(1, 2)).predictProba(test.X); // worker threads
		expect(Array.from(two)).toEqual(Array.from(one));
		const other = (await forest(2, 2)).predictProba(test.X);
		expect(Array.from(other)).not.toEqual(Array.from(one));
	});

	it("bootstrap and per-split feature sampling are the only randomness: without them every tree is the CART", async () => {
		const cart = (
			await createLearner("cart").fit(X, y, { seed: 1 })
		).predictProba(test.X);
		const forest = await createLearner("random_forest").fit(X, y, {
			seed: 1,
			params: {
				n_estimators: 3,
				bootstrap: false,
				max_features: X.cols,
				threads: 1,
			},
		});
		const p = forest.predictProba(test.X);
		for (let i = 0; i < p.length; i++) expect(p[i]).toBeCloseTo(cart[i], 12);
	});

	it("max_features is drawn per split: with one feature per split and no bootstrap, trees differ from the CART", async () => {
		const cart = (
			await createLearner("cart").fit(X, y, { seed: 1 })
		).predictProba(test.X);
		const oneFeature = await createLearner("random_forest").fit(X, y, {
			seed: 1,
			params: {
				n_estimators: 3,
				bootstrap: false,
				max_features: 1,
				threads: 1,
			},
		});
		expect(Array.from(oneFeature.predictProba(test.X))).not.toEqual(
			Array.from(cart),
		);
	});

	it("beats a single tree on held-out data", async () => {
		const cart = (
			await createLearner("cart").fit(X, y, { seed: 1 })
		).predictProba(test.X);
		const forest = (
			await createLearner("random_forest").fit(X, y, {
				seed: 1,
				params: { n_estimators: 60 },
			})
		).predictProba(test.X);
		expect(averagePrecision(test.y, forest)).toBeGreaterThan(
			averagePrecision(test.y, cart),
		);
	});
});
