/**
 * Customer-level raw files of a batch (docs/data-contract.md §1), written from the plan
 * with the stated faults: price rows with an empty customer_id, zero or
 * missing prices, several interactions per customer.
 */
import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MONTHS } from "./calendar.ts";
import { monthKey, type Plan } from "./population.ts";
import { Rng } from "./prng.ts";

/** ~250 of ~241k price rows in the real extract have an empty customer_id. */
const EMPTY_ID_PRICE_RATE = 250 / 241_188;
const ZERO_PRICE_RATE = 0.002;
const MISSING_PRICE_RATE = 0.002;

export interface CustomerFileFaults {
	emptyIdPriceRows: number;
	zeroPrices: number;
	missingPrices: number;
	customersWithSeveralInteractions: number;
}

export interface CustomerFilesResult {
	rows: Record<string, number>;
	faults: CustomerFileFaults;
}

type Cell = string | number | null;

export function csvLine(cells: readonly Cell[]): string {
	return cells
		.map((c) => {
			if (c === null) return "";
			const s = String(c);
			return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
		})
		.join(",");
}

async function writeAtomic(path: string, text: string): Promise<void> {
	const tmp = `${path}.tmp-${process.pid}`;
	await writeFile(tmp, text);
	await rename(tmp, path);
}

async function writeCsv(
	dir: string,
	name: string,
	header: readonly string[],
	rows: readonly Cell[][],
): Promise<number> {
	const lines = [csvLine(header), ...rows.map(csvLine)];
	await writeAtomic(join(dir, name), `${lines.join("\n")}\n`);
	return rows.length;
}

export async function writeCustomerFiles(
	plan: Plan,
	outDir: string,
	seed: number,
): Promise<CustomerFilesResult> {
	const cs = plan.customers;
	const rows: Record<string, number> = {};
	const bit = (b: boolean) => (b ? 1 : 0);

	rows["churn_label.csv"] = await writeCsv(
		outDir,
		"churn_label.csv",
		["customer_id", "churn"],
		cs.map((c) => [c.id, c.churn]),
	);
	rows["customer_attributes.csv"] = await writeCsv(
		outDir,
		"customer_attributes.csv",
		[
			"customer_id",
			"contracted_power_kw",
			"is_industrial",
			"is_second_residence",
			"province_code",
			"region",
			"is_high_competition_province",
			"is_urban",
			"sales_channel",
		],
		cs.map((c) => [
			c.id,
			c.powerKw,
			bit(c.segment !== "Residential"),
			bit(c.secondResidence),
			c.province.code,
			c.province.region,
			bit(c.province.highCompetition),
			bit(c.urban),
			c.channel,
		]),
	);
	rows["customer_contracts.csv"] = await writeCsv(
		outDir,
		"customer_contracts.csv",
		[
			"customer_id",
			"customer_first_activation_date",
			"contract_start_date",
			"last_product_change_date",
			"next_renewal_date",
		],
		cs.map((c) => [
			c.id,
			c.firstActivation,
			c.contractStart,
			c.lastProductChange,
			c.nextRenewal,
		]),
	);

	const interactions = cs.flatMap((c) =>
		c.interactions.map((i) => ({
			customer_id: c.id,
			date: i.date,
			channel: i.channel,
			interaction_summary: i.summary,
		})),
	);
	await writeAtomic(
		join(outDir, "customer_interactions.json"),
		`${JSON.stringify(interactions, null, 1)}\n`,
	);
	rows["customer_interactions.json"] = interactions.length;

	rows["costs_by_province_month.csv"] = await writeCsv(
		outDir,
		"costs_by_province_month.csv",
		[
			"month",
			"province",
			"elec_var_cost_eur_kwh",
			"gas_var_cost_eur_m3",
			"peaje_elec_eur_kwh",
		],
		plan.costs.map((c) => [
			c.month,
			c.province,
			c.elecVarCost,
			c.gasVarCost,
			c.peaje,
		]),
	);

	// Prices, with the faults of real extracts.
	const r = Rng.stream(seed, "price-faults");
	const faults: CustomerFileFaults = {
		emptyIdPriceRows: 0,
		zeroPrices: 0,
		missingPrices: 0,
		customersWithSeveralInteractions: cs.filter(
			(c) => c.interactions.length > 1,
		).length,
	};
	const damage = (price: number): number | null => {
		if (price === 0) return price;
		const u = r.next();
		if (u < ZERO_PRICE_RATE) {
			faults.zeroPrices++;
			return 0;
		}
		if (u < ZERO_PRICE_RATE + MISSING_PRICE_RATE) {
			faults.missingPrices++;
			return null;
		}
		return price;
	};
	const priceRows: Cell[][] = [];
	for (const c of cs) {
		for (let m = 0; m < MONTHS; m++) {
			const row: Cell[] = [
				c.id,
				`${monthKey(m)}-01`,
				damage(c.tier1[m]),
				damage(c.tier2[m]),
				damage(c.tier3[m]),
				damage(c.elecFixedFee),
				c.elecFixedCost,
				damage(c.gasPrice[m]),
				c.gasFixedRevenueYear,
				c.gasFixedCostYear,
			];
			priceRows.push(row);
			if (r.next() < EMPTY_ID_PRICE_RATE) {
				priceRows.push(["", ...row.slice(1)]);
				faults.emptyIdPriceRows++;
			}
		}
	}
	rows["price_history.csv"] = await writeCsv(
		outDir,
		"price_history.csv",
		[
			"customer_id",
			"pricing_date",
			"variable_price_tier1_eur_kwh",
			"variable_price_tier2_eur_kwh",
			"variable_price_tier3_eur_kwh",
			"elec_fixed_fee_eur_month",
			"elec_fixed_cost_eur_month",
			"gas_variable_price_eur_m3",
			"gas_fixed_revenue_eur_year",
			"gas_fixed_cost_eur_year",
		],
		priceRows,
	);
	return { rows, faults };
}
