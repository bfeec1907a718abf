/**
 * Features of a customer's monthly series (docs/data-contract.md §4, tiers MP core and
 * MP risk, plus is_dual_fuel and the business margin columns): one pass over
 * silver_customer_month sorted by customer and month.
 *
 * Decision: in the price series (update count, trends, volatility, spread) a
 * null or non-positive price is absent — silver leaves a missing price as
 * given in months with no consumption, and a 0 there is "not billed", not a
 * price move to zero.
 */
import {
	customerMonthOrder,
	readKeys,
	readMonths,
	readNumbers,
	requireColumns,
} from "../data/silver/table-columns.ts";
import type { Table } from "../io/tables.ts";
import type { TIER_MP_CORE, TIER_MP_RISK } from "./feature-sets.ts";
import {
	countMoves,
	mean,
	relativeTrend,
	rollingMarginTrend,
	sampleStd,
	sum,
} from "./series-stats.ts";

export type SeriesFeatures = Record<
	(typeof TIER_MP_CORE)[number] | (typeof TIER_MP_RISK)[number],
	number | null
> & {
	is_dual_fuel: number;
	avg_monthly_margin: number | null;
	total_margin_2024: number;
};

const SILVER_CUSTOMER_MONTH = "silver_customer_month";

export const SERIES_INPUT_COLUMNS = [
	"customer_id",
	"month",
	"monthly_elec_kwh",
	"monthly_gas_m3",
	"variable_price_tier1_eur_kwh",
	"gas_variable_price_eur_m3",
	"elec_var_cost_eur_kwh",
	"gas_var_cost_eur_m3",
	"gas_variable_revenue",
	"total_revenue",
	"total_margin",
] as const;

/** A tier-1 price move larger than this counts as a price update. */
export const PRICE_UPDATE_THRESHOLD = 0.001;

/** Values of a customer's rows, in month order, NaN → 0 (consumption, P&L: missing counts as 0). */
function zeros(col: Float64Array, rows: readonly number[]): number[] {
	return rows.map((r) => (Number.isNaN(col[r]) ? 0 : col[r]));
}

/** Observed values only (finite; positive for prices). */
function observed(
	col: Float64Array,
	rows: readonly number[],
	positive: boolean,
): number[] {
	const out: number[] = [];
	for (const r of rows) {
		const v = col[r];
		if (!Number.isNaN(v) && (!positive || v > 0)) out.push(v);
	}
	return out;
}

interface SeriesColumns {
	elec: Float64Array;
	gas: Float64Array;
	price1: Float64Array;
	gasPrice: Float64Array;
	elecCost: Float64Array;
	gasCost: Float64Array;
	gasVarRevenue: Float64Array;
	revenue: Float64Array;
	margin: Float64Array;
}

function featuresOf(c: SeriesColumns, rows: readonly number[]): SeriesFeatures {
	const elec = zeros(c.elec, rows);
	const gas = zeros(c.gas, rows);
	const margin = zeros(c.margin, rows);
	const price1 = observed(c.price1, rows, true);
	const gasPrice = observed(c.gasPrice, rows, true);
	const elecCost = observed(c.elecCost, rows, false);
	const gasCost = observed(c.gasCost, rows, false);
	const totalElec = sum(elec);
	const totalGas = sum(gas);
	const totalRevenue = sum(zeros(c.revenue, rows));
	const elecTrend = relativeTrend(price1);
	const meanElecCost = mean(elecCost);
	let active = 0;
	let negative = 0;
	for (let k = 0; k < rows.length; k++) {
		if (elec[k] > 0 || gas[k] > 0) active++;
		if (margin[k] < 0) negative++;
	}
	return {
		avg_monthly_elec_kwh: mean(elec),
		total_elec_kwh_2024: totalElec,
		avg_monthly_gas_m3: mean(gas),
		total_gas_m3_2024: totalGas,
		gas_share_of_revenue:
			totalRevenue > 0 ? sum(zeros(c.gasVarRevenue, rows)) / totalRevenue : 0,
		price_update_count: countMoves(price1, PRICE_UPDATE_THRESHOLD),
		province_avg_elec_cost_2024: meanElecCost,
		province_avg_gas_cost_2024: mean(gasCost),
		std_monthly_elec_kwh: sampleStd(elec),
		std_monthly_gas_m3: sampleStd(gas),
		active_months_count: active,
		std_margin: sampleStd(margin),
		min_monthly_margin: margin.length === 0 ? null : Math.min(...margin),
		max_negative_margin: negative,
		elec_price_trend_12m: elecTrend,
		gas_price_trend_12m: relativeTrend(gasPrice),
		elec_price_volatility_12m: sampleStd(price1),
		province_elec_cost_trend: relativeTrend(elecCost),
		elec_price_vs_province_cost_spread:
			price1.length === 0 || meanElecCost === null
				? null
				: price1[price1.length - 1] - meanElecCost,
		is_price_increase: elecTrend > 0 ? 1 : 0,
		rolling_margin_trend: rollingMarginTrend(margin),
		is_dual_fuel: totalElec > 0 && totalGas > 0 ? 1 : 0,
		avg_monthly_margin: mean(margin),
		total_margin_2024: sum(margin),
	};
}

/** Features of a customer with no monthly rows: sums and counts 0, statistics null, flags 0. */
export function emptySeriesFeatures(): SeriesFeatures {
	return featuresOf(
		{
			elec: new Float64Array(),
			gas: new Float64Array(),
			price1: new Float64Array(),
			gasPrice: new Float64Array(),
			elecCost: new Float64Array(),
			gasCost: new Float64Array(),
			gasVarRevenue: new Float64Array(),
			revenue: new Float64Array(),
			margin: new Float64Array(),
		},
		[],
	);
}

/** Series features per customer_id. */
export function seriesFeaturesByCustomer(
	silverCustomerMonth: Table,
): Map<string, SeriesFeatures> {
	const t = silverCustomerMonth;
	const f = SILVER_CUSTOMER_MONTH;
	requireColumns(t, f, SERIES_INPUT_COLUMNS);
	const ids = readKeys(t, f, "customer_id");
	const months = readMonths(t, f, "month");
	const cols: SeriesColumns = {
		elec: readNumbers(t, f, "monthly_elec_kwh"),
		gas: readNumbers(t, f, "monthly_gas_m3"),
		price1: readNumbers(t, f, "variable_price_tier1_eur_kwh"),
		gasPrice: readNumbers(t, f, "gas_variable_price_eur_m3"),
		elecCost: readNumbers(t, f, "elec_var_cost_eur_kwh"),
		gasCost: readNumbers(t, f, "gas_var_cost_eur_m3"),
		gasVarRevenue: readNumbers(t, f, "gas_variable_revenue"),
		revenue: readNumbers(t, f, "total_revenue"),
		margin: readNumbers(t, f, "total_margin"),
	};
	const order = customerMonthOrder(ids, months);
	const out = new Map<string, SeriesFeatures>();
	let block: number[] = [];
	for (let k = 0; k <= order.length; k++) {
		const r = order[k];
		if (block.length > 0 && (k === order.length || ids[r] !== ids[block[0]])) {
			out.set(ids[block[0]], featuresOf(cols, block));
			block = [];
		}
		if (k < order.length) block.push(r);
	}
	return out;
}
