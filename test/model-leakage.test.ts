/**
 * Target leakage: when the label says nothing about the features, the whole
 * training path (matrix, split, threshold, calibration, evaluation) must score
 * no better than chance, PR-AUC ≈ the test split's churn rate. A label that
 * reaches the model matrix, a test row in the fit, or a threshold tuned on the
 * test split would lift it well above that. (With the labels kept, the same
 * path scores far above chance: test/model-train.test.ts.)
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LABEL_COLUMN } from "../runtime/model/matrix.ts";
import { seededRng } from "../runtime/model/random.ts";
import { LocalModelRegistry } from "../runtime/model/registry.ts";
import { trainAndRegister } from "../runtime/model/train.ts";
import { makeGold } from "./support/gold-fixture.ts";

const roots: string[] = [];
afterAll(async () => {
	for (const r of roots) await rm(r, { recursive: true, force: true });
});

/** The table with its label column permuted (Fisher–Yates, seeded): same churn rate, no relation left. */
function withPermutedLabels(
	gold: ReturnType<typeof makeGold>,
	seed: number,
): ReturnType<typeof makeGold> {
	const labels = gold.array(LABEL_COLUMN) as number[];
	const shuffled = Array.from(labels);
	const rng = seededRng(seed);
	for (let i = shuffled.length - 1; i > 0; i--) {
		const j = Math.floor(rng() * (i + 1));
		[shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
	}
	return gold.assign({ [LABEL_COLUMN]: shuffled });
}

describe("no target leakage in training", () => {
	it("on labels permuted against the features, test PR-AUC ≈ churn rate and ROC-AUC ≈ 0.5", async () => {
		const root = await mkdtemp(join(tmpdir(), "leakage-"));
		roots.push(root);
		const gold = makeGold({ rows: 4000, seed: 23 });
		// Fewer rounds than production: enough to fit whatever reaches the matrix.
		const permuted = withPermutedLabels(gold, 5);
		const result = await trainAndRegister(permuted, {
			runId: "leakage",
			registry: new LocalModelRegistry(root),
			gate: 0.5,
			seed: 42,
			params: { n_rounds: 150 },
		});
		const { pr_auc, roc_auc } = result.evaluation.metrics;
		const churnRate = result.evaluation.calibrationCheck.test.churnRate;
		expect(churnRate).toBeGreaterThan(0.05);
		// Chance level, with room for the sampling noise of ~800 test rows.
		expect(pr_auc).toBeLessThan(churnRate + 0.06);
		expect(Math.abs(roc_auc - 0.5)).toBeLessThan(0.08);
		expect(result.gate.passed).toBe(false);
	});
});
