import { describe, expect, it } from "vitest";
import { monthlyPnl, type PnlInputs } from "../runtime/data/silver/pnl.ts";
import {
	type CustomerMonthIndex,
	imputePriceColumn,
	median,
} from "../runtime/data/silver/price-imputation.ts";

const N = Number.NaN;

/** Rows of [customer, is_industrial, month, price, consumption], already sorted by customer and month. */
function fixture(rows: [string, number, string, number, number][]) {
	const blockStarts: number[] = [];
	rows.forEach((r, i) => {
		if (i === 0 || rows[i - 1][0] !== r[0]) blockStarts.push(i);
	});
	blockStarts.push(rows.length);
	const index: CustomerMonthIndex = {
		months: rows.map((r) => r[2]),
		isIndustrial: rows.map((r) => r[1]),
		blockStarts,
	};
	return {
		index,
		price: Float64Array.from(rows.map((r) => r[3])),
		consumption: Float64Array.from(rows.map((r) => r[4])),
	};
}

describe("price imputation", () => {
	// a, b, c, d residential; f, g industrial; h alone in April.
	const { index, price, consumption } = fixture([
		["a", 0, "2024-01", 0.1, 5],
		["a", 0, "2024-02", N, 5], // L1 forward ← 0.10
		["a", 0, "2024-03", 0.12, 5],
		["b", 0, "2024-01", N, 5], // L1 backward ← 0.20 (a donor month with no consumption still has a real price)
		["b", 0, "2024-02", 0.2, 0],
		["b", 0, "2024-03", 0, 5], // 0 counts as missing: L1 forward ← 0.20
		["c", 0, "2024-01", N, 0], // no consumption: left null
		["c", 0, "2024-02", 0, 0], // no consumption: left 0
		["c", 0, "2024-03", N, 7], // no own price: L2 median of (0, 2024-03) observed {0.12, 0.16} = 0.14
		["d", 0, "2024-01", 0.3, 0],
		["d", 0, "2024-02", 0.3, 0],
		["d", 0, "2024-03", 0.16, 0],
		["f", 1, "2024-01", N, 1], // L2 median of (1, 2024-01) observed {0.50} = 0.50
		["f", 1, "2024-02", N, 1], // no industrial price in Feb: L3 national median {0.20, 0.30} = 0.25
		["f", 1, "2024-03", -0.2, 1], // negative counts as missing; L3 national median {0.12, 0.16} = 0.14
		["g", 1, "2024-01", 0.5, 1],
		["h", 0, "2024-04", N, 3], // no observed price anywhere in April: unimputed
	]);
	const r = imputePriceColumn(index, price, consumption);

	it("imputes each level with hand-computed values", () => {
		const got = Array.from(r.values, (v) =>
			Number.isNaN(v) ? null : Math.round(v * 1e9) / 1e9,
		);
		expect(got).toEqual([
			0.1,
			0.1,
			0.12,
			0.2,
			0.2,
			0.2,
			null,
			0,
			0.14,
			0.3,
			0.3,
			0.16,
			0.5,
			0.25,
			0.14,
			0.5,
			null,
		]);
	});
	it("counts imputations per level", () => {
		expect({
			l1: r.level1,
			l2: r.level2,
			l3: r.level3,
			un: r.unimputed,
		}).toEqual({ l1: 3, l2: 2, l3: 2, un: 1 });
	});
	it("does not modify its input", () => {
		expect(Number.isNaN(price[1])).toBe(true);
	});
	it("medians average the two middle values", () => {
		expect(median([3, 1, 2])).toBe(2);
		expect(median([4, 1, 3, 2])).toBe(2.5);
		expect(Number.isNaN(median([]))).toBe(true);
	});
});

describe("monthly P&L", () => {
	const one = (x: number) => Float64Array.of(x);
	const inputs = (
		over: Partial<Record<keyof PnlInputs, number>> = {},
	): PnlInputs => {
		const base: Record<keyof PnlInputs, number> = {
			elecKwhTier1: 100,
			elecKwhTier2: 50,
			elecKwhTier3: 200,
			monthlyElecKwh: 350,
			monthlyGasM3: 10,
			priceTier1: 0.2,
			priceTier2: 0.15,
			priceTier3: 0.1,
			elecFixedFee: 5,
			elecFixedCost: 2,
			gasVariablePrice: 0.8,
			gasFixedRevenueYear: 120,
			gasFixedCostYear: 60,
			elecVarCost: 0.06,
			gasVarCost: 0.5,
			peajeElec: 0.04,
			...over,
		};
		return Object.fromEntries(
			Object.entries(base).map(([k, v]) => [k, one(v)]),
		) as unknown as PnlInputs;
	};

	it("computes every component on a worked example", () => {
		const p = monthlyPnl(inputs());
		const got = Object.fromEntries(
			Object.entries(p).map(([k, v]) => [k, Math.round(v[0] * 1e9) / 1e9]),
		);
		expect(got).toEqual({
			elec_revenue: 52.5, // 100×0.20 + 50×0.15 + 200×0.10 + 5 = 20 + 7.5 + 20 + 5
			elec_cost: 37, // 350 × (0.06 + 0.04) + 2
			elec_margin: 15.5,
			gas_variable_revenue: 8, // 10 × 0.8
			gas_revenue: 18, // 8 + 120 / 12
			gas_cost: 10, // 10 × 0.5 + 60 / 12
			gas_margin: 8,
			total_revenue: 70.5,
			total_cost: 47,
			total_margin: 23.5,
		});
	});
	it("counts missing inputs as 0", () => {
		const p = monthlyPnl(
			inputs({
				priceTier2: N,
				elecFixedFee: N,
				peajeElec: N,
				gasFixedRevenueYear: N,
			}),
		);
		expect(p.elec_revenue[0]).toBeCloseTo(40, 9); // 20 + 0 + 20 + 0
		expect(p.elec_cost[0]).toBeCloseTo(23, 9); // 350 × 0.06 + 2
		expect(p.gas_revenue[0]).toBeCloseTo(8, 9);
		expect(p.total_margin[0]).toBeCloseTo(40 - 23 + 8 - 10, 9);
	});
});
