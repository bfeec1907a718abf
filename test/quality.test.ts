import * as aq from "arquero";
import { describe, expect, it } from "vitest";
import {
	BRONZE_CUSTOMER_CONTRACT,
	BRONZE_CUSTOMER_MONTH_CONTRACT,
} from "../runtime/data/bronze/contracts.ts";
import {
	SILVER_CUSTOMER_CONTRACT,
	SILVER_CUSTOMER_MONTH_CONTRACT,
} from "../runtime/data/silver/contracts.ts";
import { DataQualityError } from "../runtime/errors.ts";
import { GOLD_CONTRACT } from "../runtime/features/gold-contract.ts";
import {
	type ColumnContract,
	checkTable,
	DEFAULT_TOLERANCES,
	maxNullRateOf,
	resolveTolerances,
	type TableContract,
} from "../runtime/monitoring/quality.ts";

describe("checkTable", () => {
	const contract: TableContract = {
		table: "t",
		key: ["id"],
		keyReason: "one row per id",
		columns: [
			{ name: "id", type: "string", reason: "the key" },
			{
				name: "x",
				type: "number",
				min: 0,
				maxNullRate: 0.5,
				reason: "x is a count",
			},
			{ name: "flag", type: "flag", reason: "a flag" },
		],
	};
	it("passes a clean table", () => {
		const r = checkTable(
			contract,
			aq.table({ id: ["a", "b"], x: [1, null], flag: [0, 1] }),
		);
		expect(r.passed).toBe(true);
		expect(r.columns.find((c) => c.name === "x")?.nullRate).toBe(0.5);
	});
	it("reports duplicates, ranges, types, nulls and missing columns", () => {
		const r = checkTable(
			contract,
			aq.table({ id: ["a", "a", "c"], x: [-1, null, null], flag: [0, 2, 1] }),
		);
		const rules = r.violations.map((v) => `${v.column ?? ""}:${v.rule}`).sort();
		expect(rules).toEqual([
			":key_unique",
			"flag:type",
			"x:null_rate",
			"x:range",
		]);
		expect(r.passed).toBe(false);
		const missing = checkTable(contract, aq.table({ id: ["a"] }));
		expect(missing.violations.map((v) => v.column)).toEqual(["x", "flag"]);
	});
	it("names the rule's reason in the violation and the error message", () => {
		const r = checkTable(
			contract,
			aq.table({ id: ["a", "a"], x: [-1, 2], flag: [0, 1] }),
		);
		expect(r.violations.map((v) => v.reason)).toEqual([
			"x is a count",
			"one row per id",
		]);
		const message = new DataQualityError(r.violations).message;
		expect(message).toContain("t.x [range] 1 values outside [0, inf]");
		expect(message).toContain("— rule: x is a count");
	});
	it("resolves a tolerance-named null allowance from the run's tolerances", () => {
		const tolerated: TableContract = {
			table: "t",
			columns: [
				{
					name: "x",
					type: "number",
					maxNullRate: "maxInvalidShare",
					reason: "joined, may miss",
				},
			],
		};
		// 1 null in 50 rows = 2 %: over the 1 % default, under a 5 % tolerance.
		const t = aq.table({ x: [null, ...Array(49).fill(1)] });
		const strict = checkTable(tolerated, t);
		expect(strict.passed).toBe(false);
		expect(strict.violations[0].detail).toBe(
			"null rate 2.00% (1 of 50) exceeds 1.00% (maxInvalidShare)",
		);
		expect(
			checkTable(tolerated, t, resolveTolerances({ maxInvalidShare: 0.05 }))
				.passed,
		).toBe(true);
	});
	it("rejects a tolerance that is not a share", () => {
		expect(() => resolveTolerances({ maxInvalidShare: 1.5 })).toThrow(
			/maxInvalidShare must be a share in \[0, 1\]/,
		);
		expect(() =>
			resolveTolerances({ maxImputedPriceShare: Number.NaN }),
		).toThrow(RangeError);
		expect(resolveTolerances(undefined)).toEqual(DEFAULT_TOLERANCES);
	});
});

const LAYERS: readonly TableContract[] = [
	BRONZE_CUSTOMER_CONTRACT,
	BRONZE_CUSTOMER_MONTH_CONTRACT,
	SILVER_CUSTOMER_CONTRACT,
	SILVER_CUSTOMER_MONTH_CONTRACT,
	GOLD_CONTRACT,
];

/** The error-severity range of a column ([min, max], open ends infinite). */
const errorRange = (c: ColumnContract): [number, number] =>
	(c.severity ?? "error") === "error"
		? [c.min ?? -Infinity, c.max ?? Infinity]
		: [-Infinity, Infinity];

/**
 * Columns a downstream layer fills, so it may allow fewer nulls than the
 * layer it reads.
 */
const filledDownstream = (down: TableContract, c: ColumnContract) =>
	// silver's translateSalesChannel writes "Unknown" for a missing label
	c.name === "sales_channel" ||
	// gold writes an unknown flag as 0 ("not flagged")
	(down === GOLD_CONTRACT && c.type === "flag");

describe("the contracts of all layers", () => {
	it("give every rule its reason in one line", () => {
		for (const contract of LAYERS) {
			if (contract.key)
				expect(contract.keyReason, `${contract.table} key`).toMatch(/\S/);
			for (const c of contract.columns) {
				expect(c.reason, `${contract.table}.${c.name}`).toMatch(/\S/);
				expect(c.reason, `${contract.table}.${c.name}`).not.toContain("\n");
			}
		}
	});

	it("agree on nulls of carried columns and never narrow a hard range downstream", () => {
		const pairs: [TableContract, TableContract][] = [
			[BRONZE_CUSTOMER_CONTRACT, SILVER_CUSTOMER_CONTRACT],
			[BRONZE_CUSTOMER_MONTH_CONTRACT, SILVER_CUSTOMER_MONTH_CONTRACT],
			[SILVER_CUSTOMER_CONTRACT, GOLD_CONTRACT],
		];
		// Under any tolerances, not only the defaults.
		for (const tolerances of [
			DEFAULT_TOLERANCES,
			{ ...DEFAULT_TOLERANCES, maxInvalidShare: 0.3, maxImputedPriceShare: 0 },
			{ ...DEFAULT_TOLERANCES, maxInvalidShare: 0, maxImputedPriceShare: 0.4 },
		])
			for (const [up, down] of pairs)
				for (const d of down.columns) {
					const u = up.columns.find((c) => c.name === d.name);
					if (!u) continue;
					const what = `${up.table} → ${down.table}.${d.name}`;
					// A column carried as it is allows the same nulls in both layers
					// (bronze once stopped at 50 % blank gas tariffs that silver allowed).
					if (!filledDownstream(down, d))
						expect(maxNullRateOf(d, tolerances), what).toBe(
							maxNullRateOf(u, tolerances),
						);
					const [uMin, uMax] = errorRange(u);
					const [dMin, dMax] = errorRange(d);
					expect(dMin, what).toBeLessThanOrEqual(uMin);
					expect(dMax, what).toBeGreaterThanOrEqual(uMax);
				}
	});
});
