import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { escape as aqEscape } from "arquero";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelInputError } from "../runtime/errors.ts";
import { PRODUCTION_FEATURES } from "../runtime/features/feature-sets.ts";
import { parquetToTable, tableToParquet } from "../runtime/io/tables.ts";
import {
	predictWithArtifact,
	readArtifact,
	saveArtifact,
} from "../runtime/model/artifact.ts";
import { calibrate } from "../runtime/model/calibration.ts";
import { loadModel } from "../runtime/model/learners/index.ts";
import { customerIds, labelsOf } from "../runtime/model/matrix.ts";
import { LocalModelRegistry } from "../runtime/model/registry.ts";
import { modelSplits } from "../runtime/model/split.ts";
import { type TrainResult, trainAndRegister } from "../runtime/model/train.ts";
import {
	loadChampion,
	scoreAndRecommend,
} from "../runtime/scoring/champion.ts";
import { riskTier } from "../runtime/scoring/tiers.ts";
import { makeGold } from "./support/gold-fixture.ts";

// One production-configuration training on a small gold table, shared by the checks below.
const gold = makeGold({ rows: 2000, seed: 11 });
let root: string;
let registry: LocalModelRegistry;
let first: TrainResult;

beforeAll(async () => {
	root = await mkdtemp(join(tmpdir(), "train-"));
	registry = new LocalModelRegistry(root);
	first = await trainAndRegister(gold, {
		runId: "run-1",
		registry,
		gate: 0.5,
		seed: 42,
	});
	// Registering moves no champion; the pipeline's MarkSucceeded promotes.
	await registry.promote(first.version.version, { ifChampion: null });
});
afterAll(async () => {
	await rm(root, { recursive: true, force: true });
});

describe("trainAndRegister", () => {
	it("trains E5_full XGBoost, passes a reachable gate and is approved (champion once promoted)", async () => {
		expect(first.artifact).toMatchObject({
			experiment: "E5_full",
			algorithm: "xgboost",
			features: [...PRODUCTION_FEATURES],
		});
		expect(first.gate).toMatchObject({ minimum: 0.5, passed: true });
		expect(first.version.status).toBe("approved");
		expect(first.promotion).toMatchObject({ champion: null, passed: true });
		expect((await registry.champion())?.version).toBe(first.version.version);
		// The fixture has a real signal: far above the ~10 % churn rate a random ranking scores.
		expect(first.evaluation.metrics.pr_auc).toBeGreaterThan(0.5);
		expect(first.evaluation.metrics.roc_auc).toBeGreaterThan(0.8);
		const rows = first.artifact.metadata.rows;
		// Per-class rounding of the stratified split may move one row between sub-train and holdout.
		expect(rows.train).toBe(1600);
		expect(rows.test).toBe(400);
		expect(rows.subTrain + rows.holdout).toBe(1600);
		expect(Math.abs(rows.holdout - 400)).toBeLessThanOrEqual(1);
	});

	it("reports test metrics at the threshold the artifact scores with, on the calibrated scale", () => {
		const { metrics } = first.evaluation;
		expect(metrics.threshold).toBe(first.artifact.threshold.threshold);
		expect(first.artifact.threshold.recall).toBeGreaterThanOrEqual(0.7);
		// Re-score the test split with the artifact: the confusion matrix must match.
		const split = modelSplits(customerIds(gold), labelsOf(gold), 42);
		const y = labelsOf(gold, split.test);
		const p = predictWithArtifact(
			first.artifact,
			first.model,
			gold,
			split.test,
		);
		let tp = 0;
		let fp = 0;
		p.pred.forEach((v, i) => {
			if (v === 1 && y[i] === 1) tp++;
			if (v === 1 && y[i] === 0) fp++;
		});
		expect({ tp, fp }).toEqual({
			tp: metrics.confusion.tp,
			fp: metrics.confusion.fp,
		});
		// Probabilities are the Platt transform of the raw scores, and predictions cut them at the threshold.
		expect(Array.from(p.proba)).toEqual(
			Array.from(calibrate(first.artifact.calibration, p.raw)),
		);
		// Calibrated probabilities are close to the observed churn rate on average.
		const check = first.evaluation.calibrationCheck.test;
		expect(Math.abs(check.meanProba - check.churnRate)).toBeLessThan(0.05);
	});

	it("round trip: the registered artifact reloads to identical predictions", async () => {
		const artifact = await registry.loadArtifact(first.version.version);
		const reloaded = loadModel(artifact.model);
		const before = predictWithArtifact(first.artifact, first.model, gold);
		const after = predictWithArtifact(artifact, reloaded, gold);
		expect(Array.from(after.proba)).toEqual(Array.from(before.proba));
		expect(Array.from(after.pred)).toEqual(Array.from(before.pred));
		// And through a plain file too.
		const path = join(root, "copy", "model.json");
		await saveArtifact(path, artifact);
		const again = await readArtifact(path);
		expect(
			Array.from(
				predictWithArtifact(again, loadModel(again.model), gold).proba,
			),
		).toEqual(Array.from(before.proba));
	});

	it("a candidate below the gate is registered rejected and the champion keeps scoring", async () => {
		const rejected = await trainAndRegister(gold, {
			runId: "run-2",
			registry,
			gate: 0.999,
			seed: 7,
			params: { n_rounds: 50 },
		});
		expect(rejected.version.status).toBe("rejected");
		expect(rejected.gate.passed).toBe(false);
		expect((await registry.champion())?.version).toBe(first.version.version);
		const champion = await loadChampion(registry);
		expect(champion?.version.runId).toBe("run-1");
	});

	it("a candidate that does not beat the champion on the same test rows is rejected, with both figures", async () => {
		const weak = await trainAndRegister(gold, {
			runId: "run-weak",
			registry,
			gate: 0.1,
			promotionMargin: 0,
			seed: 42,
			params: { n_rounds: 2, max_depth: 1 },
		});
		expect(weak.gate.passed).toBe(true);
		expect(weak.version.status).toBe("rejected");
		expect(weak.promotion).toMatchObject({
			champion: first.version.version,
			passed: false,
			margin: 0,
		});
		// Same seed, same split: the champion on the candidate's test rows is its own test PR-AUC.
		expect(weak.promotion?.championValue).toBeCloseTo(
			first.evaluation.metrics.pr_auc,
			10,
		);
		expect(weak.version.reason).toMatch(
			new RegExp(`^does not beat champion ${first.version.version}: PR-AUC`),
		);
		expect((await registry.champion())?.version).toBe(first.version.version);
	});

	it("a champion that cannot score the candidate's rows leaves the candidate to the gate, and says so", async () => {
		const noTenure = gold.select(
			gold.columnNames().filter((c) => c !== "tenure_months"),
		);
		// E7 (consumption and margin features) does not use tenure_months; the E5_full champion does.
		const r = await trainAndRegister(noTenure, {
			runId: "run-no-tenure",
			registry,
			gate: 0.1,
			seed: 42,
			experiment: "E7",
			params: { n_rounds: 20 },
		});
		expect(r.promotion).toMatchObject({
			champion: first.version.version,
			championValue: null,
			passed: true,
		});
		expect(r.promotion?.reason).toMatch(/could not score.*tenure_months/);
	});

	it("a retried Train of the same run returns its registered version without fitting", async () => {
		const before = (await registry.list()).length;
		const again = await trainAndRegister(gold, {
			runId: "run-1",
			registry,
			gate: 0.5,
			seed: 42,
		});
		expect(again.reused).toBe(true);
		expect(again.version).toEqual(first.version);
		expect(again.artifact).toEqual(
			await registry.loadArtifact(first.version.version),
		);
		expect(await registry.list()).toHaveLength(before);
	});

	it("the champion scores every customer with tiers, predictions and losses derived from churn_proba", async () => {
		const champion = await loadChampion(registry);
		if (!champion) throw new Error("no champion");
		const out = scoreAndRecommend(gold, champion);
		expect(out.scored.numRows()).toBe(gold.numRows());
		expect(out.recommendations).toHaveLength(gold.numRows());
		const t = champion.artifact.threshold.threshold;
		const margins = gold.array("avg_monthly_margin") as number[];
		for (const [i, r] of (
			out.scored.objects() as Record<string, number | string>[]
		).entries()) {
			const p = r.churn_proba as number;
			expect(Math.round(p * 1e4) / 1e4).toBe(p);
			expect(r.risk_tier).toBe(riskTier(p));
			expect(r.churn_pred).toBe(p >= t ? 1 : 0);
			// Euro cents of probability × non-negative margin.
			expect(r.expected_monthly_loss).toBe(
				Math.round(p * Math.max(margins[i], 0) * 100) / 100,
			);
			expect(r.model_version).toBe(champion.version.version);
		}
		const counts = out.tierCounts;
		expect(counts.Low + counts.Medium + counts.High + counts.Critical).toBe(
			gold.numRows(),
		);
		// Both outputs are Parquet-ready for the lake.
		expect(parquetToTable(tableToParquet(out.scored)).numRows()).toBe(
			gold.numRows(),
		);
		expect(
			parquetToTable(tableToParquet(out.recommendationsTable)).columnNames(),
		).toContain("reason_codes");
		// Negative-margin customers never get an offer.
		for (const rec of out.recommendations)
			if (rec.avgMonthlyMargin < 0) expect(rec.action).toBe("no_offer");
	});

	it("a non-finite feature stops training before any learner sees it, naming column and customer", async () => {
		const bad = gold.derive({
			tenure_months: aqEscape(
				(d: { customer_id: string; tenure_months: number }) =>
					d.customer_id === "C000042"
						? Number.POSITIVE_INFINITY
						: d.tenure_months,
			),
		});
		const before = (await registry.list()).length;
		const attempt = trainAndRegister(bad, {
			runId: "run-bad",
			registry,
			seed: 42,
		});
		await expect(attempt).rejects.toThrow(ModelInputError);
		await expect(
			trainAndRegister(bad, { runId: "run-bad", registry, seed: 42 }),
		).rejects.toThrow(/"tenure_months".*customer C000042/);
		expect(await registry.list()).toHaveLength(before);
	});
});
