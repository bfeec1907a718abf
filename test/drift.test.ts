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
	driftReference,
	driftReport,
	numericFeatures,
	PREDICTION_COLUMN,
} from "../runtime/monitoring/drift.ts";
import { ks2samp } from "../runtime/monitoring/ks.ts";
import { makeGold } from "./support/gold-fixture.ts";

const gold = makeGold({ rows: 1500, seed: 11 });
const NUMERIC = numericFeatures(PRODUCTION_FEATURES);
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
		expect(r.features.map((f) => f.feature)).toEqual(NUMERIC);
		expect(r.anyDrift).toBe(false);
		expect(r.driftedFeatures).toEqual([]);
		for (const f of r.features.filter((x) => x.method !== "none")) {
			expect(f.statistic).toBe(0);
			expect(f.pvalue).toBe(1);
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
		expect(ref.columnNames()).toEqual([...NUMERIC, PREDICTION_COLUMN]);
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
		).toEqual(["tenure_months"]);
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
