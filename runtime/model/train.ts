/**
 * Training step (docs/models.md): the production model (E5_full,
 * XGBoost) from a gold table → evaluated, gated and registered candidate.
 *
 * Which model is deployed, and how calibration reaches it:
 *   - The sub-train model (75 % of train) exists only to produce honest
 *     held-out scores; Platt calibration and the threshold are fitted on them.
 *   - The production model is the full-train model (100 % of train, same
 *     algorithm, hyper-parameters, scale_pos_weight and seed). Calibration
 *     (A, B) and the threshold are functions of the raw score, and the full
 *     model's raw scores live on the same scale as the sub model's, so the
 *     artifact = full model → Platt(A, B) → threshold, all on one calibrated
 *     scale; the threshold was chosen on calibrated held-out scores.
 *   - The test split was seen by neither model, nor by calibration/threshold,
 *     and is scored with exactly that artifact: the test metrics measure what
 *     will be deployed, including any loss from transferring the calibration
 *     (the evaluation's calibrationCheck shows mean probability vs churn rate
 *     on test).
 * Both fits run in parallel (fitMany, worker threads) to use both cores.
 *
 * Promotion (docs/models.md, "Promotion"): the current champion scores the
 * same test rows, and the candidate is approved only if it passes the
 * absolute gate and beats the champion by the margin. Registering never
 * moves the champion; the pipeline promotes in MarkSucceeded. A second call
 * for a run id the registry already has (a retried Train) returns that
 * version without fitting again.
 */

import { RUN_DEFAULTS } from "../contract.ts";
import { ModelInputError } from "../errors.ts";
import { EXPERIMENTS, type ExperimentId } from "../features/feature-sets.ts";
import type { Table } from "../io/tables.ts";
import {
	ARTIFACT_FORMAT,
	ARTIFACT_KIND,
	type Evaluation,
	type ModelArtifact,
	predictWithArtifact,
} from "./artifact.ts";
import { calibrate, fitPlattOnLogOdds } from "./calibration.ts";
import { evaluateCandidate, testMetrics } from "./evaluate.ts";
import { fitMany, loadModel } from "./learners/index.ts";
import {
	buildMatrix,
	checkFeatures,
	customerIds,
	fitPreprocessor,
	labelsOf,
} from "./matrix.ts";
import {
	DEFAULT_GATE,
	DEFAULT_PROMOTION_MARGIN,
	type GateDecision,
	gateDecision,
	type ModelRegistry,
	type ModelVersion,
	type PromotionDecision,
	promotionDecision,
} from "./registry.ts";
import { modelSplits } from "./split.ts";
import { chooseThreshold } from "./threshold.ts";
import type { Algorithm, FittedModel } from "./types.ts";

export interface TrainOptions {
	runId: string;
	registry: ModelRegistry;
	/** Absolute gate on test PR-AUC (default DEFAULT_GATE, 0.70). */
	gate?: number;
	/** Margin over the champion's PR-AUC on the same test rows (default DEFAULT_PROMOTION_MARGIN). */
	promotionMargin?: number;
	/**
	 * The champion to beat: the version the run planned with (null: none).
	 * Undefined: the registry's champion now.
	 */
	champion?: string | null;
	/** Split and model seed (default 42). */
	seed?: number;
	/** Recall the threshold must reach on the held-out rows (default 0.70). */
	minRecall?: number;
	experiment?: ExperimentId;
	algorithm?: Algorithm;
	/** Hyper-parameter overrides (tests use fewer rounds); default: docs/data-contract.md §6. */
	params?: Record<string, number | string | boolean>;
	/** Worker threads for the two fits (default 2). */
	concurrency?: number;
}

export interface TrainResult {
	version: ModelVersion;
	artifact: ModelArtifact;
	evaluation: Evaluation;
	gate: GateDecision;
	/** The comparison with the champion (absent on a version registered before it existed). */
	promotion?: PromotionDecision;
	/** The run had registered this version already (a retried Train): nothing was fitted. */
	reused: boolean;
	/** The production (full-train) model, ready to score. */
	model: FittedModel;
	/** Wall-clock seconds per phase. */
	timings: {
		prepare: number;
		fit: number;
		calibrate: number;
		evaluate: number;
		register: number;
		total: number;
	};
}

const now = () => performance.now() / 1000;

export async function trainAndRegister(
	gold: Table,
	options: TrainOptions,
): Promise<TrainResult> {
	const t0 = now();
	const prior = await options.registry.forRun(options.runId);
	if (prior) return reuse(options.registry, prior, t0);
	const seed = options.seed ?? RUN_DEFAULTS.seed;
	const experiment = options.experiment ?? "E5_full";
	const algorithm = options.algorithm ?? "xgboost";
	const features = [...EXPERIMENTS[experiment]];
	const standardize = algorithm === "logistic";

	checkFeatures(gold, features);
	const ids = customerIds(gold);
	const yAll = labelsOf(gold);
	const split = modelSplits(ids, yAll, seed);
	const pick = (rows: number[]) => Uint8Array.from(rows, (r) => yAll[r]);
	const ySub = pick(split.subTrain);
	const yHold = pick(split.holdout);
	const yTrain = pick(split.train);
	const yTest = pick(split.test);
	if (!yHold.includes(1) || !yTest.includes(1))
		throw new ModelInputError(
			`training needs churners in every split (gold has ${yAll.filter((v) => v === 1).length})`,
		);

	// Each model gets preprocessing fitted on its own training rows only.
	const preSub = fitPreprocessor(gold, features, split.subTrain, {
		standardize,
	});
	const preFull = fitPreprocessor(gold, features, split.train, { standardize });
	const xSub = buildMatrix(gold, preSub, split.subTrain);
	const xFull = buildMatrix(gold, preFull, split.train);
	const t1 = now();

	const fitOptions = { seed, params: options.params };
	const [subModel, fullModel] = await fitMany(
		[
			{ algorithm, X: xSub, y: ySub, options: fitOptions },
			{ algorithm, X: xFull, y: yTrain, options: fitOptions },
		],
		options.concurrency ?? 2,
	);
	const t2 = now();

	const holdRaw = subModel.predictProba(
		buildMatrix(gold, preSub, split.holdout),
	);
	const calibration = fitPlattOnLogOdds(holdRaw, yHold);
	const holdProba = calibrate(calibration, holdRaw);
	const threshold = chooseThreshold(yHold, holdProba, options.minRecall ?? 0.7);
	const t3 = now();

	const asOf = gold.columnNames().includes("as_of_date")
		? gold.get("as_of_date", 0)
		: undefined;
	const artifact: ModelArtifact = {
		kind: ARTIFACT_KIND,
		format: ARTIFACT_FORMAT,
		experiment,
		algorithm,
		features,
		preprocessor: preFull,
		model: fullModel.serialize(),
		calibration,
		threshold,
		metadata: {
			runId: options.runId,
			trainedAt: new Date().toISOString(),
			seed,
			asOfDate: asOf === undefined || asOf === null ? undefined : String(asOf),
			productionModel: "full_train",
			rows: {
				train: split.train.length,
				subTrain: split.subTrain.length,
				holdout: split.holdout.length,
				test: split.test.length,
			},
			positiveRate: yAll.reduce((s, v) => s + v, 0) / yAll.length,
		},
	};
	const { proba: testProba } = predictWithArtifact(
		artifact,
		fullModel,
		gold,
		split.test,
	);
	const evaluation = evaluateCandidate(
		{ y: yTest, proba: testProba },
		{ y: yHold, proba: holdProba },
		threshold.threshold,
	);
	const gate = gateDecision(evaluation.metrics, options.gate ?? DEFAULT_GATE);
	const promotion = await compareWithChampion(
		options,
		gold,
		split.test,
		yTest,
		evaluation.metrics.pr_auc,
	);
	const t4 = now();

	const version = await options.registry.register({
		artifact,
		evaluation,
		gate,
		promotion,
		runId: options.runId,
	});
	const t5 = now();
	return {
		version,
		artifact,
		evaluation,
		gate,
		promotion,
		reused: false,
		model: fullModel,
		timings: {
			prepare: t1 - t0,
			fit: t2 - t1,
			calibrate: t3 - t2,
			evaluate: t4 - t3,
			register: t5 - t4,
			total: t5 - t0,
		},
	};
}

/**
 * The champion's PR-AUC on the candidate's test rows, scored with its own
 * artifact (preprocessing, calibration), and the decision. A champion that
 * cannot score these rows (a feature gold no longer has) leaves the
 * candidate to the gate, and the reason says so.
 */
async function compareWithChampion(
	options: TrainOptions,
	gold: Table,
	testRows: number[],
	yTest: Uint8Array,
	candidateValue: number,
): Promise<PromotionDecision> {
	const margin = options.promotionMargin ?? DEFAULT_PROMOTION_MARGIN;
	const champion =
		options.champion !== undefined
			? options.champion
			: ((await options.registry.champion())?.version ?? null);
	if (champion === null)
		return promotionDecision(candidateValue, null, null, margin);
	let artifact: ModelArtifact;
	try {
		artifact = await options.registry.loadArtifact(champion);
		checkFeatures(gold, artifact.features);
	} catch (e) {
		if (!(e instanceof ModelInputError)) throw e;
		return promotionDecision(candidateValue, champion, null, margin, e.message);
	}
	const { proba } = predictWithArtifact(
		artifact,
		loadModel(artifact.model),
		gold,
		testRows,
	);
	const championValue = testMetrics(
		yTest,
		proba,
		artifact.threshold.threshold,
	).pr_auc;
	return promotionDecision(candidateValue, champion, championValue, margin);
}

/** A retried Train: the version its first attempt registered, loaded as a result. */
async function reuse(
	registry: ModelRegistry,
	version: ModelVersion,
	t0: number,
): Promise<TrainResult> {
	const [artifact, evaluation] = await Promise.all([
		registry.loadArtifact(version.version),
		registry.loadEvaluation(version.version),
	]);
	const total = now() - t0;
	return {
		version,
		artifact,
		evaluation,
		gate: version.gate,
		promotion: version.promotion,
		reused: true,
		model: loadModel(artifact.model),
		timings: {
			prepare: 0,
			fit: 0,
			calibrate: 0,
			evaluate: 0,
			register: total,
			total,
		},
	};
}
