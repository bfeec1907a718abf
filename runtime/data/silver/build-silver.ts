/**
 * Silver layer (docs/data-contract.md §3): bronze_customer → silver_customer (segment,
 * subtype, English channel, intent and sentiment of the latest interaction)
 * and bronze_customer_month → silver_customer_month (imputed prices, segment,
 * monthly P&L). Rows come out sorted by customer_id (and month).
 */
import * as aq from "arquero";
import { RawContractError } from "../../errors.ts";
import { columnValues, type Table } from "../../io/tables.ts";
import { BRONZE_CUSTOMER_COLUMNS } from "../bronze/bronze-customer.ts";
import { BRONZE_CUSTOMER_MONTH_COLUMNS } from "../bronze/bronze-customer-month.ts";
import type { SentimentScorer } from "../nlp/sentiment.ts";
import { translateSalesChannel } from "./channel.ts";
import { enrichInteractions } from "./interaction.ts";
import { monthlyPnl } from "./pnl.ts";
import {
	type CustomerMonthIndex,
	imputePriceColumn,
	PRICE_IMPUTATION_RULES,
} from "./price-imputation.ts";
import { residentialSubtypeOf, type Segment, segmentOf } from "./segment.ts";
import {
	customerMonthOrder,
	nullable,
	readDates,
	readFlags,
	readKeys,
	readMonths,
	readNumbers,
	readStrings,
	requireColumns,
} from "./table-columns.ts";

const BRONZE_CUSTOMER = "bronze_customer";
const BRONZE_CUSTOMER_MONTH = "bronze_customer_month";

// The bronze schemas are owned by the bronze builders; silver requires exactly them.

export interface SilverOptions {
	sentiment: SentimentScorer;
}

export interface SilverResult {
	customer: Table;
	customerMonth: Table;
	faults: Record<string, number>;
}

interface CustomerSide {
	table: Table;
	ids: string[];
	isIndustrial: Float64Array;
	segment: Segment[];
}

async function buildSilverCustomer(
	bronze: Table,
	scorer: SentimentScorer,
	faults: Record<string, number>,
): Promise<CustomerSide> {
	const f = BRONZE_CUSTOMER;
	requireColumns(bronze, f, BRONZE_CUSTOMER_COLUMNS);
	const ids = readKeys(bronze, f, "customer_id");
	const seen = new Map<string, number>();
	ids.forEach((id, i) => {
		const first = seen.get(id);
		if (first !== undefined)
			throw new RawContractError(
				{ file: f, row: i + 1, column: "customer_id" },
				`duplicate customer_id "${id}" (first at row ${first + 1})`,
			);
		seen.set(id, i);
	});
	const rawIndustrial = readFlags(bronze, f, "is_industrial");
	const power = readNumbers(bronze, f, "contracted_power_kw");
	const secondResidence = readFlags(bronze, f, "is_second_residence");
	const rawChannel = readStrings(bronze, f, "sales_channel");
	const counts = readNumbers(bronze, f, "interaction_count");
	const interactionDays = readDates(bronze, f, "interaction_date");
	const summaries = readStrings(bronze, f, "interaction_summary");
	const n = ids.length;

	const isIndustrial = new Float64Array(n);
	const segment: Segment[] = new Array(n);
	const subtype: (string | null)[] = new Array(n);
	faults.is_industrial_missing_as_residential = 0;
	faults.industrial_power_missing_as_sme = 0;
	for (let i = 0; i < n; i++) {
		if (Number.isNaN(rawIndustrial[i]))
			faults.is_industrial_missing_as_residential++;
		isIndustrial[i] = rawIndustrial[i] === 1 ? 1 : 0;
		if (isIndustrial[i] === 1 && Number.isNaN(power[i]))
			faults.industrial_power_missing_as_sme++;
		segment[i] = segmentOf(isIndustrial[i], power[i]);
		subtype[i] = residentialSubtypeOf(segment[i], secondResidence[i]);
	}
	const nlp = await enrichInteractions(
		counts,
		interactionDays,
		summaries,
		scorer,
	);
	faults.interactions_without_summary = nlp.interactionsWithoutSummary;

	const columns: Record<string, unknown> = {};
	for (const name of bronze.columnNames()) {
		columns[name] = bronze.array(name);
	}
	columns.customer_id = ids;
	columns.sales_channel = rawChannel.map(translateSalesChannel);
	Object.assign(columns, {
		sales_channel_raw: rawChannel,
		segment,
		residential_subtype: subtype,
		customer_intent: nlp.intent,
		sentiment_label: nlp.sentimentLabel,
		sentiment_negative: nlp.sentimentNegative,
		sentiment_neutral: nlp.sentimentNeutral,
		sentiment_positive: nlp.sentimentPositive,
	});
	const table = aq.table(columns).orderby("customer_id").reify() as Table;
	return { table, ids, isIndustrial, segment };
}

function buildSilverCustomerMonth(
	bronze: Table,
	customers: CustomerSide,
	faults: Record<string, number>,
): Table {
	const f = BRONZE_CUSTOMER_MONTH;
	requireColumns(bronze, f, BRONZE_CUSTOMER_MONTH_COLUMNS);
	const ids = readKeys(bronze, f, "customer_id");
	const months = readMonths(bronze, f, "month");
	const customerRow = new Map(customers.ids.map((id, i) => [id, i]));

	// Sort by (customer, month) and drop rows of customers absent from bronze_customer
	// (no label, no attributes: they cannot be segmented or modelled).
	const order: number[] = [];
	faults.customer_month_rows_unknown_customer = 0;
	for (const r of customerMonthOrder(ids, months)) {
		if (customerRow.has(ids[r])) order.push(r);
		else faults.customer_month_rows_unknown_customer++;
	}
	const n = order.length;
	const blockStarts: number[] = [];
	const isIndustrial = new Float64Array(n);
	const segment: Segment[] = new Array(n);
	const sortedMonths: string[] = new Array(n);
	for (let k = 0; k < n; k++) {
		const r = order[k];
		if (
			k > 0 &&
			ids[r] === ids[order[k - 1]] &&
			months[r] === months[order[k - 1]]
		)
			throw new RawContractError(
				{ file: f, row: r + 1, column: "month" },
				`duplicate month ${months[r]} for customer "${ids[r]}"`,
			);
		if (k === 0 || ids[r] !== ids[order[k - 1]]) blockStarts.push(k);
		const c = customerRow.get(ids[r]) as number;
		isIndustrial[k] = customers.isIndustrial[c];
		segment[k] = customers.segment[c];
		sortedMonths[k] = months[r];
	}
	blockStarts.push(n);

	const sorted = (name: string): Float64Array => {
		const src = readNumbers(bronze, f, name);
		const out = new Float64Array(n);
		for (let k = 0; k < n; k++) out[k] = src[order[k]];
		return out;
	};
	const index: CustomerMonthIndex = {
		months: sortedMonths,
		isIndustrial,
		blockStarts,
	};
	const imputed = new Map<string, Float64Array>();
	for (const rule of PRICE_IMPUTATION_RULES) {
		const r = imputePriceColumn(
			index,
			sorted(rule.price),
			sorted(rule.consumption),
		);
		imputed.set(rule.price, r.values);
		faults[`price_imputed_level1_${rule.price}`] = r.level1;
		faults[`price_imputed_level2_${rule.price}`] = r.level2;
		faults[`price_imputed_level3_${rule.price}`] = r.level3;
		faults[`price_unimputed_${rule.price}`] = r.unimputed;
	}
	const price = (name: string): Float64Array =>
		imputed.get(name) ?? sorted(name);
	const pnl = monthlyPnl({
		elecKwhTier1: sorted("elec_kwh_tier_1_peak"),
		elecKwhTier2: sorted("elec_kwh_tier_2_standard"),
		elecKwhTier3: sorted("elec_kwh_tier_3_offpeak"),
		monthlyElecKwh: sorted("monthly_elec_kwh"),
		monthlyGasM3: sorted("monthly_gas_m3"),
		priceTier1: price("variable_price_tier1_eur_kwh"),
		priceTier2: price("variable_price_tier2_eur_kwh"),
		priceTier3: price("variable_price_tier3_eur_kwh"),
		elecFixedFee: price("elec_fixed_fee_eur_month"),
		elecFixedCost: sorted("elec_fixed_cost_eur_month"),
		gasVariablePrice: price("gas_variable_price_eur_m3"),
		gasFixedRevenueYear: price("gas_fixed_revenue_eur_year"),
		gasFixedCostYear: sorted("gas_fixed_cost_eur_year"),
		elecVarCost: sorted("elec_var_cost_eur_kwh"),
		gasVarCost: sorted("gas_var_cost_eur_m3"),
		peajeElec: sorted("peaje_elec_eur_kwh"),
	});

	const columns: Record<string, unknown> = {};
	for (const name of bronze.columnNames()) {
		const values = imputed.get(name);
		if (values) {
			columns[name] = nullable(values);
			continue;
		}
		const src = columnValues(bronze, name);
		// A typed (null-free number) column stays typed: a JS array of boxed
		// numbers is what the collector walks on every old-generation pass
		// (docs/performance.md, "Scale series").
		const out = ArrayBuffer.isView(src)
			? new (src.constructor as Float64ArrayConstructor)(n)
			: new Array<unknown>(n);
		for (let k = 0; k < n; k++) out[k] = src[order[k]] as number;
		columns[name] = name === "customer_id" ? order.map((r) => ids[r]) : out;
	}
	Object.assign(columns, { is_industrial: isIndustrial, segment }, pnl);
	return aq.table(columns) as Table;
}

export async function buildSilver(
	bronzeCustomer: Table,
	bronzeCustomerMonth: Table,
	opts: SilverOptions,
): Promise<SilverResult> {
	const faults: Record<string, number> = {};
	const customers = await buildSilverCustomer(
		bronzeCustomer,
		opts.sentiment,
		faults,
	);
	const customerMonth = buildSilverCustomerMonth(
		bronzeCustomerMonth,
		customers,
		faults,
	);
	return { customer: customers.table, customerMonth, faults };
}
