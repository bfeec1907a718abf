/**
 * Price imputation (docs/data-contract.md §3). A price is missing when it is null or not
 * positive (0 counts as missing; a negative tariff is treated the same way).
 * Only missing prices whose matching consumption is > 0 are imputed — a month
 * with no consumption in that tier is never billed, so its price is left as
 * given. Levels: (1) the customer's own series, carried forward then backward
 * by month; (2) median of the same (is_industrial, month) group; (3) national
 * median of the month. Medians use observed values only, never imputed ones.
 */

/** A price column and the consumption column that makes it billable. */
export interface PriceRule {
	readonly price: string;
	readonly consumption: string;
}

export const PRICE_IMPUTATION_RULES: readonly PriceRule[] = [
	{
		price: "variable_price_tier1_eur_kwh",
		consumption: "elec_kwh_tier_1_peak",
	},
	{
		price: "variable_price_tier2_eur_kwh",
		consumption: "elec_kwh_tier_2_standard",
	},
	{
		price: "variable_price_tier3_eur_kwh",
		consumption: "elec_kwh_tier_3_offpeak",
	},
	{ price: "elec_fixed_fee_eur_month", consumption: "monthly_elec_kwh" },
	{ price: "gas_variable_price_eur_m3", consumption: "monthly_gas_m3" },
	{ price: "gas_fixed_revenue_eur_year", consumption: "monthly_gas_m3" },
];

/** Rows sorted by customer then month, described once and shared by every price column. */
export interface CustomerMonthIndex {
	/** Month of each row ("YYYY-MM"). */
	readonly months: readonly string[];
	/** 0/1 per row (the customer's is_industrial). */
	readonly isIndustrial: ArrayLike<number>;
	/** Start row of each customer's block, plus a final entry = row count. */
	readonly blockStarts: readonly number[];
}

export interface ImputationResult {
	/** The price column with imputed cells filled; other cells exactly as given (NaN = null). */
	readonly values: Float64Array;
	readonly level1: number;
	readonly level2: number;
	readonly level3: number;
	/** Billable cells with no donor at any level (left as given). */
	readonly unimputed: number;
}

const isObserved = (p: number): boolean => p > 0; // false for NaN too

/** Median as pandas computes it (mean of the two middle values for an even count). */
export function median(values: number[]): number {
	if (values.length === 0) return Number.NaN;
	const s = [...values].sort((a, b) => a - b);
	const mid = s.length >> 1;
	return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function groupMedians(
	keys: (i: number) => string,
	price: Float64Array,
): Map<string, number> {
	const groups = new Map<string, number[]>();
	for (let i = 0; i < price.length; i++) {
		if (!isObserved(price[i])) continue;
		const k = keys(i);
		let g = groups.get(k);
		if (!g) {
			g = [];
			groups.set(k, g);
		}
		g.push(price[i]);
	}
	const medians = new Map<string, number>();
	for (const [k, g] of groups) medians.set(k, median(g));
	return medians;
}

/** Impute one price column. `price` and `consumption` are in the index's row order. */
export function imputePriceColumn(
	index: CustomerMonthIndex,
	price: Float64Array,
	consumption: Float64Array,
): ImputationResult {
	const n = price.length;
	const values = Float64Array.from(price);
	const needs = new Uint8Array(n);
	let pending = 0;
	for (let i = 0; i < n; i++) {
		if (!isObserved(price[i]) && consumption[i] > 0) {
			needs[i] = 1;
			pending++;
		}
	}
	const result = { values, level1: 0, level2: 0, level3: 0, unimputed: 0 };
	if (pending === 0) return result;

	// Level 1: last observed value earlier in the customer's series, else the next one after.
	const { blockStarts, months, isIndustrial } = index;
	for (let b = 0; b + 1 < blockStarts.length; b++) {
		const start = blockStarts[b];
		const end = blockStarts[b + 1];
		let last = Number.NaN;
		for (let i = start; i < end; i++) {
			if (isObserved(price[i])) last = price[i];
			else if (needs[i] && !Number.isNaN(last)) {
				values[i] = last;
				needs[i] = 0;
				result.level1++;
			}
		}
		let next = Number.NaN;
		for (let i = end - 1; i >= start; i--) {
			if (isObserved(price[i])) next = price[i];
			else if (needs[i] && !Number.isNaN(next)) {
				values[i] = next;
				needs[i] = 0;
				result.level1++;
			}
		}
	}
	if (result.level1 === pending) return result;

	// Levels 2 and 3: medians of observed prices.
	const byGroup = groupMedians((i) => `${isIndustrial[i]}|${months[i]}`, price);
	const byMonth = groupMedians((i) => months[i], price);
	for (let i = 0; i < n; i++) {
		if (!needs[i]) continue;
		const g = byGroup.get(`${isIndustrial[i]}|${months[i]}`);
		if (g !== undefined) {
			values[i] = g;
			result.level2++;
			continue;
		}
		const m = byMonth.get(months[i]);
		if (m !== undefined) {
			values[i] = m;
			result.level3++;
		} else result.unimputed++;
	}
	return result;
}
