/**
 * The model artifact: everything needed to score a gold table the way the
 * model was evaluated — preprocessing, the trained model, calibration,
 * threshold, feature list and metadata — as one JSON document.
 * It holds the learner's SerializedModel; turning that back into a
 * FittedModel is the learners' `loadModel` (see scoring/champion.ts).
 */
import { readFile } from "node:fs/promises";
import { ModelInputError } from "../errors.ts";
import { writeJsonAtomic } from "../io/lake.ts";
import type { Table } from "../io/tables.ts";
import { calibrate, type PlattCalibration } from "./calibration.ts";
import { buildMatrix, type Preprocessor } from "./matrix.ts";
import type { ThresholdChoice } from "./threshold.ts";
import type { Algorithm, FittedModel, SerializedModel } from "./types.ts";

export const ARTIFACT_KIND = "spanishgas-churn-model";
export const ARTIFACT_FORMAT = 1;

/** Metrics on the untouched test split (snake_case: also the ladder's and the report's names). */
export interface TestMetrics {
	pr_auc: number;
	roc_auc: number;
	precision: number;
	recall: number;
	f1: number;
	accuracy: number;
	threshold: number;
	confusion: { tp: number; fp: number; tn: number; fn: number };
}

export interface ArtifactMetadata {
	runId: string;
	trainedAt: string;
	seed: number;
	asOfDate?: string;
	/** Which fitted model this artifact scores with, and why (see train.ts). */
	productionModel: "full_train";
	rows: { train: number; subTrain: number; holdout: number; test: number };
	positiveRate: number;
}

export interface ModelArtifact {
	kind: typeof ARTIFACT_KIND;
	format: typeof ARTIFACT_FORMAT;
	experiment: string;
	algorithm: Algorithm;
	/** Gold feature names the model reads, in preprocessing order. */
	features: string[];
	preprocessor: Preprocessor;
	model: SerializedModel;
	/** Maps the model's raw score to a probability; the threshold is on that scale. */
	calibration: PlattCalibration;
	threshold: ThresholdChoice;
	metadata: ArtifactMetadata;
}

export interface Prediction {
	/** Raw model score. */
	raw: Float64Array;
	/** Calibrated churn probability (the scale of the threshold). */
	proba: Float64Array;
	/** proba ≥ threshold. */
	pred: Uint8Array;
}

/** Score rows of a gold table with an artifact and its loaded model. */
export function predictWithArtifact(
	artifact: ModelArtifact,
	model: FittedModel,
	table: Table,
	rows?: readonly number[],
): Prediction {
	const X = buildMatrix(table, artifact.preprocessor, rows);
	const raw = model.predictProba(X);
	const proba = calibrate(artifact.calibration, raw);
	const t = artifact.threshold.threshold;
	const pred = Uint8Array.from(proba, (p) => (p >= t ? 1 : 0));
	return { raw, proba, pred };
}

export async function saveArtifact(
	path: string,
	artifact: ModelArtifact,
): Promise<void> {
	await writeJsonAtomic(path, artifact);
}

/** Read an artifact, refusing anything that is not one of ours in a known format. */
export async function readArtifact(path: string): Promise<ModelArtifact> {
	const value = JSON.parse(
		await readFile(path, "utf8"),
	) as Partial<ModelArtifact>;
	return checkArtifact(value, path);
}

export function checkArtifact(
	value: Partial<ModelArtifact>,
	source: string,
): ModelArtifact {
	if (value.kind !== ARTIFACT_KIND)
		throw new ModelInputError(`${source}: not a churn model artifact`);
	if (value.format !== ARTIFACT_FORMAT)
		throw new ModelInputError(
			`${source}: artifact format ${value.format}, this code reads ${ARTIFACT_FORMAT}`,
		);
	for (const key of [
		"preprocessor",
		"model",
		"calibration",
		"threshold",
		"features",
	] as const)
		if (value[key] === undefined)
			throw new ModelInputError(`${source}: artifact lacks "${key}"`);
	return value as ModelArtifact;
}

/** Everything the report needs about one candidate's evaluation on the test split. */
export interface Evaluation {
	metrics: TestMetrics;
	curves: {
		pr: { precision: number[]; recall: number[]; thresholds: number[] };
		roc: { fpr: number[]; tpr: number[]; thresholds: number[] };
	};
	/** How well the calibrated probabilities match observed churn (held-out and test). */
	calibrationCheck: {
		holdout: { meanProba: number; churnRate: number };
		test: { meanProba: number; churnRate: number; brier: number };
	};
}
