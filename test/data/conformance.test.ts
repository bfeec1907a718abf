/**
 * An independent conformance batch, written here by hand rules (not by the
 * generator): ids of another format, an electricity-only majority with blank
 * gas tariffs, BOM + CRLF CSVs with extra columns, an unknown channel label,
 * CSV consumption with duplicated hourly rows, a customer without
 * consumption, several interactions per customer. The whole pipeline runs on
 * it (gate 0); every absorbed fault is counted in the summary and
 * run_report.json.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lake, lakeKeys } from "../../runtime/io/lake.ts";
import { executeRun } from "../../runtime/pipeline/execute.ts";

const N = 40;
const id = (i: number) => `ES-${String(1000 + i * 7)}-${"ABCDEFGH"[i % 8]}`;
const gas = (i: number) => i % 5 === 0; // 8 of 40 have gas
const province = (i: number) => (i % 3 === 0 ? "08" : "28");
const crlf = (lines: string[]) => `\uFEFF${lines.join("\r\n")}\r\n`;
const NO_CONSUMPTION = N - 1;

async function writeBatch(dir: string): Promise<void> {
	await mkdir(dir, { recursive: true });
	const ids = Array.from({ length: N }, (_, i) => i);
	await writeFile(
		join(dir, "churn_label.csv"),
		crlf([
			"customer_id,churn,source_system",
			...ids.map((i) => `${id(i)},${i % 4 === 1 ? 1 : 0},crm`),
		]),
	);
	const channels = ["comparador", "web_propia", "presencial_comercial"];
	await writeFile(
		join(dir, "customer_attributes.csv"),
		crlf([
			"customer_id,contracted_power_kw,is_industrial,is_second_residence,province_code,region,is_high_competition_province,is_urban,sales_channel,notes",
			...ids.map(
				(i) =>
					`${id(i)},${(3.3 + (i % 6) * 1.1).toFixed(1)},${i % 9 === 0 ? 1 : 0},${i % 7 === 0 ? 1 : 0},${province(i)},${province(i) === "08" ? "Cataluña" : "Madrid"},${province(i) === "28" ? 1 : 0},${i % 2},${i === 3 ? "telemarketing_externo" : channels[i % 3]},n${i}`,
			),
		]),
	);
	await writeFile(
		join(dir, "customer_contracts.csv"),
		crlf([
			"customer_id,customer_first_activation_date,contract_start_date,last_product_change_date,next_renewal_date",
			...ids.map(
				(i) =>
					`${id(i)},201${i % 10}-0${1 + (i % 9)}-01,2022-0${1 + (i % 9)}-15,${i % 3 === 0 ? "" : "2023-11-01"},2025-0${1 + (i % 9)}-15`,
			),
		]),
	);
	const notes = [
		"Customer called about the invoice, resolved.",
		"Not satisfied with the price increase, wants to cancel.",
		"Asked for a tariff comparison.",
	];
	await writeFile(
		join(dir, "customer_interactions.json"),
		JSON.stringify(
			ids.flatMap((i) =>
				[0, 1, 2].slice(0, 1 + (i % 3)).map((k) => ({
					customer_id: id(i),
					date: `2024-0${3 + k}-1${i % 10}`,
					channel: ["phone", "email", "chat"][k],
					interaction_summary: notes[(i + k) % 3],
				})),
			),
		),
	);
	const months = Array.from({ length: 12 }, (_, m) =>
		String(m + 1).padStart(2, "0"),
	);
	await writeFile(
		join(dir, "price_history.csv"),
		crlf([
			"customer_id,pricing_date,variable_price_tier1_eur_kwh,variable_price_tier2_eur_kwh,variable_price_tier3_eur_kwh,elec_fixed_fee_eur_month,elec_fixed_cost_eur_month,gas_variable_price_eur_m3,gas_fixed_revenue_eur_year,gas_fixed_cost_eur_year,currency",
			...ids.flatMap((i) =>
				months.map(
					(m) =>
						`${id(i)},2024-${m}-01,0.2${i % 5},0.15,0.10,5,2,${gas(i) ? "0.9,60,30" : ",,"},EUR`,
				),
			),
		]),
	);
	await writeFile(
		join(dir, "costs_by_province_month.csv"),
		crlf([
			"month,province,elec_var_cost_eur_kwh,gas_var_cost_eur_m3,peaje_elec_eur_kwh",
			...months.flatMap((m) =>
				["08", "28"].map(
					(p) => `2024-${m},${p},0.0${6 + (Number(m) % 3)},0.3,0.02`,
				),
			),
		]),
	);
	// Hourly CSV for all of 2024 (wall clock: no 31 March 02:00, 27 October 02:00 twice).
	const lines = [
		"customer_id,timestamp,consumption_elec_kwh,consumption_gas_m3,meter",
	];
	const start = Date.UTC(2024, 0, 1);
	const hours: string[] = [];
	for (let h = 0; h < 8784; h++) {
		const t = new Date(start + h * 3_600_000)
			.toISOString()
			.slice(0, 19)
			.replace("T", " ");
		if (t === "2024-03-31 02:00:00") continue;
		hours.push(t);
		if (t === "2024-10-27 02:00:00") hours.push(t);
	}
	for (let i = 0; i < NO_CONSUMPTION; i++)
		hours.forEach((t, k) => {
			const e = (((i * 31 + k * 17) % 23) / 10).toFixed(1);
			const g = gas(i) ? (((k * 13 + i) % 7) / 100).toFixed(2) : "0";
			lines.push(`${id(i)},${t},${e},${g},m${i}`);
			// Duplicated hourly rows: customer 2 repeats its first day exactly.
			if (i === 2 && k < 24) lines.push(`${id(i)},${t},${e},${g},m${i}`);
		});
	await writeFile(join(dir, "consumption_hourly_2024.csv"), crlf(lines));
}

let root: string;
beforeAll(async () => {
	root = await mkdtemp(join(tmpdir(), "conformance-"));
	await writeBatch(new Lake(root).rawDir("hand"));
}, 60_000);
afterAll(() => rm(root, { recursive: true, force: true }));

describe("independent conformance batch", () => {
	it("runs to success with gate 0, every absorbed fault counted in the summary and run_report.json", async () => {
		const r = await executeRun({
			dataRoot: root,
			batchId: "hand",
			shardCount: 3,
			gate: 0,
			// One customer of 40 without consumption: 2.5 %, above the 1 % default.
			quality: { maxInvalidShare: 0.05 },
		});
		expect(r.ok, JSON.stringify(r.record?.history ?? r)).toBe(true);
		const summary = r.record?.summary as {
			faults: Record<string, number>;
			rows: Record<string, number>;
			quality: Record<string, { warnings: number }>;
		};
		const expected = {
			// Customer 2 repeats its first day: 24 exact duplicates, dropped.
			consumption_duplicate_rows_exact: 24,
			customers_without_consumption: 1,
			// 32 electricity-only customers × 12 months × 3 blank gas tariffs.
			price_values_missing: 32 * 12 * 3,
			// 1 + (i mod 3) interactions each: 39 older ones set aside.
			interaction_rows_dropped_not_latest: 39,
		};
		expect(summary.faults).toEqual(expected);
		// Every wall-clock hour is there (DST-aware), so no missing hours are reported.
		expect(summary.rows.consumption_hourly).toBe(39 * 8784 + 24);
		// The unknown sales channel is kept as given, a warning of silver_customer.
		const silver = JSON.parse(
			await readFile(
				join(root, lakeKeys.doc(r.runId, "quality", "silver_customer")),
				"utf8",
			),
		) as { violations: { column?: string; severity: string }[] };
		expect(
			silver.violations.filter((v) => v.column === "sales_channel"),
		).toEqual([expect.objectContaining({ severity: "warning" })]);
		expect(summary.quality.silver_customer.warnings).toBeGreaterThanOrEqual(1);
		const report = JSON.parse(
			await readFile(join(root, lakeKeys.runReport(r.runId)), "utf8"),
		);
		const text = JSON.stringify(report);
		for (const k of Object.keys(expected)) expect(text).toContain(k);
	}, 300_000);
});
