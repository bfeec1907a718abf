/**
 * Random forest (docs/data-contract.md §6): 300 trees, depth 8, bootstrap, √p features
 * drawn per split (sklearn's max_features="sqrt", per node, not per tree),
 * class_weight "balanced" computed on the whole training y (sklearn's
 * "balanced", not "balanced_subsample"); the score is the mean of the trees'
 * weighted leaf shares, as sklearn's predict_proba. Trees are grown on the
 * shared binned matrix by both cores (worker_threads); each tree's random
 * stream derives from (seed, tree index) only, so the forest is identical
 * whatever the number of threads.
 */
import { isMainThread } from "node:worker_threads";
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
	CART_DEFAULTS,
	classWeightsFor,
	readTreeParams,
	type TreeParams,
} from "./cart.ts";
import {
	assertSameColumns,
	assertTrainingInput,
	createRng,
	deriveSeed,
	numParam,
} from "./common.ts";
import { runTasks } from "./parallel.ts";
import { type BinnedMatrix, binMatrix } from "./tree/binning.ts";
import { growTree, predictTree, type Tree } from "./tree/cart-core.ts";
import {
	decodeTrees,
	type EncodedTrees,
	encodeTrees,
} from "./tree/tree-codec.ts";

export const FOREST_FORMAT = 1;

export interface ForestParams extends TreeParams {
	n_estimators: number;
	/** Features per split; 0 means √p (sklearn "sqrt"). */
	max_features: number;
	bootstrap: boolean;
}

/** The part of a forest fit a worker needs: the binned matrix is in shared memory. */
export interface ForestChunk {
	binned: BinnedMatrix;
	y: Uint8Array;
	classWeights: [number, number];
	seed: number;
	firstTree: number;
	lastTree: number; // exclusive
	params: ForestParams;
}

export function mtryFor(params: ForestParams, cols: number): number {
	return params.max_features > 0
		? Math.min(cols, params.max_features)
		: Math.max(1, Math.floor(Math.sqrt(cols)));
}

/** Grows trees [firstTree, lastTree) of a forest; pure, runs in a worker or in-process. */
export function growForestChunk(c: ForestChunk): Tree[] {
	const { rows } = c.binned;
	const mtry = mtryFor(c.params, c.binned.cols);
	const trees: Tree[] = [];
	const weight = new Float64Array(rows);
	for (let t = c.firstTree; t < c.lastTree; t++) {
		const rng = createRng(deriveSeed(c.seed, t));
		weight.fill(0);
		if (c.params.bootstrap) {
			for (let k = 0; k < rows; k++) weight[Math.floor(rng() * rows)] += 1;
		} else weight.fill(1);
		for (let i = 0; i < rows; i++) weight[i] *= c.classWeights[c.y[i]];
		trees.push(
			growTree(c.binned, c.y, weight, {
				maxDepth: c.params.max_depth,
				minSamplesSplit: c.params.min_samples_split,
				minSamplesLeaf: c.params.min_samples_leaf,
				maxFeatures: mtry,
				rng,
			}),
		);
	}
	return trees;
}

class ForestModel implements FittedModel {
	readonly algorithm = "random_forest" as const;
	constructor(
		readonly columns: readonly string[],
		readonly params: ForestParams,
		readonly trees: Tree[],
	) {}

	predictProba(X: Matrix): Float64Array {
		assertSameColumns(this.columns, X, "random_forest.predictProba");
		const out = new Float64Array(X.rows);
		for (const t of this.trees) predictTree(t, X, out);
		for (let i = 0; i < out.length; i++) out[i] /= this.trees.length;
		return out;
	}

	serialize(): SerializedModel {
		return {
			algorithm: "random_forest",
			format: FOREST_FORMAT,
			params: { ...this.params },
			columns: [...this.columns],
			state: encodeTrees(this.trees),
		};
	}
}

export class RandomForestLearner implements Learner {
	readonly algorithm = "random_forest" as const;

	async fit(X: Matrix, y: Labels, options: FitOptions): Promise<FittedModel> {
		assertTrainingInput(X, y, "random_forest.fit");
		const params: ForestParams = {
			...readTreeParams(options.params, CART_DEFAULTS),
			n_estimators: numParam(options.params, "n_estimators", 300),
			max_features: numParam(options.params, "max_features", 0),
			bootstrap: options.params?.bootstrap !== false,
		};
		if (!(params.n_estimators >= 1))
			throw new ModelInputError("random_forest: n_estimators must be ≥ 1");
		// Nested pools would oversubscribe the cores: inside a worker, grow in-process.
		const threads = isMainThread ? numParam(options.params, "threads", 2) : 1;
		const shared = new SharedArrayBuffer(X.rows * X.cols);
		const binned = binMatrix(X, params.max_bins, shared);
		const base = {
			binned,
			y: Uint8Array.from(y),
			classWeights: classWeightsFor(y, params.class_weight),
			seed: options.seed >>> 0,
			params,
		};
		const chunks: ForestChunk[] = [];
		const nChunks = Math.max(1, Math.min(threads, params.n_estimators));
		for (let k = 0; k < nChunks; k++) {
			const firstTree = Math.floor((k * params.n_estimators) / nChunks);
			const lastTree = Math.floor(((k + 1) * params.n_estimators) / nChunks);
			chunks.push({ ...base, firstTree, lastTree });
		}
		const parts =
			nChunks > 1
				? await runTasks(
						chunks.map((c) => ({ kind: "forest-chunk" as const, chunk: c })),
						nChunks,
						(t) => growForestChunk(t.chunk),
					)
				: chunks.map(growForestChunk);
		return new ForestModel([...X.columns], params, parts.flat());
	}
}

export function loadForest(s: SerializedModel): FittedModel {
	const trees = decodeTrees(s.state as EncodedTrees);
	if (trees.length === 0) throw new Error("random_forest: state holds no tree");
	return new ForestModel(s.columns, s.params as unknown as ForestParams, trees);
}
