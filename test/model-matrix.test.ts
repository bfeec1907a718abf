import { table } from "arquero";
import { describe, expect, it } from "vitest";
import { ModelInputError } from "../runtime/errors.ts";
import { PRODUCTION_FEATURES } from "../runtime/features/feature-sets.ts";
import type { Table } from "../runtime/io/tables.ts";
import {
	assertFinite,
	buildMatrix,
	fitPreprocessor,
	labelsOf,
} from "../runtime/model/matrix.ts";
import { modelSplits, stratifiedSplit } from "../runtime/model/split.ts";
import { IN_FAST_SUBSET } from "./support/fast-subset.ts";
import { makeGold } from "./support/gold-fixture.ts";

/** A tiny gold-like table with hand-checkable columns. */
function tiny(): Table {
	return table({
		customer_id: ["A", "B", "C", "D", "E"],
		churn: [0, 1, 0, 1, 0],
		tenure_months: [10, null, 30, 40, 1000],
		last_interaction_days_ago: [5, null, 20, null, 7],
		is_negative_sentiment: [1, null, 0, 1, 0],
		customer_intent: [
			"Complaint / Escalation",
			null,
			"Billing / Payment",
			null,
			"Other / Unclassified",
		],
		segment: ["Residential", "SME", "Residential", "Corporate", "SME"],
	}) as Table;
}
const FEATURES = [
	"tenure_months",
	"last_interaction_days_ago",
	"is_negative_sentiment",
	"customer_intent",
	"segment",
];

describe("stratified split", () => {
	const keys = Array.from({ length: 1000 }, (_, i) => `C${i}`);
	const labels = keys.map((_, i) => (i % 10 === 0 ? 1 : 0)); // 100 positives

	it("is 80/20 within each class, disjoint and complete", () => {
		const s = stratifiedSplit(keys, labels, 0.2, 42);
		expect(s.test.length).toBe(200);
		expect(s.test.filter((i) => labels[i] === 1).length).toBe(20);
		expect(new Set([...s.train, ...s.test]).size).toBe(1000);
	});

	// Big table: the full suite only (test/support/fast-subset.ts).
	it.skipIf(IN_FAST_SUBSET)(
		"splits a million customers (a 200 k batch overflowed the stack with push(...spread))",
		() => {
			const n = 1_000_000;
			const big = Array.from({ length: n }, (_, i) => `C${i}`);
			const y = Int8Array.from(big, (_, i) => (i % 10 === 0 ? 1 : 0));
			const s = stratifiedSplit(big, y, 0.2, 42);
			expect(s.test.length + s.train.length).toBe(n);
			expect(s.test.length).toBe(200_000);
		},
	);

	it("is deterministic by seed and independent of row order", () => {
		const a = stratifiedSplit(keys, labels, 0.2, 42);
		const b = stratifiedSplit(keys, labels, 0.2, 42);
		expect(b).toEqual(a);
		const c = stratifiedSplit(keys, labels, 0.2, 43);
		expect(c.test).not.toEqual(a.test);
		// Same customers in reverse order → the same customers in test.
		const rev = stratifiedSplit(
			[...keys].reverse(),
			[...labels].reverse(),
			0.2,
			42,
		);
		const testIds = (s: { test: number[] }, k: string[]) =>
			s.test.map((i) => k[i]).sort();
		expect(testIds(rev, [...keys].reverse())).toEqual(testIds(a, keys));
	});

	it("sub-splits train 75/25, stratified, inside train only", () => {
		const s = modelSplits(keys, labels, 7);
		expect(s.subTrain.length).toBe(600);
		expect(s.holdout.length).toBe(200);
		expect(s.holdout.filter((i) => labels[i] === 1).length).toBe(20);
		const test = new Set(s.test);
		expect([...s.subTrain, ...s.holdout].some((i) => test.has(i))).toBe(false);
		expect(new Set([...s.subTrain, ...s.holdout]).size).toBe(800);
	});

	it("rejects labels other than 0/1 naming the customer", () => {
		expect(() => stratifiedSplit(["A", "B"], [0, 2], 0.5, 1)).toThrow(
			/customer B/,
		);
	});
});

describe("fills and preprocessing", () => {
	it("applies the docs/data-contract.md §6 fills and medians learned on training rows only", () => {
		const t = tiny();
		const pre = fitPreprocessor(t, FEATURES, [0, 1, 2]); // train = A, B, C
		// tenure: median of A, C (B null) = (10 + 30) / 2 = 20; row E's 1000 is not seen.
		expect(pre.numeric.find((s) => s.name === "tenure_months")?.median).toBe(
			20,
		);
		const X = buildMatrix(t, pre);
		const col = (name: string) =>
			Array.from(
				{ length: X.rows },
				(_, i) => X.data[i * X.cols + X.columns.indexOf(name)],
			);
		expect(col("tenure_months")).toEqual([10, 20, 30, 40, 1000]);
		expect(col("last_interaction_days_ago")).toEqual([5, 9999, 20, 9999, 7]);
		expect(col("is_negative_sentiment")).toEqual([1, 0, 0, 1, 0]);
		// null intent → "no_interaction" category; "Other / Unclassified" unseen in training → all zeros.
		expect(col("customer_intent=no_interaction")).toEqual([0, 1, 0, 1, 0]);
		expect(col("customer_intent=Complaint / Escalation")).toEqual([
			1, 0, 0, 0, 0,
		]);
		expect(
			X.columns.filter((c) => c.startsWith("customer_intent=")),
		).toHaveLength(3);
		// Corporate was not in training: no column, row D all zero in segment columns.
		expect(X.columns.filter((c) => c.startsWith("segment="))).toEqual([
			"segment=Residential",
			"segment=SME",
		]);
		expect(col("segment=Residential")[3] + col("segment=SME")[3]).toBe(0);
	});

	it("standardises numerics with training mean and population std (linear models)", () => {
		const t = tiny();
		const pre = fitPreprocessor(t, ["tenure_months"], [0, 1, 2], {
			standardize: true,
		});
		// imputed training column: 10, 20, 30 → mean 20, population std sqrt(200/3)
		const sd = Math.sqrt(200 / 3);
		expect(pre.numeric[0].mean).toBe(20);
		expect(pre.numeric[0].scale).toBeCloseTo(sd, 12);
		const X = buildMatrix(t, pre, [3]);
		expect(X.data[0]).toBeCloseTo(20 / sd, 12);
	});

	it("survives a JSON round trip (saved with the model)", () => {
		const t = tiny();
		const pre = fitPreprocessor(t, FEATURES, [0, 1, 2], { standardize: true });
		const again = JSON.parse(JSON.stringify(pre));
		expect(buildMatrix(t, again).data).toEqual(buildMatrix(t, pre).data);
	});

	it("refuses a non-finite value, naming column, row and customer", () => {
		const t = table({
			customer_id: ["A", "B"],
			churn: [0, 1],
			tenure_months: [3, Number.POSITIVE_INFINITY],
		}) as Table;
		expect(() => fitPreprocessor(t, ["tenure_months"], [0, 1])).toThrow(
			ModelInputError,
		);
		expect(() => fitPreprocessor(t, ["tenure_months"], [0, 1])).toThrow(
			/"tenure_months", row 2 \(customer B\)/,
		);
		const pre = fitPreprocessor(t, ["tenure_months"], [0]);
		expect(() => buildMatrix(t, pre)).toThrow(/customer B.*not finite/);
	});

	it("refuses a missing column and a text value in a numeric column", () => {
		const t = table({
			customer_id: ["A"],
			churn: [0],
			tenure_months: ["ten"],
		}) as Table;
		expect(() => fitPreprocessor(t, ["tenure_months"], [0])).toThrow(
			/"tenure_months", row 1.*expected a number/,
		);
		expect(() => fitPreprocessor(t, ["months_to_renewal"], [0])).toThrow(
			/no column "months_to_renewal"/,
		);
	});

	it("assertFinite names the matrix column and customer", () => {
		const m = {
			rows: 2,
			cols: 2,
			data: Float64Array.from([1, 2, 3, Number.NaN]),
			columns: ["a", "b"],
		};
		expect(() => assertFinite(m, ["X1", "X2"])).toThrow(
			/column "b", row 2 \(customer X2\)/,
		);
	});

	it("labels must be 0/1", () => {
		const t = table({ customer_id: ["A", "B"], churn: [0, null] }) as Table;
		expect(() => labelsOf(t)).toThrow(/row 2 \(customer B\)/);
	});

	it("builds a finite E5 matrix from a gold-shaped table", () => {
		const gold = makeGold({ rows: 500, seed: 3 });
		const pre = fitPreprocessor(
			gold,
			PRODUCTION_FEATURES,
			Array.from({ length: 400 }, (_, i) => i),
		);
		const X = buildMatrix(gold, pre);
		expect(X.rows).toBe(500);
		expect(X.cols).toBe(pre.columns.length);
		expect(X.cols).toBeGreaterThan(PRODUCTION_FEATURES.length); // one-hot widened the categoricals
		expect(X.data.every(Number.isFinite)).toBe(true);
	});
});
