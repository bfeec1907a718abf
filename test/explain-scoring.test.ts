/**
 * TreeSHAP in scoring: a champion trained by trainAndRegister on a gold
 * table explains every customer; contributions grouped per gold feature add
 * up to the model's margin (1e-9), the scored table keeps its values and
 * gains each customer's top drivers, global importance is the mean
 * |contribution|, and reason codes come from the largest positive
 * contributions within the guardrails.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { table } from "arquero";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Table } from "../runtime/io/tables.ts";
import { predictWithArtifact } from "../runtime/model/artifact.ts";
import { treeExplainerFor } from "../runtime/model/explain/explainer.ts";
import { ensembleOutput } from "../runtime/model/explain/shap-tree.ts";
import { loadModel } from "../runtime/model/learners/index.ts";
import { toLibraryMatrix } from "../runtime/model/learners/xgboost.ts";
import { buildMatrix } from "../runtime/model/matrix.ts";
import { LocalModelRegistry } from "../runtime/model/registry.ts";
import { type TrainResult, trainAndRegister } from "../runtime/model/train.ts";
import {
	contributionsTable,
	explainCustomers,
	importanceTable,
	MAX_EXPLAIN_COST_PER_ROW,
	TOP_DRIVERS,
} from "../runtime/scoring/explanations.ts";
import {
	MIN_REASON_CONTRIBUTION,
	reasonCodesFromContributions,
	recommend,
} from "../runtime/scoring/recommendations.ts";
import { scoreCustomers } from "../runtime/scoring/score.ts";
import { IN_FAST_SUBSET } from "./support/fast-subset.ts";
import { makeGold } from "./support/gold-fixture.ts";

const gold = makeGold({ rows: 1500, seed: 5 });
let root: string;
let trained: TrainResult;
let logistic: TrainResult;

beforeAll(async () => {
	root = await mkdtemp(join(tmpdir(), "explain-"));
	const registry = new LocalModelRegistry(root);
	trained = await trainAndRegister(gold, {
		runId: "run-x",
		registry,
		gate: 0,
		seed: 3,
		params: { n_rounds: 150 },
	});
	logistic = await trainAndRegister(gold, {
		runId: "run-l",
		registry,
		gate: 0,
		seed: 3,
		algorithm: "logistic",
	});
});
afterAll(async () => {
	await rm(root, { recursive: true, force: true });
});

const model = () => trained.artifact;
const loadedModel = () => loadModel(trained.artifact.model);

describe("explainCustomers", () => {
	it("groups one-hot columns per gold feature; bias + Σ = the booster's margin to 1e-9", () => {
		const e = explainCustomers(gold, model());
		if (!e) throw new Error("no explanation for an XGBoost champion");
		expect([...e.features].sort()).toEqual(
			[...model().preprocessor.features].sort(),
		);
		const F = e.features.length;
		const X = buildMatrix(gold, model().preprocessor);
		const explainer = treeExplainerFor(model().model);
		if (!explainer) throw new Error("no explainer");
		const perColumn = explainer.explain(X);
		const lib = toLibraryMatrix(X);
		const categorical = model().preprocessor.categorical[0];
		const g = e.features.indexOf(categorical.name);
		let worst = 0;
		for (let i = 0; i < X.rows; i++) {
			let total = e.bias;
			for (let f = 0; f < F; f++) total += e.values[i * F + f];
			const margin = ensembleOutput(
				explainer.ensemble,
				lib.subarray(i * X.cols, (i + 1) * X.cols),
			);
			worst = Math.max(worst, Math.abs(total - margin));
			// A categorical's contribution is the sum of its one-hot columns'.
			let oneHot = 0;
			X.columns.forEach((c, j) => {
				if (c.startsWith(`${categorical.name}=`))
					oneHot += perColumn.values[i * (X.cols + 1) + j];
			});
			expect(e.values[i * F + g]).toBeCloseTo(oneHot, 12);
		}
		expect(worst).toBeLessThan(1e-9);
		// Its raw scores are the model's own.
		const own = predictWithArtifact(model(), loadedModel(), gold).raw;
		expect(Array.from(e.raw)).toEqual(Array.from(own));
	});

	it("has no explanation for a logistic champion", () => {
		expect(explainCustomers(gold, logistic.artifact)).toBeUndefined();
	});

	// Trains a full-size CART: the full suite only (test/support/fast-subset.ts).
	it.skipIf(IN_FAST_SUBSET)(
		"explains a CART champion in raw-score units; a default forest is too costly to explain here",
		async () => {
			const registry = new LocalModelRegistry(root);
			const cart = await trainAndRegister(gold, {
				runId: "run-c",
				registry,
				gate: 0,
				seed: 3,
				algorithm: "cart",
			});
			const e = explainCustomers(gold, cart.artifact);
			if (!e) throw new Error("no explanation for a CART champion");
			expect(e.output).toBe("probability");
			const F = e.features.length;
			for (let i = 0; i < gold.numRows(); i++) {
				let total = e.bias;
				for (let g = 0; g < F; g++) total += e.values[i * F + g];
				expect(Math.abs(total - e.raw[i])).toBeLessThan(1e-9);
			}
			const forest = await trainAndRegister(gold, {
				runId: "run-f",
				registry,
				gate: 0,
				seed: 3,
				algorithm: "random_forest",
			});
			const explainer = treeExplainerFor(forest.artifact.model);
			expect(explainer?.costPerRow).toBeGreaterThan(MAX_EXPLAIN_COST_PER_ROW);
			expect(explainCustomers(gold, forest.artifact)).toBeUndefined();
		},
	);

	it("global importance is the mean |contribution| per feature, most important first", () => {
		const e = explainCustomers(gold, model());
		if (!e) throw new Error("no explanation");
		const imp = importanceTable(e).objects() as {
			feature: string;
			rank: number;
			mean_abs_contribution: number;
		}[];
		expect(imp).toHaveLength(e.features.length);
		const c = contributionsTable(e);
		for (const row of imp.slice(0, 5)) {
			const col = Array.from(c.array(row.feature) as ArrayLike<number>);
			const m = col.reduce((s, v) => s + Math.abs(v), 0) / col.length;
			expect(row.mean_abs_contribution).toBeCloseTo(m, 12);
		}
		for (let r = 1; r < imp.length; r++)
			expect(imp[r].mean_abs_contribution).toBeLessThanOrEqual(
				imp[r - 1].mean_abs_contribution,
			);
		// The fixture's churn drivers are where the model looks.
		const top = imp.slice(0, 12).map((r) => r.feature);
		expect(
			top.some((f) =>
				[
					"is_within_3m_of_renewal",
					"months_to_renewal",
					"renewal_bucket",
					"is_negative_sentiment",
					"sentiment_label",
					"customer_intent",
					"is_cancellation_intent",
				].includes(f),
			),
		).toBe(true);
	});
});

describe("scoreCustomers with an explanation", () => {
	it("scores exactly as without it and adds each customer's top drivers", () => {
		const e = explainCustomers(gold, model());
		const plain = scoreCustomers(gold, model(), loadedModel()).objects();
		const explained = scoreCustomers(gold, model(), loadedModel(), {
			explanation: e,
		}).objects() as Record<string, unknown>[];
		for (const [i, r] of explained.entries()) {
			expect(r).toMatchObject(plain[i] as Record<string, unknown>);
			const drivers = Array.from({ length: TOP_DRIVERS }, (_, k) => ({
				feature: r[`driver_${k + 1}_feature`] as string,
				value: r[`driver_${k + 1}_contribution`] as number,
			}));
			const F = e?.features.length ?? 0;
			const mine = e?.features.map((f, g) => ({
				f,
				v: e.values[i * F + g],
			}));
			const largest = Math.max(...(mine ?? []).map((m) => Math.abs(m.v)));
			expect(Math.abs(drivers[0].value)).toBeCloseTo(largest, 4);
			for (let k = 1; k < TOP_DRIVERS; k++)
				expect(Math.abs(drivers[k].value)).toBeLessThanOrEqual(
					Math.abs(drivers[k - 1].value) + 1e-4,
				);
			expect(new Set(drivers.map((d) => d.feature)).size).toBe(TOP_DRIVERS);
		}
	});

	it("refuses an explanation of other customers", () => {
		const e = explainCustomers(gold, model());
		const other = gold.slice(0, 10) as Table;
		expect(() =>
			scoreCustomers(other, model(), loadedModel(), { explanation: e }),
		).toThrow(/explanation/);
	});
});

describe("reason codes from contributions", () => {
	const of =
		(m: Record<string, number>) =>
		(f: string): number | undefined =>
			m[f];

	it("orders codes by contribution and keeps at most three", () => {
		expect(
			reasonCodesFromContributions(
				{
					is_within_3m_of_renewal: 1,
					is_negative_sentiment: 1,
					is_high_competition_province: 1,
					tenure_months: 5,
				},
				of({
					is_within_3m_of_renewal: 0.2,
					months_to_renewal: 0.3,
					is_negative_sentiment: 0.9,
					is_high_competition_province: 0.1,
					tenure_months: 0.05,
				}),
			),
		).toEqual([
			"negative_sentiment",
			"renewal_within_3m",
			"high_competition_province",
		]);
	});

	it("never states a fact that does not hold, nor a driver that lowers the risk", () => {
		// Renewal pushes the risk up but the customer is not within 3 months: no code.
		// Sentiment holds but lowers the risk here: no code.
		expect(
			reasonCodesFromContributions(
				{ is_within_3m_of_renewal: 0, is_negative_sentiment: 1 },
				of({ months_to_renewal: 0.8, is_negative_sentiment: -0.2 }),
			),
		).toEqual(["no_single_driver"]);
	});

	it("gives a model-driver code only above the minimum contribution", () => {
		expect(
			reasonCodesFromContributions(
				{},
				of({
					elec_price_trend_12m: MIN_REASON_CONTRIBUTION * 0.5,
					std_monthly_elec_kwh: 0.3,
					is_digital_channel: 0.1,
				}),
			),
		).toEqual(["consumption_pattern", "sales_channel"]);
	});

	it("recommend uses the contributions table and keeps the negative-margin guardrail", () => {
		const g = table({
			customer_id: ["A", "B"],
			avg_monthly_margin: [30, -5],
			is_cancellation_intent: [1, 1],
			is_complaint_intent: [0, 0],
			is_negative_sentiment: [1, 0],
			is_expired_contract: [0, 0],
			is_within_3m_of_renewal: [0, 1],
			is_price_increase: [0, 0],
			is_price_sensitive: [0, 0],
			is_high_competition_province: [0, 0],
			tenure_months: [50, 50],
		}) as Table;
		const scored = table({
			customer_id: ["A", "B"],
			churn_proba: [0.7, 0.7],
		}) as Table;
		const contributions = table({
			customer_id: ["B", "A"],
			is_cancellation_intent: [0.1, 1.2],
			is_negative_sentiment: [0, 0.4],
			is_within_3m_of_renewal: [0.6, 0],
			bias: [-2, -2],
		}) as Table;
		const recs = recommend(scored, g, contributions);
		expect(recs.map((r) => r.reasonCodes.join("|"))).toEqual([
			"cancellation_intent|negative_sentiment",
			"renewal_within_3m|cancellation_intent|negative_margin_no_offer",
		]);
		expect(recs[1]).toMatchObject({ action: "no_offer", offerBudgetEur: 0 });
		// Without contributions: the rules, as before.
		expect(recommend(scored, g)[0].reasonCodes).toEqual([
			"cancellation_intent",
			"negative_sentiment",
		]);
		// A scored customer without contributions is refused.
		const partial = contributions.filter(
			(d: { customer_id: string }) => d.customer_id === "A",
		) as Table;
		expect(() => recommend(scored, g, partial)).toThrow(/no contributions/);
	});
});
