import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as aq from "arquero";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	buildBronzeCustomer,
	latestInteractionById,
} from "../runtime/data/bronze/bronze-customer.ts";
import {
	BRONZE_CUSTOMER_MONTH_COLUMNS,
	buildBronzeCustomerMonth,
} from "../runtime/data/bronze/bronze-customer-month.ts";
import {
	BRONZE_CUSTOMER_CONTRACT,
	BRONZE_CUSTOMER_MONTH_CONTRACT,
} from "../runtime/data/bronze/contracts.ts";
import { aggregateConsumption } from "../runtime/data/bronze/hourly-aggregate.ts";
import { loadRawBatch, type RawBatch } from "../runtime/data/raw/load-batch.ts";
import { RawContractError } from "../runtime/errors.ts";
import type { Table } from "../runtime/io/tables.ts";
import { checkTable } from "../runtime/monitoring/quality.ts";
import { writeTinyBatch } from "./fixtures/raw/tiny-batch.ts";

const root = await mkdtemp(join(tmpdir(), "bronze-tables-"));
afterAll(() => rm(root, { recursive: true, force: true }));
const rowsOf = (t: Table) => t.objects() as Record<string, unknown>[];

let batchDir: string;
let raw: RawBatch;
beforeAll(async () => {
	batchDir = await writeTinyBatch(join(root, "batch"));
	raw = await loadRawBatch(batchDir);
});

describe("latest-interaction rule", () => {
	it("latest by date; on equal dates the later record in file order; count of all records", () => {
		const t = aq.table({
			customer_id: ["A", "A", "A", "B", "B", "B"],
			date: [
				"2024-03-01",
				"2024-05-01",
				"2024-04-01",
				"2024-02-02",
				"2024-02-02",
				"2024-01-01",
			],
		});
		const latest = latestInteractionById(t);
		expect(latest.get("A")).toEqual({ row: 1, count: 3 });
		expect(latest.get("B")).toEqual({ row: 4, count: 3 });
	});
});

describe("bronze_customer", () => {
	it("joins churn ⟕ attributes ⟕ contracts ⟕ latest interaction, by hand", () => {
		const { table, faults } = buildBronzeCustomer(raw);
		const rows = rowsOf(table);
		expect(table.columnNames()).toEqual(
			BRONZE_CUSTOMER_CONTRACT.columns.map((c) => c.name),
		);
		expect(rows.map((r) => r.customer_id)).toEqual(["C1", "C2", "C3"]);
		expect(rows[0]).toEqual({
			customer_id: "C1",
			churn: 0,
			contracted_power_kw: 4.6,
			is_industrial: 0,
			is_second_residence: 0,
			province_code: "28",
			region: "Madrid",
			is_high_competition_province: 1,
			is_urban: 1,
			sales_channel: "presencial_comercial",
			customer_first_activation_date: "2015-03-01",
			contract_start_date: "2019-01-15",
			last_product_change_date: "2023-06-30",
			next_renewal_date: "2025-02-01",
			interaction_date: "2024-06-01",
			interaction_channel: "phone",
			interaction_summary: "Asked about renewal.",
			interaction_count: 2,
		});
		// C2: the first attribute row is kept; the later of two same-day interactions wins.
		expect(rows[1]).toMatchObject({
			contracted_power_kw: 10,
			region: "Cataluña, Barcelona",
			sales_channel: "comparador",
			interaction_date: "2024-05-05",
			interaction_channel: "chat",
			interaction_summary: "Second note.",
			interaction_count: 2,
		});
		expect(rows[2]).toMatchObject({
			churn: 1,
			customer_first_activation_date: null,
			last_product_change_date: null,
			interaction_date: null,
			interaction_channel: null,
			interaction_summary: null,
			interaction_count: 0,
		});
		expect(faults).toEqual({
			attribute_rows_duplicate_dropped: 1,
			interaction_rows_dropped_not_latest: 2,
			interaction_rows_unknown_customer: 1,
		});
		expect(checkTable(BRONZE_CUSTOMER_CONTRACT, table).passed).toBe(true);
	});

	it("rejects a duplicate customer_id in churn_label even in a hand-built batch", () => {
		const bad = {
			...raw,
			churnLabel: aq.table({ customer_id: ["C1", "C1"], churn: [0, 1] }),
		};
		expect(() => buildBronzeCustomer(bad)).toThrow(RawContractError);
	});
});

describe("bronze_customer_month", () => {
	it("joins province, the month's latest price row and the province-month costs, by hand", async () => {
		const monthly = await aggregateConsumption(raw.consumption, { shards: 1 });
		const customer = buildBronzeCustomer(raw).table;
		const { table, faults, customersWithoutConsumption } =
			buildBronzeCustomerMonth(monthly.table, raw, customer);
		expect(table.columnNames()).toEqual([...BRONZE_CUSTOMER_MONTH_COLUMNS]);
		expect(table.columnNames()).toEqual(
			BRONZE_CUSTOMER_MONTH_CONTRACT.columns.map((c) => c.name),
		);
		const rows = rowsOf(table);
		expect(
			rows.map((r) => `${r.customer_id} ${r.month} ${r.province_code}`),
		).toEqual(["C1 2024-01 28", "C1 2024-02 28", "C2 2024-01 08"]);
		// C1 January has two price rows: the one dated the 15th wins.
		expect(rows[0]).toMatchObject({
			monthly_elec_kwh: 7.75,
			pricing_date: "2024-01-15",
			variable_price_tier1_eur_kwh: 0.21,
			variable_price_tier2_eur_kwh: 0.16,
			variable_price_tier3_eur_kwh: 0.11,
			elec_fixed_fee_eur_month: 5,
			gas_fixed_revenue_eur_year: 60,
			elec_var_cost_eur_kwh: 0.07,
			gas_var_cost_eur_m3: 0.3,
			peaje_elec_eur_kwh: 0.02,
		});
		expect(rows[1]).toMatchObject({
			pricing_date: "2024-02-01",
			variable_price_tier1_eur_kwh: 0.22,
			gas_variable_price_eur_m3: null,
			elec_var_cost_eur_kwh: 0.08,
		});
		// A price of 0 stays 0 (silver imputes); province 08 costs.
		expect(rows[2]).toMatchObject({
			variable_price_tier1_eur_kwh: 0,
			elec_var_cost_eur_kwh: 0.06,
			peaje_elec_eur_kwh: 0.03,
		});
		// C3 has no consumption row at all: counted, not a quiet zero.
		expect(faults).toEqual({
			price_rows_duplicate_month_dropped: 1,
			consumption_months_unknown_customer_dropped: 1,
			consumption_rows_unknown_customer_dropped: 1, // C7's one hour
			consumption_customers_not_in_churn_label: 1,
			customers_without_consumption: 1,
		});
		expect(customersWithoutConsumption).toEqual(["C3"]);
		const report = checkTable(BRONZE_CUSTOMER_MONTH_CONTRACT, table);
		expect(report.violations).toEqual([]);
		// The contract catches a negative kWh.
		const broken = table.derive({ monthly_elec_kwh: () => -1 });
		expect(
			checkTable(BRONZE_CUSTOMER_MONTH_CONTRACT, broken).violations.map(
				(v) => `${v.column}:${v.rule}`,
			),
		).toEqual(["monthly_elec_kwh:range"]);
	});
});

// The bronze stages end to end (ValidateRaw → BronzeShard → BronzeReduce): test/stage-bronze.test.ts.
