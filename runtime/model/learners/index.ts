/**
 * Entry point of the learners: one Learner per Algorithm of DATA_SPEC §6,
 * loading of serialized models, and parallel fitting on worker threads.
 */
import { ModelInputError } from "../../errors.ts";
import type {
	Algorithm,
	FitOptions,
	FittedModel,
	Labels,
	Learner,
	Matrix,
	SerializedModel,
} from "../types.ts";
import { CART_FORMAT, CartLearner, loadCart } from "./cart.ts";
import { assertTrainingInput } from "./common.ts";
import { DUMMY_FORMAT, DummyLearner, loadDummy } from "./dummy.ts";
import { LOGISTIC_FORMAT, LogisticLearner, loadLogistic } from "./logistic.ts";
import { runTasks } from "./parallel.ts";
import {
	FOREST_FORMAT,
	loadForest,
	RandomForestLearner,
} from "./random-forest.ts";
import type { FitTask } from "./worker-tasks.ts";
import { loadXgboost, XGBOOST_FORMAT, XgboostLearner } from "./xgboost.ts";

export const ALGORITHMS: readonly Algorithm[] = [
	"dummy_stratified",
	"dummy_most_frequent",
	"logistic",
	"cart",
	"random_forest",
	"xgboost",
];

export function createLearner(algorithm: Algorithm): Learner {
	switch (algorithm) {
		case "dummy_stratified":
		case "dummy_most_frequent":
			return new DummyLearner(algorithm);
		case "logistic":
			return new LogisticLearner();
		case "cart":
			return new CartLearner();
		case "random_forest":
			return new RandomForestLearner();
		case "xgboost":
			return new XgboostLearner();
		default:
			throw new ModelInputError(`unknown algorithm "${String(algorithm)}"`);
	}
}

const LOADERS: Record<
	Algorithm,
	{ format: number; load: (s: SerializedModel) => FittedModel }
> = {
	dummy_stratified: { format: DUMMY_FORMAT, load: loadDummy },
	dummy_most_frequent: { format: DUMMY_FORMAT, load: loadDummy },
	logistic: { format: LOGISTIC_FORMAT, load: loadLogistic },
	cart: { format: CART_FORMAT, load: loadCart },
	random_forest: { format: FOREST_FORMAT, load: loadForest },
	xgboost: { format: XGBOOST_FORMAT, load: loadXgboost },
};

/** Rebuilds a fitted model from `serialize()` output; an unknown algorithm or format is rejected. */
export function loadModel(s: SerializedModel): FittedModel {
	const entry = LOADERS[s?.algorithm as Algorithm];
	if (!entry)
		throw new ModelInputError(
			`loadModel: unknown algorithm "${String(s?.algorithm)}"`,
		);
	if (s.format !== entry.format) {
		throw new ModelInputError(
			`loadModel: ${s.algorithm} artifact has format ${s.format}, this runtime reads format ${entry.format}`,
		);
	}
	if (!Array.isArray(s.columns))
		throw new ModelInputError("loadModel: artifact has no column list");
	return entry.load(s);
}

export interface FitJob {
	algorithm: Algorithm;
	X: Matrix;
	y: Labels;
	options: FitOptions;
}

/**
 * Fits several models in parallel worker threads (2 by default — the
 * machine's cores); results come back serialized and are loaded with
 * loadModel, in the jobs' order. Inputs are checked here first so a bad
 * matrix fails fast, before any thread starts. concurrency 1 fits in-process.
 */
export async function fitMany(
	jobs: FitJob[],
	concurrency = 2,
): Promise<FittedModel[]> {
	for (const j of jobs) assertTrainingInput(j.X, j.y, `${j.algorithm}.fit`);
	const tasks: FitTask[] = jobs.map((j) => ({
		kind: "fit",
		algorithm: j.algorithm,
		X: {
			rows: j.X.rows,
			cols: j.X.cols,
			data: j.X.data,
			columns: [...j.X.columns],
		},
		y: j.y,
		options: j.options,
	}));
	const serialized = await runTasks<SerializedModel>(tasks, concurrency);
	return serialized.map(loadModel);
}

export { workerThreadsAvailable } from "./parallel.ts";
