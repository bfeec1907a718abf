/**
 * The boundary between the numeric learners (runtime/model/learners) and the
 * model pipeline (matrix building, threshold, calibration, registry, scoring).
 * Learners only ever see finite, dense, row-major Float64 matrices.
 */

export type Algorithm =
	| "dummy_stratified"
	| "dummy_most_frequent"
	| "logistic"
	| "cart"
	| "random_forest"
	| "xgboost";

/** Dense row-major matrix; `columns` names each column (after one-hot encoding). */
export interface Matrix {
	readonly rows: number;
	readonly cols: number;
	readonly data: Float64Array;
	readonly columns: readonly string[];
}

/** Labels are 0/1, one per matrix row. */
export type Labels = Uint8Array;

export interface FitOptions {
	/** Seed for every random choice the learner makes. */
	seed: number;
	/** Algorithm-specific hyper-parameters overriding the defaults of docs/data-contract.md §6. */
	params?: Record<string, number | string | boolean>;
}

/** A JSON-serialisable trained model: `loadModel(serialized)` predicts identically. */
export interface SerializedModel {
	algorithm: Algorithm;
	/** Library/format version, so an old artifact is rejected rather than misread. */
	format: number;
	params: Record<string, number | string | boolean>;
	columns: readonly string[];
	state: unknown;
}

export interface FittedModel {
	readonly algorithm: Algorithm;
	readonly columns: readonly string[];
	/** Raw (uncalibrated) score of the positive class per row, in [0, 1]. */
	predictProba(X: Matrix): Float64Array;
	serialize(): SerializedModel;
}

export interface Learner {
	readonly algorithm: Algorithm;
	fit(X: Matrix, y: Labels, options: FitOptions): Promise<FittedModel>;
}
