/**
 * bronze_customer_month (docs/data-contract.md §2): the customer-month consumption
 * aggregate with the customer's province, prices joined on (customer_id,
 * month of pricing_date) and costs on (province_code = province, month).
 * Prices stay raw (0 stays 0, missing stays null): silver imputes.
 */
import * as aq from "arquero";
import { columnValues, type Table } from "../../io/tables.ts";
import { countFault, type FaultCounts } from "../../util/faults.ts";
import type { RawBatch } from "../raw/load-batch.ts";
import { CUSTOMERS_WITHOUT_CONSUMPTION } from "./contracts.ts";
import {
	CONSUMPTION_MONTH_COLUMNS,
	CONSUMPTION_QUANTITY_COLUMNS,
} from "./hourly-aggregate.ts";

const QUANTITY = new Set<string>(CONSUMPTION_QUANTITY_COLUMNS);

export const PRICE_COLUMNS = [
	"variable_price_tier1_eur_kwh",
	"variable_price_tier2_eur_kwh",
	"variable_price_tier3_eur_kwh",
	"elec_fixed_fee_eur_month",
	"elec_fixed_cost_eur_month",
	"gas_variable_price_eur_m3",
	"gas_fixed_revenue_eur_year",
	"gas_fixed_cost_eur_year",
] as const;
export const COST_COLUMNS = [
	"elec_var_cost_eur_kwh",
	"gas_var_cost_eur_m3",
	"peaje_elec_eur_kwh",
] as const;

export const BRONZE_CUSTOMER_MONTH_COLUMNS = [
	"customer_id",
	"month",
	"province_code",
	...CONSUMPTION_MONTH_COLUMNS.slice(2),
	"pricing_date",
	...PRICE_COLUMNS,
	...COST_COLUMNS,
] as const;

const key = (a: string, b: string) => `${a}\u0000${b}`;

/** Price row per (customer, month): the latest pricing_date; on equal dates the later record. */
function priceRowByMonth(
	prices: Table,
	faults: FaultCounts,
): Map<string, number> {
	const ids = columnValues(prices, "customer_id") as ArrayLike<string>;
	const dates = columnValues(prices, "pricing_date") as ArrayLike<string>;
	const index = new Map<string, number>();
	for (let i = 0; i < ids.length; i++) {
		const k = key(ids[i], dates[i].slice(0, 7));
		const cur = index.get(k);
		if (cur === undefined) index.set(k, i);
		else {
			countFault(faults, "price_rows_duplicate_month_dropped");
			if (dates[i] >= dates[cur]) index.set(k, i);
		}
	}
	return index;
}

function costRowByProvinceMonth(
	costs: Table,
	faults: FaultCounts,
): Map<string, number> {
	const provinces = columnValues(costs, "province") as ArrayLike<string>;
	const months = columnValues(costs, "month") as ArrayLike<string>;
	const index = new Map<string, number>();
	for (let i = 0; i < provinces.length; i++) {
		const k = key(provinces[i], months[i]);
		if (index.has(k)) countFault(faults, "cost_rows_duplicate_dropped");
		else index.set(k, i);
	}
	return index;
}

export function buildBronzeCustomerMonth(
	consumptionMonthly: Table,
	raw: RawBatch,
	bronzeCustomer: Table,
): {
	table: Table;
	faults: FaultCounts;
	/** Customers of bronze_customer with no consumption row at all, in bronze_customer order. */
	customersWithoutConsumption: string[];
} {
	const faults: FaultCounts = {};
	const province = new Map<string, string | null>();
	const bcIds = columnValues(
		bronzeCustomer,
		"customer_id",
	) as ArrayLike<string>;
	const bcProv = columnValues(bronzeCustomer, "province_code") as ArrayLike<
		string | null
	>;
	for (let i = 0; i < bcIds.length; i++) province.set(bcIds[i], bcProv[i]);

	const priceRow = priceRowByMonth(raw.prices, faults);
	const costRow = costRowByProvinceMonth(raw.costs, faults);
	const ids = columnValues(
		consumptionMonthly,
		"customer_id",
	) as ArrayLike<string>;
	const months = columnValues(consumptionMonthly, "month") as ArrayLike<string>;
	const consumptionCols = CONSUMPTION_MONTH_COLUMNS.slice(2).map(
		(c) =>
			[c, columnValues(consumptionMonthly, c) as ArrayLike<number>] as const,
	);
	const priceCols = ["pricing_date", ...PRICE_COLUMNS].map(
		(c) => [c, columnValues(raw.prices, c) as ArrayLike<unknown>] as const,
	);
	const costCols = COST_COLUMNS.map(
		(c) => [c, columnValues(raw.costs, c) as ArrayLike<unknown>] as const,
	);

	// Which consumption rows are kept and their price and cost rows (-1: none);
	// then every output column is one gather over those indices.
	const unknownCustomers = new Set<string>();
	const metered = new Set<string>();
	const hours = columnValues(
		consumptionMonthly,
		"hours_in_month",
	) as ArrayLike<number>;
	const kept: number[] = [];
	const keptProvince: (string | null)[] = [];
	const priceAt: number[] = [];
	const costAt: number[] = [];
	for (let i = 0; i < ids.length; i++) {
		metered.add(ids[i]);
		if (!province.has(ids[i])) {
			unknownCustomers.add(ids[i]);
			countFault(faults, "consumption_months_unknown_customer_dropped");
			// The hourly rows behind it (after duplicates), so the loss reads in rows too.
			countFault(faults, "consumption_rows_unknown_customer_dropped", hours[i]);
			continue;
		}
		const prov = province.get(ids[i]) ?? null;
		kept.push(i);
		keptProvince.push(prov);
		const p = priceRow.get(key(ids[i], months[i]));
		if (p === undefined)
			countFault(faults, "customer_months_without_price_row");
		priceAt.push(p ?? -1);
		const c = prov === null ? undefined : costRow.get(key(prov, months[i]));
		if (c === undefined) countFault(faults, "customer_months_without_cost_row");
		costAt.push(c ?? -1);
	}
	const gather = (arr: ArrayLike<unknown>, at: number[]) =>
		at.map((r) => (r < 0 ? null : (arr[r] ?? null)));
	const out: Record<string, ArrayLike<unknown>> = {
		customer_id: kept.map((i) => ids[i]),
		month: kept.map((i) => months[i]),
		province_code: keptProvince,
	};
	// Quantities as float64 arrays (the Parquet writer takes them as they are);
	// the hour counts as plain arrays, which it writes as INT32 as before.
	for (const [c, arr] of consumptionCols)
		out[c] = QUANTITY.has(c)
			? Float64Array.from(kept, (i) => arr[i])
			: kept.map((i) => arr[i]);
	for (const [c, arr] of priceCols) out[c] = gather(arr, priceAt);
	for (const [c, arr] of costCols) out[c] = gather(arr, costAt);
	countFault(
		faults,
		"consumption_customers_not_in_churn_label",
		unknownCustomers.size,
	);
	// A customer with no reading at all would reach gold with zero totals: a fault, not a quiet zero.
	const customersWithoutConsumption: string[] = [];
	for (let i = 0; i < bcIds.length; i++)
		if (!metered.has(bcIds[i])) customersWithoutConsumption.push(bcIds[i]);
	countFault(
		faults,
		CUSTOMERS_WITHOUT_CONSUMPTION,
		customersWithoutConsumption.length,
	);
	const table = aq.table(
		Object.fromEntries(BRONZE_CUSTOMER_MONTH_COLUMNS.map((c) => [c, out[c]])),
	);
	return { table, faults, customersWithoutConsumption };
}
