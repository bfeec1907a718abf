/**
 * Baselines with scikit-learn DummyClassifier semantics.
 * - most_frequent: every row gets the one-hot vector of the majority class,
 *   so the positive score is 1 or 0 (a tie goes to class 0, as numpy argmax).
 * - stratified: every row gets a random one-hot draw at the training prior.
 *   sklearn draws from a global RNG at predict time; here the draw is a hash
 *   of (seed, row values) so the same customer always gets the same score and
 *   a reloaded model predicts identically, whatever the row order.
 */
import type {
	Algorithm,
	FitOptions,
	FittedModel,
	Labels,
	Learner,
	Matrix,
	SerializedModel,
} from "../types.ts";
import {
	assertSameColumns,
	assertTrainingInput,
	countPositives,
} from "./common.ts";

export const DUMMY_FORMAT = 1;

interface DummyState {
	prior: number;
	seed: number;
}

class DummyModel implements FittedModel {
	constructor(
		readonly algorithm: "dummy_stratified" | "dummy_most_frequent",
		readonly columns: readonly string[],
		private readonly state: DummyState,
	) {}

	predictProba(X: Matrix): Float64Array {
		assertSameColumns(this.columns, X, `${this.algorithm}.predictProba`);
		const out = new Float64Array(X.rows);
		if (this.algorithm === "dummy_most_frequent") {
			out.fill(this.state.prior > 0.5 ? 1 : 0);
			return out;
		}
		const words = new Uint32Array(
			X.data.buffer,
			X.data.byteOffset,
			X.data.length * 2,
		);
		for (let i = 0; i < X.rows; i++) {
			const u =
				rowHash(words, i * X.cols * 2, X.cols * 2, this.state.seed) /
				4294967296;
			out[i] = u < this.state.prior ? 1 : 0;
		}
		return out;
	}

	serialize(): SerializedModel {
		return {
			algorithm: this.algorithm,
			format: DUMMY_FORMAT,
			params: {},
			columns: [...this.columns],
			state: { ...this.state },
		};
	}
}

/** FNV-1a over the row's 32-bit words, finished with a murmur3 mix. */
function rowHash(
	words: Uint32Array,
	start: number,
	len: number,
	seed: number,
): number {
	let h = (0x811c9dc5 ^ seed) >>> 0;
	for (let k = start; k < start + len; k++)
		h = Math.imul(h ^ words[k], 0x01000193) >>> 0;
	h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
	h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
	return (h ^ (h >>> 16)) >>> 0;
}

export class DummyLearner implements Learner {
	constructor(readonly algorithm: "dummy_stratified" | "dummy_most_frequent") {}

	async fit(X: Matrix, y: Labels, options: FitOptions): Promise<FittedModel> {
		assertTrainingInput(X, y, `${this.algorithm}.fit`);
		return new DummyModel(this.algorithm, [...X.columns], {
			prior: countPositives(y) / y.length,
			seed: options.seed >>> 0,
		});
	}
}

export function loadDummy(s: SerializedModel): FittedModel {
	const st = s.state as DummyState;
	if (typeof st?.prior !== "number" || typeof st?.seed !== "number") {
		throw new Error(`${s.algorithm}: malformed state`);
	}
	return new DummyModel(
		s.algorithm as "dummy_stratified" | "dummy_most_frequent",
		s.columns,
		st,
	);
}

export function isDummy(
	a: Algorithm,
): a is "dummy_stratified" | "dummy_most_frequent" {
	return a === "dummy_stratified" || a === "dummy_most_frequent";
}
