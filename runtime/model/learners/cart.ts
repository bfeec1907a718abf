/**
 * CART decision tree (docs/data-contract.md §6): Gini, depth 8, class_weight "balanced"
 * by default — sklearn's DecisionTreeClassifier on ≤ 256 quantile bins per
 * feature (exact for features with ≤ 256 distinct values).
 *
 * Why not ml-cart: as shipped it is quadratic in the rows of a node (a split
 * candidate at every label change, each re-partitioning all rows: ≈ 4 min for
 * a depth-8 tree at 16,000 × 56), it has no sample or class weights (needed
 * for "balanced" and for bootstrap counts) and no per-split feature sampling
 * (needed for the forest). Patching all three would replace its whole
 * training code, so the growth lives in tree/cart-core.ts; a test checks it
 * reproduces ml-cart's partition on data where both are exact.
 */
import { ModelInputError } from "../../errors.ts";
import type {
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
	balancedClassWeights,
	createRng,
	numParam,
	strParam,
} from "./common.ts";
import { binMatrix, MAX_BINS } from "./tree/binning.ts";
import { growTree, predictTree, type Tree } from "./tree/cart-core.ts";
import {
	decodeTrees,
	type EncodedTrees,
	encodeTrees,
} from "./tree/tree-codec.ts";

export const CART_FORMAT = 1;

export interface TreeParams {
	max_depth: number;
	min_samples_split: number;
	min_samples_leaf: number;
	max_bins: number;
	class_weight: "balanced" | "none";
}

export function readTreeParams(
	params: FitOptions["params"],
	defaults: TreeParams,
): TreeParams {
	const p: TreeParams = {
		max_depth: numParam(params, "max_depth", defaults.max_depth),
		min_samples_split: numParam(
			params,
			"min_samples_split",
			defaults.min_samples_split,
		),
		min_samples_leaf: numParam(
			params,
			"min_samples_leaf",
			defaults.min_samples_leaf,
		),
		max_bins: numParam(params, "max_bins", defaults.max_bins),
		class_weight: strParam(
			params,
			"class_weight",
			defaults.class_weight,
		) as TreeParams["class_weight"],
	};
	if (p.class_weight !== "balanced" && p.class_weight !== "none") {
		throw new ModelInputError(
			`class_weight must be "balanced" or "none", got "${p.class_weight}"`,
		);
	}
	if (
		!(p.max_depth >= 1) ||
		!(p.min_samples_split >= 2) ||
		!(p.min_samples_leaf >= 1)
	) {
		throw new ModelInputError(
			"tree: need max_depth ≥ 1, min_samples_split ≥ 2, min_samples_leaf ≥ 1",
		);
	}
	if (!(p.max_bins >= 2 && p.max_bins <= MAX_BINS))
		throw new ModelInputError(`tree: max_bins must be in [2, ${MAX_BINS}]`);
	return p;
}

export function classWeightsFor(
	y: Labels,
	mode: TreeParams["class_weight"],
): [number, number] {
	return mode === "balanced" ? balancedClassWeights(y) : [1, 1];
}

export const CART_DEFAULTS: TreeParams = {
	max_depth: 8,
	min_samples_split: 2,
	min_samples_leaf: 1,
	max_bins: MAX_BINS,
	class_weight: "balanced",
};

class CartModel implements FittedModel {
	readonly algorithm = "cart" as const;
	constructor(
		readonly columns: readonly string[],
		readonly params: TreeParams,
		readonly tree: Tree,
	) {}

	predictProba(X: Matrix): Float64Array {
		assertSameColumns(this.columns, X, "cart.predictProba");
		const out = new Float64Array(X.rows);
		predictTree(this.tree, X, out);
		return out;
	}

	serialize(): SerializedModel {
		return {
			algorithm: "cart",
			format: CART_FORMAT,
			params: { ...this.params },
			columns: [...this.columns],
			state: encodeTrees([this.tree]),
		};
	}
}

export class CartLearner implements Learner {
	readonly algorithm = "cart" as const;

	async fit(X: Matrix, y: Labels, options: FitOptions): Promise<FittedModel> {
		assertTrainingInput(X, y, "cart.fit");
		const params = readTreeParams(options.params, CART_DEFAULTS);
		const binned = binMatrix(X, params.max_bins);
		const cw = classWeightsFor(y, params.class_weight);
		const weight = Float64Array.from(y, (label) => cw[label]);
		const tree = growTree(binned, y, weight, {
			maxDepth: params.max_depth,
			minSamplesSplit: params.min_samples_split,
			minSamplesLeaf: params.min_samples_leaf,
			maxFeatures: X.cols,
			rng: createRng(options.seed),
		});
		return new CartModel([...X.columns], params, tree);
	}
}

export function loadCart(s: SerializedModel): FittedModel {
	const trees = decodeTrees(s.state as EncodedTrees);
	if (trees.length !== 1)
		throw new Error("cart: state must hold exactly one tree");
	return new CartModel(s.columns, s.params as unknown as TreeParams, trees[0]);
}
