import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { locateConsumption } from "../runtime/data/raw/consumption-source.ts";
import { loadRawBatch } from "../runtime/data/raw/load-batch.ts";
import { RawContractError } from "../runtime/errors.ts";
import {
	ATTRIBUTES,
	CHURN_LABEL,
	CONTRACTS,
	PRICES,
	writeTinyBatch,
} from "./fixtures/raw/tiny-batch.ts";

const root = await mkdtemp(join(tmpdir(), "raw-load-"));
afterAll(() => rm(root, { recursive: true, force: true }));
let n = 0;
const rows = (t: { objects(): object[] }) =>
	t.objects() as Record<string, unknown>[];
const batch = (opts: Parameters<typeof writeTinyBatch>[1] = {}) =>
	writeTinyBatch(join(root, `b${n++}`), opts);

/** Load a batch that must fail; return the RawContractError. */
async function contractError(dir: string): Promise<RawContractError> {
	const err = await loadRawBatch(dir).then(
		() => undefined,
		(e: unknown) => e,
	);
	expect(err).toBeInstanceOf(RawContractError);
	return err as RawContractError;
}

describe("loadRawBatch on a valid batch", () => {
	it("types every column, trims ids, normalises dates and counts absorbed faults", async () => {
		const raw = await loadRawBatch(await batch());
		expect(raw.churnLabel.objects()).toEqual([
			{ customer_id: "C1", churn: 0 },
			{ customer_id: "C2", churn: 0 },
			{ customer_id: "C3", churn: 1 },
		]);
		const attrs = rows(raw.attributes);
		expect(attrs).toHaveLength(4); // duplicates are resolved in bronze, not here
		expect(attrs[0]).toEqual({
			customer_id: "C1",
			contracted_power_kw: 4.6,
			is_industrial: 0,
			is_second_residence: 0,
			province_code: "28",
			region: "Madrid",
			is_high_competition_province: 1,
			is_urban: 1,
			sales_channel: "presencial_comercial",
		});
		expect(attrs[1].region).toBe("Cataluña, Barcelona");
		expect(rows(raw.contracts)[1]).toEqual({
			customer_id: "C2",
			customer_first_activation_date: "2020-02-01",
			contract_start_date: "2020-02-01",
			last_product_change_date: "2024-01-10",
			next_renewal_date: "2025-05-15",
		});
		expect(rows(raw.contracts)[2].customer_first_activation_date).toBeNull();
		expect(rows(raw.contracts)[2].next_renewal_date).toBe("2025-01-10");
		expect(raw.interactions.numRows()).toBe(5);
		expect(raw.prices.numRows()).toBe(4);
		expect(rows(raw.prices)[2].gas_variable_price_eur_m3).toBeNull();
		expect(rows(raw.prices)[3].variable_price_tier1_eur_kwh).toBe(0);
		expect(rows(raw.costs)[2]).toEqual({
			month: "2024-01",
			province: "08",
			elec_var_cost_eur_kwh: 0.06,
			gas_var_cost_eur_m3: 0.29,
			peaje_elec_eur_kwh: 0.03,
		});
		// One empty id; C2's tier-1 price is 0 and C1's February gas price is missing.
		expect(raw.faults).toEqual({
			price_rows_empty_customer_id: 1,
			price_elec_values_zero: 1,
			price_values_missing: 1,
		});
		expect(raw.consumption.format).toBe("parquet");
		expect(raw.consumption.layout).toBe("file");
		expect(raw.consumption.files[0].rows).toBe(13);
		expect(JSON.parse(JSON.stringify(raw.consumption))).toEqual(
			raw.consumption,
		);
	});

	it("reads .csv.gz small files and every consumption layout", async () => {
		const gz = await loadRawBatch(
			await batch({ gzipCsv: true, consumption: "csv.gz" }),
		);
		expect(gz.churnLabel.numRows()).toBe(3);
		expect(gz.prices.numRows()).toBe(4);
		expect(gz.consumption).toMatchObject({ format: "csv", layout: "file" });
		expect(gz.consumption.files[0].path).toMatch(
			/consumption_hourly_2024\.csv\.gz$/,
		);
		const csv = await locateConsumption(await batch({ consumption: "csv" }));
		expect(csv.files[0].path).toMatch(/consumption_hourly_2024\.csv$/);
		const parts = await locateConsumption(
			await batch({ consumption: "parts" }),
		);
		expect(parts.layout).toBe("parts");
		expect(parts.files.map((f) => f.rows)).toEqual([9, 4]);
	});
});

describe("loadRawBatch rejects bad input naming file, row and column", () => {
	it("missing file", async () => {
		const e = await contractError(
			await batch({ files: { "churn_label.csv": null } }),
		);
		expect(e.location.file).toMatch(/churn_label\.csv$/);
		expect(e.problem).toMatch(/missing file/);
	});
	it("missing consumption", async () => {
		const e = await contractError(await batch({ consumption: "none" }));
		expect(e.location.file).toMatch(/consumption_hourly_2024\.parquet$/);
		expect(e.problem).toMatch(/missing file/);
	});
	it("empty file", async () => {
		const e = await contractError(
			await batch({ files: { "customer_contracts.csv": "" } }),
		);
		expect(e.location.file).toMatch(/customer_contracts\.csv$/);
		expect(e.problem).toBe("empty file");
		const headerOnly = await contractError(
			await batch({
				files: { "customer_contracts.csv": CONTRACTS.split("\n")[0] },
			}),
		);
		expect(headerOnly.problem).toMatch(/no data rows/);
	});
	it("missing required column", async () => {
		const noUrban = ATTRIBUTES.replace(",is_urban", ",is_rural");
		const e = await contractError(
			await batch({ files: { "customer_attributes.csv": noUrban } }),
		);
		expect(e.location).toEqual({
			file: expect.stringMatching(/customer_attributes\.csv$/),
			column: "is_urban",
		});
		expect(e.message).toMatch(
			/customer_attributes\.csv, column "is_urban": missing required column/,
		);
	});
	it("unparsable number", async () => {
		const bad = PRICES.replace("C1,2024-01-15,0.21", "C1,2024-01-15,abc");
		const e = await contractError(
			await batch({ files: { "price_history.csv": bad } }),
		);
		expect(e.location).toMatchObject({
			row: 2,
			column: "variable_price_tier1_eur_kwh",
		});
		expect(e.problem).toBe('unparsable number "abc"');
		expect(e.message).toMatch(
			/price_history\.csv, row 2, column "variable_price_tier1_eur_kwh"/,
		);
	});
	it("reports the first problem in file order across columns, at any size", async () => {
		// Column-wise validation must still name the earliest row, not the first
		// column with a problem: row 3's tier-3 price is bad, row 2's fixed cost is
		// bad too; row 2 wins. Thousands of rows so the loop is not trivially short.
		const [header, ...lines] = PRICES.trim().split("\n");
		const many = Array.from({ length: 3_000 }, (_, k) =>
			lines[k % lines.length].replace(/^C\d+/, `X${k}`),
		);
		many[1_201] = many[1_201].split(",").with(4, "n/a").join(",");
		many[1_200] = many[1_200].split(",").with(6, "1.2.3").join(",");
		const e = await contractError(
			await batch({
				files: { "price_history.csv": `${header}\n${many.join("\n")}\n` },
			}),
		);
		expect(e.location).toMatchObject({
			row: 1_201,
			column: "elec_fixed_cost_eur_month",
		});
		expect(e.problem).toBe('unparsable number "1.2.3"');
	});
	it("same row: a missing JSON field comes before a bad value in an earlier column", async () => {
		const json = JSON.stringify([
			{
				customer_id: "C1",
				date: "2024-01-01",
				channel: "x",
				interaction_summary: "ok",
			},
			{ customer_id: "C2", date: "not a date", channel: "x" },
		]);
		const e = await contractError(
			await batch({ files: { "customer_interactions.json": json } }),
		);
		expect(e.location).toMatchObject({ row: 2, column: "interaction_summary" });
		expect(e.problem).toBe("missing required field");
	});
	it("an empty churn id after a bad flag on an earlier row reports the flag", async () => {
		const e = await contractError(
			await batch({
				files: { "churn_label.csv": "customer_id,churn\nC1,0\nC2,yes\n,1\n" },
			}),
		);
		expect(e.location).toMatchObject({ row: 2, column: "churn" });
	});
	it("a header that parses as one column hints at the delimiter", async () => {
		const semi = ATTRIBUTES.replaceAll(",", ";");
		const e = await contractError(
			await batch({ files: { "customer_attributes.csv": semi } }),
		);
		expect(e.location).toEqual({
			file: expect.stringMatching(/customer_attributes\.csv$/),
		});
		expect(e.problem).toMatch(
			/^the header "customer_id;contracted_power_kw;.*;extra" parses as one column: the file seems delimited by ";", the contract expects ","$/,
		);
	});
	it("unparsable date (impossible calendar date)", async () => {
		const bad = CONTRACTS.replace("2025-01-10T00:00:00", "2024-02-30");
		const e = await contractError(
			await batch({ files: { "customer_contracts.csv": bad } }),
		);
		expect(e.location).toMatchObject({ row: 3, column: "next_renewal_date" });
		expect(e.problem).toBe('unparsable date "2024-02-30"');
	});
	it("wrong type: churn not 0/1, JSON id not a string, JSON not an array", async () => {
		const churn = await contractError(
			await batch({
				files: { "churn_label.csv": CHURN_LABEL.replace("C3,1", "C3,yes") },
			}),
		);
		expect(churn.location).toMatchObject({ row: 3, column: "churn" });
		expect(churn.problem).toBe('wrong type: expected a 0/1 flag, got "yes"');
		const two = await contractError(
			await batch({
				files: { "churn_label.csv": CHURN_LABEL.replace("C3,1", "C3,2") },
			}),
		);
		expect(two.location).toMatchObject({ row: 3, column: "churn" });
		expect(two.problem).toMatch(/expected a 0\/1 flag/);
		const json = JSON.stringify([
			{
				customer_id: "C1",
				date: "2024-01-01",
				channel: "x",
				interaction_summary: "y",
			},
			{
				customer_id: 42,
				date: "2024-01-01",
				channel: "x",
				interaction_summary: "y",
			},
		]);
		const id = await contractError(
			await batch({ files: { "customer_interactions.json": json } }),
		);
		expect(id.location).toMatchObject({ row: 2, column: "customer_id" });
		expect(id.problem).toMatch(
			/wrong type: expected a string id, got number 42/,
		);
		const obj = await contractError(
			await batch({ files: { "customer_interactions.json": "{}" } }),
		);
		expect(obj.problem).toMatch(/expected a JSON array/);
	});
	it("JSON record missing a field", async () => {
		const json = JSON.stringify([
			{ customer_id: "C1", date: "2024-01-01", channel: "x" },
		]);
		const e = await contractError(
			await batch({ files: { "customer_interactions.json": json } }),
		);
		expect(e.location).toMatchObject({ row: 1, column: "interaction_summary" });
	});
	it("duplicate customer_id in churn_label", async () => {
		const e = await contractError(
			await batch({ files: { "churn_label.csv": `${CHURN_LABEL}C1,1\n` } }),
		);
		expect(e.location).toMatchObject({ row: 4, column: "customer_id" });
		expect(e.problem).toBe('duplicate customer_id "C1" (first at row 1)');
	});
	it("short CSV row", async () => {
		const e = await contractError(
			await batch({
				files: {
					"costs_by_province_month.csv":
						"month,province,elec_var_cost_eur_kwh,gas_var_cost_eur_m3,peaje_elec_eur_kwh\n2024-01,28,0.07\n",
				},
			}),
		);
		expect(e.location).toMatchObject({ row: 1, column: "gas_var_cost_eur_m3" });
	});
	it("malformed quoting (general CSV parser path)", async () => {
		const e = await contractError(
			await batch({
				files: { "churn_label.csv": 'customer_id,churn\nC1,0\n"C2,1\n' },
			}),
		);
		expect(e.location.file).toMatch(/churn_label\.csv$/);
		expect(e.problem).toMatch(/malformed CSV/);
	});
	it("bad month in costs", async () => {
		const e = await contractError(
			await batch({
				files: {
					"costs_by_province_month.csv":
						"month,province,elec_var_cost_eur_kwh,gas_var_cost_eur_m3,peaje_elec_eur_kwh\n2024-13,28,0.07,0.3,0.02\n",
				},
			}),
		);
		expect(e.location).toMatchObject({ row: 1, column: "month" });
	});
	it("consumption: missing column, wrong type, empty CSV", async () => {
		const dir = await batch({ consumption: "none" });
		await writeFile(
			join(dir, "consumption_hourly_2024.csv"),
			"customer_id,timestamp,consumption_elec_kwh\nC1,2024-01-01 00:00:00,1\n",
		);
		const missing = await contractError(dir);
		expect(missing.location).toMatchObject({ column: "consumption_gas_m3" });
		expect(missing.location.file).toMatch(/consumption_hourly_2024\.csv$/);

		const dir2 = await batch({ consumption: "none" });
		await writeFile(join(dir2, "consumption_hourly_2024.csv"), "");
		expect((await contractError(dir2)).problem).toBe("empty file");

		const dir3 = await batch({ consumption: "none" });
		const { DuckDBInstance } = await import("@duckdb/node-api");
		const inst = await DuckDBInstance.create(":memory:");
		const con = await inst.connect();
		await con.run(
			`COPY (SELECT 'C1' AS customer_id, '2024-01-01 00:00' AS "timestamp", 1.0::DOUBLE AS consumption_elec_kwh, 0.0::DOUBLE AS consumption_gas_m3)
			TO '${join(dir3, "consumption_hourly_2024.parquet")}' (FORMAT parquet)`,
		);
		con.closeSync();
		inst.closeSync();
		const wrongType = await contractError(dir3);
		expect(wrongType.location).toMatchObject({ column: "timestamp" });
		expect(wrongType.problem).toMatch(/wrong type VARCHAR/);
	});
});
