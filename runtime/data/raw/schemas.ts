/**
 * The raw contract (docs/data-contract.md §1) of the six small datasets: file name,
 * accepted formats and the required columns with their field kinds. Extra
 * columns in a file are ignored.
 */
import type { FieldSpec } from "./fields.ts";

export type SmallDatasetName =
	| "churn_label"
	| "customer_attributes"
	| "customer_contracts"
	| "customer_interactions"
	| "price_history"
	| "costs_by_province_month";

export interface DatasetSpec {
	name: SmallDatasetName;
	/** File names tried in order inside the batch folder. */
	files: readonly string[];
	columns: Readonly<Record<string, FieldSpec>>;
	/** Prefix of this dataset's fault counters, e.g. "price" → price_rows_empty_customer_id. */
	faultPrefix: string;
	/** A file with a header but no data rows is rejected unless this is true. */
	allowNoRows?: boolean;
}

const id: FieldSpec = { kind: "id" };
const num: FieldSpec = { kind: "number" };
const flag: FieldSpec = { kind: "flag" };
const date: FieldSpec = { kind: "date" };
const str: FieldSpec = { kind: "string" };

const csv = (base: string) => [`${base}.csv`, `${base}.csv.gz`];

export const DATASETS: Readonly<Record<SmallDatasetName, DatasetSpec>> = {
	churn_label: {
		name: "churn_label",
		faultPrefix: "churn_label",
		files: csv("churn_label"),
		columns: { customer_id: id, churn: { kind: "flag", required: true } },
	},
	customer_attributes: {
		name: "customer_attributes",
		faultPrefix: "attribute",
		files: csv("customer_attributes"),
		columns: {
			customer_id: id,
			contracted_power_kw: num,
			is_industrial: flag,
			is_second_residence: flag,
			province_code: { kind: "trimmed" },
			region: str,
			is_high_competition_province: flag,
			is_urban: flag,
			sales_channel: str,
		},
	},
	customer_contracts: {
		name: "customer_contracts",
		faultPrefix: "contract",
		files: csv("customer_contracts"),
		columns: {
			customer_id: id,
			customer_first_activation_date: date,
			contract_start_date: date,
			last_product_change_date: date,
			next_renewal_date: date,
		},
	},
	customer_interactions: {
		name: "customer_interactions",
		faultPrefix: "interaction",
		files: ["customer_interactions.json", "customer_interactions.json.gz"],
		// An interaction without a date cannot be ranked: the date is required.
		columns: {
			customer_id: id,
			date: { kind: "date", required: true },
			channel: str,
			interaction_summary: str,
		},
		allowNoRows: true,
	},
	price_history: {
		name: "price_history",
		faultPrefix: "price",
		files: csv("price_history"),
		columns: {
			customer_id: id,
			pricing_date: { kind: "date", required: true },
			variable_price_tier1_eur_kwh: num,
			variable_price_tier2_eur_kwh: num,
			variable_price_tier3_eur_kwh: num,
			elec_fixed_fee_eur_month: num,
			elec_fixed_cost_eur_month: num,
			gas_variable_price_eur_m3: num,
			gas_fixed_revenue_eur_year: num,
			gas_fixed_cost_eur_year: num,
		},
	},
	costs_by_province_month: {
		name: "costs_by_province_month",
		faultPrefix: "cost",
		files: csv("costs_by_province_month"),
		columns: {
			month: { kind: "month", required: true },
			province: { kind: "trimmed", required: true },
			elec_var_cost_eur_kwh: num,
			gas_var_cost_eur_m3: num,
			peaje_elec_eur_kwh: num,
		},
	},
};

/**
 * Missing and zero prices are kept (silver imputes them) but counted, never
 * silently. Zeros are only counted on the electricity prices: every customer
 * has electricity, while a gas price of 0 is normal for a customer without gas.
 */
export const ELEC_PRICE_COLUMNS = [
	"variable_price_tier1_eur_kwh",
	"variable_price_tier2_eur_kwh",
	"variable_price_tier3_eur_kwh",
	"elec_fixed_fee_eur_month",
] as const;

/** Consumption columns and the DuckDB types accepted for each (Parquet schema check). */
export const CONSUMPTION_COLUMNS = {
	customer_id: ["VARCHAR"],
	timestamp: ["TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"],
	consumption_elec_kwh: [
		"DOUBLE",
		"FLOAT",
		"DECIMAL",
		"INTEGER",
		"BIGINT",
		"SMALLINT",
		"HUGEINT",
	],
	consumption_gas_m3: [
		"DOUBLE",
		"FLOAT",
		"DECIMAL",
		"INTEGER",
		"BIGINT",
		"SMALLINT",
		"HUGEINT",
	],
} as const satisfies Record<string, readonly string[]>;
