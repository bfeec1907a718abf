import { describe, expect, it } from "vitest";
import { ModelInputError } from "../runtime/errors.ts";
import {
	ALGORITHMS,
	createLearner,
	fitMany,
	loadModel,
	workerThreadsAvailable,
} from "../runtime/model/learners/index.ts";
import type { Algorithm, FitOptions, Matrix } from "../runtime/model/types.ts";
import { sliceRows, syntheticTask } from "./support/synthetic-task.ts";

const all = syntheticTask(1200, 10, 2);
const train = sliceRows(all.X, all.y, 0, 900);
const test = sliceRows(all.X, all.y, 900, 1200);
// Small but real settings so the suite stays fast on a shared machine.
const QUICK: Partial<Record<Algorithm, FitOptions["params"]>> = {
	random_forest: { n_estimators: 20, threads: 1 },
	xgboost: { n_rounds: 30 },
};
const opts = (a: Algorithm, seed = 1): FitOptions => ({
	seed,
	params: QUICK[a],
});

describe("every learner", () => {
	it.each(ALGORITHMS)(
		"%s: JSON round-trip predicts identically, scores in [0, 1]",
		async (algorithm) => {
			const model = await createLearner(algorithm).fit(
				train.X,
				train.y,
				opts(algorithm),
			);
			expect(model.algorithm).toBe(algorithm);
			expect(model.columns).toEqual(train.X.columns);
			const p = model.predictProba(test.X);
			expect(p).toHaveLength(test.X.rows);
			for (const v of p) expect(v >= 0 && v <= 1).toBe(true);
			const reloaded = loadModel(JSON.parse(JSON.stringify(model.serialize())));
			expect(Array.from(reloaded.predictProba(test.X))).toEqual(Array.from(p));
		},
	);

	it.each(ALGORITHMS)(
		"%s: rejects a non-finite matrix naming the column, and foreign columns",
		async (algorithm) => {
			const bad: Matrix = { ...train.X, data: train.X.data.slice() };
			bad.data[7 * bad.cols + 4] = Number.POSITIVE_INFINITY;
			await expect(
				createLearner(algorithm).fit(bad, train.y, opts(algorithm)),
			).rejects.toThrow(/column "f4".*row 7/);
			const model = await createLearner(algorithm).fit(
				train.X,
				train.y,
				opts(algorithm),
			);
			const renamed: Matrix = {
				...test.X,
				columns: test.X.columns.map((c, j) => (j === 2 ? "other" : c)),
			};
			expect(() => model.predictProba(renamed)).toThrow(ModelInputError);
			expect(() => model.predictProba(renamed)).toThrow(
				/missing: f2; unexpected: other/,
			);
		},
	);

	it("rejects bad labels, unknown algorithms and artifacts of another format", async () => {
		const y = train.y.slice();
		y[3] = 2;
		await expect(
			createLearner("cart").fit(train.X, y, { seed: 1 }),
		).rejects.toThrow(/label at row 3 is 2/);
		expect(() => createLearner("svm" as Algorithm)).toThrow(
			/unknown algorithm "svm"/,
		);
		const s = (
			await createLearner("logistic").fit(train.X, train.y, { seed: 1 })
		).serialize();
		expect(() => loadModel({ ...s, format: 99 })).toThrow(/format 99/);
		expect(() => loadModel({ ...s, algorithm: "nope" as Algorithm })).toThrow(
			/unknown algorithm/,
		);
	});
});

describe("dummy baselines", () => {
	it("most_frequent scores every row 0 when negatives are the majority", async () => {
		const p = (
			await createLearner("dummy_most_frequent").fit(train.X, train.y, {
				seed: 1,
			})
		).predictProba(test.X);
		expect(new Set(p)).toEqual(new Set([0]));
	});
	it("stratified draws 0/1 at the prior, per row content (order-independent, seed-dependent)", async () => {
		const big = syntheticTask(6000, 10, 8);
		const prior = big.y.reduce((a, b) => a + b, 0) / big.y.length;
		const m = await createLearner("dummy_stratified").fit(big.X, big.y, {
			seed: 5,
		});
		const p = m.predictProba(big.X);
		expect(new Set(p)).toEqual(new Set([0, 1]));
		const share = p.reduce((a, b) => a + b, 0) / p.length;
		expect(Math.abs(share - prior)).toBeLessThan(0.02);
		const tail = sliceRows(big.X, big.y, 5000, 6000);
		expect(Array.from(m.predictProba(tail.X))).toEqual(
			Array.from(p.slice(5000)),
		);
		const other = await createLearner("dummy_stratified").fit(big.X, big.y, {
			seed: 6,
		});
		expect(Array.from(other.predictProba(big.X))).not.toEqual(Array.from(p));
	});
});

describe("fitMany", () => {
	it("fits on worker threads exactly as in-process, in the jobs' order", async () => {
		expect(await workerThreadsAvailable()).toBe(true); // no silent fallback under vitest
		const jobs = (
			["xgboost", "logistic", "cart", "random_forest"] as const
		).map((algorithm) => ({
			algorithm,
			X: train.X,
			y: train.y,
			options: opts(algorithm, 3),
		}));
		const threaded = await fitMany(jobs, 2);
		const inProcess = await fitMany(jobs, 1);
		expect(threaded.map((m) => m.algorithm)).toEqual([
			"xgboost",
			"logistic",
			"cart",
			"random_forest",
		]);
		for (let k = 0; k < jobs.length; k++) {
			expect(JSON.stringify(threaded[k].serialize())).toBe(
				JSON.stringify(inProcess[k].serialize()),
			);
		}
	});

	it("checks matrices before any worker starts, and brings a worker's ModelInputError back typed", async () => {
		const bad: Matrix = { ...train.X, data: train.X.data.slice() };
		bad.data[0] = Number.NaN;
		const good = {
			algorithm: "logistic" as const,
			X: train.X,
			y: train.y,
			options: { seed: 1 },
		};
		await expect(
			fitMany([good, { ...good, algorithm: "xgboost", X: bad }], 2),
		).rejects.toThrow(/column "f0" has non-finite value NaN at row 0/);
		// an error raised inside the worker (invalid hyper-parameter) keeps its type
		const badParam = {
			...good,
			algorithm: "xgboost" as const,
			options: { seed: 1, params: { n_rounds: 0 } },
		};
		await expect(fitMany([good, badParam], 2)).rejects.toThrow(ModelInputError);
		await expect(fitMany([good, badParam], 2)).rejects.toThrow(
			/n_rounds must be a positive integer/,
		);
	});
});
