/**
 * Monthly P&L per customer-month (docs/data-contract.md §3). Missing inputs count as 0,
 * so every output is a finite number.
 */

/** Inputs in row order; NaN means missing. */
export interface PnlInputs {
	elecKwhTier1: Float64Array;
	elecKwhTier2: Float64Array;
	elecKwhTier3: Float64Array;
	monthlyElecKwh: Float64Array;
	monthlyGasM3: Float64Array;
	priceTier1: Float64Array;
	priceTier2: Float64Array;
	priceTier3: Float64Array;
	elecFixedFee: Float64Array;
	elecFixedCost: Float64Array;
	gasVariablePrice: Float64Array;
	gasFixedRevenueYear: Float64Array;
	gasFixedCostYear: Float64Array;
	elecVarCost: Float64Array;
	gasVarCost: Float64Array;
	peajeElec: Float64Array;
}

export const PNL_COLUMNS = [
	"elec_revenue",
	"elec_cost",
	"elec_margin",
	"gas_variable_revenue",
	"gas_revenue",
	"gas_cost",
	"gas_margin",
	"total_revenue",
	"total_cost",
	"total_margin",
] as const;

export type PnlColumn = (typeof PNL_COLUMNS)[number];

const z = (x: number): number => (Number.isNaN(x) ? 0 : x);

export function monthlyPnl(inp: PnlInputs): Record<PnlColumn, Float64Array> {
	const n = inp.monthlyElecKwh.length;
	const out = Object.fromEntries(
		PNL_COLUMNS.map((c) => [c, new Float64Array(n)]),
	) as Record<PnlColumn, Float64Array>;
	for (let i = 0; i < n; i++) {
		const elecRevenue =
			z(inp.elecKwhTier1[i]) * z(inp.priceTier1[i]) +
			z(inp.elecKwhTier2[i]) * z(inp.priceTier2[i]) +
			z(inp.elecKwhTier3[i]) * z(inp.priceTier3[i]) +
			z(inp.elecFixedFee[i]);
		const elecCost =
			z(inp.monthlyElecKwh[i]) * (z(inp.elecVarCost[i]) + z(inp.peajeElec[i])) +
			z(inp.elecFixedCost[i]);
		const m3 = z(inp.monthlyGasM3[i]);
		const gasVariableRevenue = m3 * z(inp.gasVariablePrice[i]);
		const gasRevenue = gasVariableRevenue + z(inp.gasFixedRevenueYear[i]) / 12;
		const gasCost = m3 * z(inp.gasVarCost[i]) + z(inp.gasFixedCostYear[i]) / 12;
		out.elec_revenue[i] = elecRevenue;
		out.elec_cost[i] = elecCost;
		out.elec_margin[i] = elecRevenue - elecCost;
		out.gas_variable_revenue[i] = gasVariableRevenue;
		out.gas_revenue[i] = gasRevenue;
		out.gas_cost[i] = gasCost;
		out.gas_margin[i] = gasRevenue - gasCost;
		out.total_revenue[i] = elecRevenue + gasRevenue;
		out.total_cost[i] = elecCost + gasCost;
		out.total_margin[i] = elecRevenue + gasRevenue - (elecCost + gasCost);
	}
	return out;
}
