/**
 * The learner table: one Learner per Algorithm, and loading
 * of serialized models. Kept apart from index.ts (which fits on worker
 * threads) so the worker's task code can use it without an import cycle.
 */
import { ModelInputError } from "../../errors.ts";
import type {
	Algorithm,
	FittedModel,
	Learner,
	SerializedModel,
} from "../types.ts";
import { CART_FORMAT, CartLearner, loadCart } from "./cart.ts";
import { DUMMY_FORMAT, DummyLearner, loadDummy } from "./dummy.ts";
import { LOGISTIC_FORMAT, LogisticLearner, loadLogistic } from "./logistic.ts";
import {
	FOREST_FORMAT,
	loadForest,
	RandomForestLearner,
} from "./random-forest.ts";
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
