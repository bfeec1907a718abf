/**
 * Deterministic stratified splits (docs/data-contract.md §6): 80/20 train/test, and a
 * 75/25 sub-split of train for threshold and calibration. Rows are ordered by
 * customer id before shuffling, so the split depends on the seed and the
 * customers only — not on the row order the gold builder happened to produce.
 */
import { ModelInputError } from "../errors.ts";
import { seededRng, shuffle } from "./random.ts";

export interface Split {
	/** Row indices (into the input arrays), ascending. */
	readonly train: number[];
	readonly test: number[];
}

/**
 * Stratified split: within each class, round(n_class × testFraction) rows go
 * to test. `keys` (customer ids) fix the order; `labels` are 0/1.
 */
export function stratifiedSplit(
	keys: readonly string[],
	labels: ArrayLike<number>,
	testFraction: number,
	seed: number,
): Split {
	if (keys.length !== labels.length)
		throw new ModelInputError(
			`split: ${keys.length} keys but ${labels.length} labels`,
		);
	if (!(testFraction > 0 && testFraction < 1))
		throw new ModelInputError(
			`split: test fraction ${testFraction} not in (0,1)`,
		);
	const order = keys
		.map((_, i) => i)
		.sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : a - b));
	const byClass = new Map<number, number[]>();
	for (const i of order) {
		const y = labels[i];
		if (y !== 0 && y !== 1)
			throw new ModelInputError(
				`split: label of row ${i + 1} (customer ${keys[i]}) is ${y}, expected 0 or 1`,
			);
		const list = byClass.get(y) ?? [];
		list.push(i);
		byClass.set(y, list);
	}
	const rng = seededRng(seed);
	let train: number[] = [];
	let test: number[] = [];
	// Class 0 first, then 1, so the RNG stream is consumed in a fixed order.
	// concat, not push(...): spreading ~150 k indices overflows the call stack.
	for (const y of [0, 1]) {
		const members = shuffle(byClass.get(y) ?? [], rng);
		const nTest = Math.round(members.length * testFraction);
		test = test.concat(members.slice(0, nTest));
		train = train.concat(members.slice(nTest));
	}
	return {
		train: train.sort((a, b) => a - b),
		test: test.sort((a, b) => a - b),
	};
}

export interface ModelSplits {
	/** 80 % of rows: the full-train model learns here. */
	train: number[];
	/** 20 %: untouched until the final evaluation. */
	test: number[];
	/** 75 % of train: the sub-train model learns here. */
	subTrain: number[];
	/** 25 % of train: threshold and calibration are chosen on its scores. */
	holdout: number[];
}

/** The 80/20 split and the 75/25 sub-split of train, all as indices into the full table. */
export function modelSplits(
	keys: readonly string[],
	labels: ArrayLike<number>,
	seed: number,
): ModelSplits {
	const outer = stratifiedSplit(keys, labels, 0.2, seed);
	const trainKeys = outer.train.map((i) => keys[i]);
	const trainLabels = outer.train.map((i) => labels[i]);
	// A derived seed keeps the inner shuffle independent of the outer one.
	const inner = stratifiedSplit(trainKeys, trainLabels, 0.25, seed + 1);
	return {
		train: outer.train,
		test: outer.test,
		subTrain: inner.train.map((j) => outer.train[j]),
		holdout: inner.test.map((j) => outer.train[j]),
	};
}
