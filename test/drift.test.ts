import * as aq from "arquero";
import { describe, expect, it } from "vitest";
import { DataQualityError, ModelInputError } from "../runtime/errors.ts";
import {
	CATEGORICAL_FEATURES,
	PRODUCTION_FEATURES,
} from "../runtime/features/feature-sets.ts";
import {
	parquetToTable,
	type Table,
	tableToParquet,
} from "../runtime/io/tables.ts";
import {
	DEFAULT_DRIFT_THRESHOLDS,
	driftDistributions,
	driftFeatures,
	driftReference,
	driftReport,
	featureType,
	numericFeatures,
	PREDICTION_COLUMN,
} from "../runtime/monitoring/drift.ts";
import { ks2samp } from "../runtime/monitoring/ks.ts";
import { makeGold } from "./support/gold-fixture.ts";

const gold = makeGold({ rows: 1500, seed: 11 });
const NUMERIC = numericFeatures(PRODUCTION_FEATURES);
const ALL = driftFeatures(PRODUCTION_FEATURES);
/** Deterministic scores in [0, 1]. */
const scores = Float64Array.from(
	{ length: gold.numRows() },
	(_, i) => ((i * 0.6180339887498949) % 1) ** 2,
);

describe("numericFeatures", () => {
	it("keeps the numeric production features, in order, without the categoricals", () => {
		expect(NUMERIC.length).toBe(PRODUCTION_FEATURES.length - 7);
		expect(NUMERIC.some((f) => CATEGORICAL_FEATURES.has(f))).toBe(false);
		expect(NUMERIC[0]).toBe("months_to_renewal");
		expect(
			numericFeatures(["segment", "tenure_months", "tenure_months"]),
		).toEqual(["tenure_months"]);
	});
});

describe("driftReport", () => {
	const reference = driftReference(gold, PRODUCTION_FEATURES, scores);

	it("finds nothing when a table is compared with itself", () => {
		const r = driftReport(reference, reference, {
			features: PRODUCTION_FEATURES,
			predictionColumn: PREDICTION_COLUMN,
		});
		expect(r.alpha).toBe(0.01);
		expect(r.thresholds).toEqual(DEFAULT_DRIFT_THRESHOLDS);
		expect(r.features.map((f) => f.feature)).toEqual(ALL);
		// Every type is tested: the categoricals by chi-square, flags too.
		expect(r.features.find((f) => f.feature === "segment")).toMatchObject({
			featureType: "categorical",
			test: "chi2",
		});
		expect(r.features.find((f) => f.feature === "is_dual_fuel")).toMatchObject({
			featureType: "binary",
			test: "chi2",
		});
		expect(r.anyDrift).toBe(false);
		expect(r.driftedFeatures).toEqual([]);
		for (const f of r.features.filter((x) => x.method !== "none")) {
			expect(f.statistic).toBe(0);
			expect(f.pvalue).toBe(1);
			expect(f.effectSize).toBe(0);
			expect(f.psi).toBe(0);
			expect(f.currentMean).toBe(f.referenceMean);
		}
		expect(r.prediction).toMatchObject({
			feature: PREDICTION_COLUMN,
			statistic: 0,
			pvalue: 1,
			drifted: false,
		});
	});

	it("flags exactly the shifted features and the shifted prediction", () => {
		const shifted = [
			"avg_monthly_elec_kwh",
			"tenure_months",
			"months_to_renewal",
		];
		const current = reference.derive({
			avg_monthly_elec_kwh: (d: Record<string, number>) =>
				d.avg_monthly_elec_kwh * 1.5,
			tenure_months: (d: Record<string, number>) => d.tenure_months + 24,
			months_to_renewal: (d: Record<string, number>) => d.months_to_renewal - 2,
			churn_proba: (d: Record<string, number>) =>
				Math.min(1, d.churn_proba + 0.2),
		}) as Table;
		const r = driftReport(reference, current, {
			features: PRODUCTION_FEATURES,
			predictionColumn: PREDICTION_COLUMN,
		});
		expect([...r.driftedFeatures].sort()).toEqual([...shifted].sort());
		expect(r.prediction?.drifted).toBe(true);
		expect(r.anyDrift).toBe(true);
		for (const f of r.features) {
			if (shifted.includes(f.feature)) {
				expect(f.pvalue).toBeLessThan(1e-6);
				expect(f.method).toBe("exact"); // 1,500 vs 1,500 rows
			} else if (f.method !== "none") {
				expect(f.pvalue).toBe(1);
			}
		}
		const tenure = r.features.find((f) => f.feature === "tenure_months");
		expect(tenure?.currentMean).toBeCloseTo(
			(tenure?.referenceMean ?? 0) + 24,
			9,
		);
	});

	it("reports ks2samp's numbers, drops nulls per side and computes means", () => {
		const ref = aq.table({
			x: [1, 2, 3, 4, 5, null],
			s: ["a", "b", "c", "d", "e", "f"],
		}) as Table;
		const cur = aq.table({
			x: [null, 3.5, 6, 7, 8, 9],
			s: ["a", "b", "c", "d", "e", "f"],
		}) as Table;
		const r = driftReport(ref, cur, { features: ["x"], alpha: 0.1 });
		const x = r.features[0];
		expect(x).toMatchObject({
			referenceSize: 5,
			currentSize: 5,
			referenceMean: 3,
			currentMean: 6.7,
			method: "exact",
		});
		expect(x.statistic).toBe(0.8);
		expect(x.pvalue).toBeCloseTo(5 / 63, 15); // 2·C(10,1)/C(10,5)
		expect(x.drifted).toBe(true); // 0.079 < 0.1
		expect(driftReport(ref, cur, { features: ["x"] }).anyDrift).toBe(false); // 0.079 >= 0.01
		expect(x.pvalue).toBe(ks2samp([1, 2, 3, 4, 5], [3.5, 6, 7, 8, 9]).pvalue);
	});

	it("reports, without drift, a feature with no value on one side", () => {
		const ref = aq.table({
			last_interaction_days_ago: [10, 20, 30],
			tenure_months: [1, 2, 3],
		}) as Table;
		const cur = aq.table({
			last_interaction_days_ago: [null, null, null],
			tenure_months: [1, 2, 3],
		}) as Table;
		const r = driftReport(ref, cur, {
			features: ["last_interaction_days_ago", "tenure_months"],
		});
		expect(r.features[0]).toMatchObject({
			feature: "last_interaction_days_ago",
			method: "none",
			drifted: false,
			referenceSize: 3,
			currentSize: 0,
			currentMean: null,
			reason: "no non-null value in the current data",
		});
		expect(r.features[0].pvalue).toBeNaN();
		expect(r.anyDrift).toBe(false);
	});

	it("names table, column and row of bad input", () => {
		const ok = aq.table({ tenure_months: [1, 2, 3] }) as Table;
		const text = aq.table({ tenure_months: [1, "two", 3] }) as Table;
		expect(() =>
			driftReport(ok, text, { features: ["tenure_months"] }),
		).toThrow(DataQualityError);
		expect(() =>
			driftReport(ok, text, { features: ["tenure_months"] }),
		).toThrow(/drift_current\.tenure_months \[numeric\] row 2 holds "two"/);
		expect(() => driftReport(ok, ok, { features: ["std_margin"] })).toThrow(
			/drift_reference\.std_margin \[column_present\]/,
		);
		expect(() =>
			driftReport(ok, ok, { features: ["tenure_months"], alpha: 0 }),
		).toThrow(RangeError);
	});
});

describe("driftReference", () => {
	it("keeps the numeric features (nulls as null) and adds the scores", () => {
		const ref = driftReference(gold, PRODUCTION_FEATURES, scores);
		expect(ref.columnNames()).toEqual([...ALL, PREDICTION_COLUMN]);
		expect(
			Array.from(ref.array("segment") as ArrayLike<string>).slice(0, 20),
		).toEqual(
			Array.from(gold.array("segment") as ArrayLike<string>).slice(0, 20),
		);
		expect(ref.numRows()).toBe(gold.numRows());
		expect(
			Array.from(ref.array(PREDICTION_COLUMN) as ArrayLike<number>),
		).toEqual(Array.from(scores));
		const goldDays = Array.from(
			gold.array("last_interaction_days_ago") as ArrayLike<number | null>,
		);
		expect(goldDays.some((v) => v === null)).toBe(true);
		expect(
			Array.from(
				ref.array("last_interaction_days_ago") as ArrayLike<number | null>,
			),
		).toEqual(goldDays);
		expect(
			driftReference(gold, ["segment", "tenure_months"]).columnNames(),
		).toEqual(["segment", "tenure_months"]);
	});

	it("survives a Parquet round trip and still compares equal to itself", () => {
		const ref = driftReference(gold, PRODUCTION_FEATURES, scores);
		const back = parquetToTable(tableToParquet(ref));
		const r = driftReport(back, ref, {
			features: PRODUCTION_FEATURES,
			predictionColumn: PREDICTION_COLUMN,
		});
		expect(r.anyDrift).toBe(false);
		expect(
			r.features
				.filter((f) => f.method !== "none")
				.every((f) => f.statistic === 0),
		).toBe(true);
	});

	it("rejects scores that do not match the rows or are not finite", () => {
		expect(() =>
			driftReference(gold, ["tenure_months"], new Float64Array(3)),
		).toThrow(ModelInputError);
		const bad = scores.slice();
		bad[4] = Number.NaN;
		expect(() => driftReference(gold, ["tenure_months"], bad)).toThrow(/row 5/);
	});
});

/** n evenly spaced values on [0, 1] (mean 0.5, population sd 1/√12), shifted by `by`. */
const grid = (n: number, by = 0) =>
	Float64Array.from({ length: n }, (_, i) => (i + 0.5) / n + by);

describe("drift is called on significance and effect size together", () => {
	const n = 50_000;
	const reference = aq.table({ x: grid(n) }) as Table;

	it("a shift of 0.07 sd at 50,000 rows is significant but too small to be drift", () => {
		const current = aq.table({ x: grid(n, 0.02) }) as Table;
		const [x] = driftReport(reference, current, { features: ["x"] }).features;
		// scipy: ks_2samp(x, x + 0.02) → D 0.02002, p 3.9018e-09 (asymptotic, n > 10,000).
		expect(x).toMatchObject({
			featureType: "continuous",
			test: "ks",
			method: "asymp",
			effectMetric: "wasserstein_normed",
			significant: true,
			large: false,
			drifted: false,
		});
		expect(x.statistic).toBeCloseTo(0.02002, 10);
		expect(x.pvalue).toBeLessThan(1e-8);
		// Wasserstein 0.02 over sd 1/√12 (scipy: 0.069282032).
		expect(x.effectSize).toBeCloseTo(0.02 * Math.sqrt(12), 9);
		// The same shift is drift once the effect threshold is lowered.
		const strict = driftReport(reference, current, {
			features: ["x"],
			thresholds: { wasserstein: 0.05 },
		});
		expect(strict.thresholds).toMatchObject({ alpha: 0.01, wasserstein: 0.05 });
		expect(strict.driftedFeatures).toEqual(["x"]);
	});

	it("a shift of 0.21 sd is drift", () => {
		const current = aq.table({ x: grid(n, 0.06) }) as Table;
		const r = driftReport(reference, current, { features: ["x"] });
		expect(r.features[0]).toMatchObject({ significant: true, large: true });
		expect(r.features[0].effectSize).toBeCloseTo(0.06 * Math.sqrt(12), 9);
		expect(r.driftedFeatures).toEqual(["x"]);
		expect(r.anyDrift).toBe(true);
	});

	it("a large effect on a tiny sample is not drift (not significant)", () => {
		const ref = aq.table({ x: [1, 2, 3, 4] }) as Table;
		const cur = aq.table({ x: [2, 3, 4, 5] }) as Table;
		const [x] = driftReport(ref, cur, { features: ["x"] }).features;
		expect(x.large).toBe(true); // 1 / sd(1..4) = 0.894
		expect(x.significant).toBe(false);
		expect(x.drifted).toBe(false);
	});

	it("a binary flag is tested with chi-square, not KS", () => {
		const flags = (ones: number, n: number) =>
			Array.from({ length: n }, (_, i) => (i < ones ? 1 : 0));
		const ref = aq.table({ is_dual_fuel: flags(500, 1000) }) as Table;
		const cur = aq.table({ is_dual_fuel: flags(700, 1000) }) as Table;
		const [f] = driftReport(ref, cur, { features: ["is_dual_fuel"] }).features;
		// scipy.stats.chi2_contingency([[500, 500], [300, 700]]) (Yates, dof 1):
		// 82.50208333333333, p 1.0555881644886102e-19.
		expect(f).toMatchObject({
			featureType: "binary",
			test: "chi2",
			method: "chi2",
			dof: 1,
			effectMetric: "jensen_shannon",
			referenceMean: 0.5,
			currentMean: 0.7,
			drifted: true,
		});
		expect(f.statistic).toBeCloseTo(82.50208333333333, 10);
		expect(f.pvalue / 1.0555881644886102e-19).toBeCloseTo(1, 9);
		// scipy.spatial.distance.jensenshannon([.5, .5], [.3, .7]) = 0.14493421163354434.
		expect(f.effectSize).toBeCloseTo(0.14493421163354434, 12);
		// PSI: (0.3 − 0.5)·ln 0.6 + (0.7 − 0.5)·ln 1.4.
		expect(f.psi).toBeCloseTo(0.16945957207744072, 12);
	});

	it("a categorical feature with a new category: chi-square over the union of categories", () => {
		const cats = (spec: Record<string, number>) =>
			Object.entries(spec).flatMap(([k, n]) => Array(n).fill(k));
		const ref = aq.table({
			segment: cats({ Residential: 600, SME: 400 }),
		}) as Table;
		const cur = aq.table({
			segment: [...cats({ Residential: 500, SME: 300, Industrial: 200 })],
		}) as Table;
		const [s] = driftReport(ref, cur, { features: ["segment"] }).features;
		// scipy.stats.chi2_contingency([[600, 400, 0], [500, 300, 200]]):
		// 223.37662337662337, p 3.1216380135461806e-49, dof 2.
		expect(s).toMatchObject({
			featureType: "categorical",
			test: "chi2",
			dof: 2,
			referenceSize: 1000,
			currentSize: 1000,
			referenceMean: null,
			drifted: true,
		});
		expect(s.statistic).toBeCloseTo(223.37662337662337, 9);
		expect(s.pvalue / 3.1216380135461806e-49).toBeCloseTo(1, 8);
		// An empty reference share counts as 1e-4 in the PSI: the new category dominates it.
		expect(s.psi).toBeCloseTo(
			(0.5 - 0.6) * Math.log(0.5 / 0.6) +
				(0.3 - 0.4) * Math.log(0.3 / 0.4) +
				(0.2 - 1e-4) * Math.log(0.2 / 1e-4),
			12,
		);
	});

	it("an unchanged categorical mix at a different size is not drift", () => {
		const ref = aq.table({
			sentiment_label: [
				...Array(300).fill("negative"),
				...Array(700).fill("neutral"),
			],
		}) as Table;
		const cur = aq.table({
			sentiment_label: [
				...Array(900).fill("negative"),
				...Array(2100).fill("neutral"),
			],
		}) as Table;
		const [s] = driftReport(ref, cur, {
			features: ["sentiment_label"],
		}).features;
		expect(s.statistic).toBe(0);
		expect(s.pvalue).toBe(1);
		expect(s.effectSize).toBe(0);
		expect(s.drifted).toBe(false);
	});

	it("a categorical feature missing from an older reference is reported, not an error", () => {
		const ref = aq.table({ tenure_months: [1, 2, 3] }) as Table;
		const cur = aq.table({
			tenure_months: [1, 2, 3],
			segment: ["SME", "SME", "Residential"],
		}) as Table;
		const r = driftReport(ref, cur, {
			features: ["tenure_months", "segment"],
		});
		expect(r.features[1]).toMatchObject({
			feature: "segment",
			test: "none",
			drifted: false,
			reason:
				"not in the reference (written before categorical features were checked)",
		});
	});

	it("rejects thresholds that are not numbers ≥ 0", () => {
		const t = aq.table({ x: [1, 2] }) as Table;
		expect(() =>
			driftReport(t, t, { features: ["x"], thresholds: { jensenShannon: -1 } }),
		).toThrow(RangeError);
		expect(() =>
			driftReport(t, t, { features: ["x"], thresholds: { alpha: 1 } }),
		).toThrow(RangeError);
	});

	it("featureType follows the feature lists", () => {
		expect(featureType("segment")).toBe("categorical");
		expect(featureType("is_price_increase")).toBe("binary");
		expect(featureType("avg_monthly_elec_kwh")).toBe("continuous");
	});
});

describe("driftDistributions", () => {
	it("bins a continuous feature on the reference's deciles and counts categories", () => {
		const ref = aq.table({
			x: Array.from({ length: 100 }, (_, i) => i + 1),
			segment: [...Array(70).fill("Residential"), ...Array(30).fill("SME")],
		}) as Table;
		const cur = aq.table({
			x: Array.from({ length: 50 }, (_, i) => i + 51),
			segment: [...Array(25).fill("SME"), ...Array(25).fill("Industrial")],
		}) as Table;
		const only = driftDistributions(ref, undefined, ["x"]);
		expect(only.map((b) => b.bin)).toEqual([
			"≤ 10",
			"10 – 20",
			"20 – 30",
			"30 – 40",
			"40 – 50",
			"50 – 60",
			"60 – 70",
			"70 – 80",
			"80 – 90",
			"> 90",
		]);
		expect(only.every((b) => b.referenceShare === 0.1)).toBe(true);
		expect(only.every((b) => b.currentShare === null)).toBe(true);
		const both = driftDistributions(ref, cur, ["x", "segment"]);
		const x = both.filter((b) => b.feature === "x");
		expect(x.map((b) => b.currentCount)).toEqual([
			0, 0, 0, 0, 0, 10, 10, 10, 10, 10,
		]);
		const seg = both.filter((b) => b.feature === "segment");
		expect(seg.map((b) => [b.bin, b.referenceCount, b.currentCount])).toEqual([
			["Residential", 70, 0],
			["SME", 30, 25],
			["Industrial", 0, 25],
		]);
	});
});
