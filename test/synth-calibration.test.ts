/**
 * Calibration facts of docs/data-contract.md §8 on a generated batch, measured the way the
 * pipeline will see them: intent and sentiment are recovered from the note
 * text with the NLP rules and scorer, not read from the generator's latents.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classifyIntent } from "../runtime/data/nlp/intent.ts";
import {
	createSentimentScorer,
	type SentimentLabel,
} from "../runtime/data/nlp/sentiment.ts";
import { tierShares } from "../runtime/synth/calendar.ts";
import {
	DEFAULT_CUSTOMERS,
	type GenerateSummary,
	generateBatch,
} from "../runtime/synth/generate.ts";
import { planBatch } from "../runtime/synth/population.ts";

type Row = Record<string, string>;

async function readCsv(path: string): Promise<Row[]> {
	const [head, ...lines] = (await readFile(path, "utf8")).trimEnd().split("\n");
	const cols = head.split(",");
	return lines.map((l) => {
		if (l.includes('"')) throw new Error(`unexpected quoted field in ${path}`);
		const v = l.split(",");
		return Object.fromEntries(cols.map((c, i) => [c, v[i] ?? ""]));
	});
}

const CHANNEL_NAMES: Record<string, string> = {
	presencial_comercial: "In-Person Commercial",
	comparador: "Comparison Website",
	oficina: "Office",
	telemarketing: "Telemarketing",
	web_propia: "Own Website",
	desconocido: "Unknown",
};
const AS_OF = Date.UTC(2025, 0, 1);
const monthsFromAsOf = (d: string) =>
	(Date.parse(d) - AS_OF) / 86_400_000 / 30.44;
const median = (xs: number[]) => {
	const s = [...xs].sort((a, b) => a - b);
	return s.length % 2
		? s[(s.length - 1) / 2]
		: (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

describe("synthetic batch: calibration facts (20,099 customers, customer-level files)", () => {
	let dir: string;
	let summary: GenerateSummary;
	interface Customer {
		id: string;
		churn: number;
		segment: "Residential" | "SME" | "Corporate";
		channel: string;
		secondResidence: boolean;
		highCompetition: boolean;
		renewalMonths: number;
		tenureMonths: number;
		dual: boolean;
		sentiment?: SentimentLabel;
		intent?: string;
	}
	const customers: Customer[] = [];

	beforeAll(async () => {
		dir = await mkdtemp(join(tmpdir(), "synth-cal-"));
		summary = await generateBatch({
			customers: DEFAULT_CUSTOMERS,
			seed: 42,
			outDir: dir,
			hourly: false,
		});
		const churn = await readCsv(join(dir, "churn_label.csv"));
		const attrs = new Map(
			(await readCsv(join(dir, "customer_attributes.csv"))).map((r) => [
				r.customer_id,
				r,
			]),
		);
		const contracts = new Map(
			(await readCsv(join(dir, "customer_contracts.csv"))).map((r) => [
				r.customer_id,
				r,
			]),
		);
		const gasPriced = new Set(
			(await readCsv(join(dir, "price_history.csv")))
				.filter((r) => Number(r.gas_fixed_revenue_eur_year) > 0)
				.map((r) => r.customer_id),
		);
		const interactions = JSON.parse(
			await readFile(join(dir, "customer_interactions.json"), "utf8"),
		) as {
			customer_id: string;
			date: string;
			interaction_summary: string;
		}[];
		const latest = new Map<
			string,
			{ date: string; interaction_summary: string }
		>();
		for (const i of interactions) {
			const prev = latest.get(i.customer_id);
			if (!prev || i.date > prev.date) latest.set(i.customer_id, i);
		}
		const ids = [...latest.keys()];
		const scores = await createSentimentScorer().score(
			ids.map((id) => latest.get(id)?.interaction_summary ?? ""),
		);
		const sentiment = new Map(ids.map((id, k) => [id, scores[k].label]));
		for (const r of churn) {
			const a = attrs.get(r.customer_id) as Row;
			const c = contracts.get(r.customer_id) as Row;
			const power = Number(a.contracted_power_kw);
			const note = latest.get(r.customer_id);
			customers.push({
				id: r.customer_id,
				churn: Number(r.churn),
				segment:
					a.is_industrial === "0"
						? "Residential"
						: power <= 10
							? "SME"
							: "Corporate",
				channel: CHANNEL_NAMES[a.sales_channel] ?? a.sales_channel,
				secondResidence: a.is_second_residence === "1",
				highCompetition: a.is_high_competition_province === "1",
				renewalMonths: monthsFromAsOf(c.next_renewal_date),
				tenureMonths: -monthsFromAsOf(
					c.customer_first_activation_date || c.contract_start_date,
				),
				dual: gasPriced.has(r.customer_id),
				sentiment: sentiment.get(r.customer_id),
				intent: note
					? (classifyIntent(note.interaction_summary) ?? undefined)
					: undefined,
			});
		}
	});
	afterAll(async () => {
		await rm(dir, { recursive: true, force: true });
	});

	const rate = (f: (c: Customer) => boolean) => {
		const s = customers.filter(f);
		return s.filter((c) => c.churn === 1).length / s.length;
	};
	const share = (f: (c: Customer) => boolean) =>
		customers.filter(f).length / customers.length;
	const within = (actual: number, expected: number, relative: number) =>
		expect(
			Math.abs(actual - expected),
			`${actual} vs ${expected}`,
		).toBeLessThanOrEqual(Math.abs(expected) * relative);
	const pts = (actual: number, expected: number) =>
		expect(
			Math.abs(actual - expected),
			`${(100 * actual).toFixed(1)} % vs ${(100 * expected).toFixed(1)} %`,
		).toBeLessThanOrEqual(0.03);

	it("writes every raw file with one row per customer", () => {
		expect(customers).toHaveLength(20_099);
		expect(new Set(customers.map((c) => c.id)).size).toBe(20_099);
		expect(summary.files["churn_label.csv"]).toBe(20_099);
		expect(summary.files["costs_by_province_month.csv"]).toBe(52 * 12);
		// one price row per customer-month, plus the injected empty-id rows
		expect(summary.files["price_history.csv"]).toBe(
			20_099 * 12 + summary.faults.emptyIdPriceRows,
		);
		expect(summary.faults.emptyIdPriceRows).toBeGreaterThan(150);
		expect(summary.faults.emptyIdPriceRows).toBeLessThan(370);
		expect(
			summary.faults.zeroPrices + summary.faults.missingPrices,
		).toBeGreaterThan(0);
		expect(summary.faults.customersWithSeveralInteractions).toBeGreaterThan(0);
	});

	it("overall churn 10 % ± 1 pt", () => {
		expect(Math.abs(rate(() => true) - 0.0996)).toBeLessThanOrEqual(0.01);
	});

	it("segment, second-residence and channel shares within ± 10 % relative", () => {
		const n = 20_099;
		within(
			share((c) => c.segment === "Residential"),
			18_090 / n,
			0.1,
		);
		within(
			share((c) => c.segment === "SME"),
			1_832 / n,
			0.1,
		);
		within(
			share((c) => c.segment === "Corporate"),
			177 / n,
			0.1,
		);
		within(
			share((c) => c.secondResidence),
			402 / n,
			0.1,
		);
		const counts: Record<string, number> = {
			"In-Person Commercial": 9_158,
			Unknown: 5_267,
			"Comparison Website": 2_597,
			Office: 1_836,
			Telemarketing: 1_218,
		};
		for (const [channel, count] of Object.entries(counts))
			within(
				share((c) => c.channel === channel),
				count / n,
				0.1,
			);
		// Own Website: 23 of 20,099 — a rare channel; ± 10 % relative is below sampling noise at this count.
		expect(
			customers.filter((c) => c.channel === "Own Website").length,
		).toBeGreaterThan(5);
		within(
			share((c) => c.sentiment !== undefined),
			6_420 / n,
			0.1,
		);
	});

	it("conditional churn rates within ± 3 pts", () => {
		pts(
			rate((c) => c.renewalMonths > 0 && c.renewalMonths <= 3),
			0.25,
		);
		pts(
			rate((c) => c.renewalMonths > 3),
			0.06,
		);
		pts(
			rate((c) => c.tenureMonths > 60),
			0.06,
		);
		pts(
			rate((c) => c.tenureMonths <= 12),
			0.13,
		);
		pts(
			rate((c) => c.highCompetition),
			0.14,
		);
		pts(
			rate((c) => !c.highCompetition),
			0.08,
		);
		pts(
			rate((c) => c.dual),
			0.08,
		);
		pts(
			rate((c) => !c.dual),
			0.1,
		);
		pts(
			rate((c) => c.channel === "Comparison Website"),
			0.06,
		);
		pts(
			rate((c) => c.channel === "In-Person Commercial"),
			0.12,
		);
		pts(
			rate((c) => c.sentiment !== undefined),
			0.171,
		);
		pts(
			rate((c) => c.sentiment === undefined),
			0.066,
		);
	});

	it("sentiment and intent recovered from the notes carry the churn signal", () => {
		pts(
			rate((c) => c.sentiment === "negative"),
			0.994,
		);
		pts(
			rate((c) => c.sentiment === "neutral"),
			0.154,
		);
		pts(
			rate((c) => c.sentiment === "positive"),
			0.0003,
		);
		pts(
			rate(
				(c) =>
					c.intent === "Cancellation / Switch" ||
					c.intent === "Complaint / Escalation",
			),
			0.98,
		);
		const withNote = customers.filter((c) => c.sentiment !== undefined).length;
		within(
			customers.filter((c) => c.sentiment === "negative").length / withNote,
			679 / 6_420,
			0.25,
		);
		within(
			customers.filter((c) => c.sentiment === "positive").length / withNote,
			3_001 / 6_420,
			0.25,
		);
		// several intents appear, not just the churn-related ones
		expect(
			new Set(customers.map((c) => c.intent).filter(Boolean)).size,
		).toBeGreaterThanOrEqual(8);
	});

	it("renewal dates fall 2–330 days after the data's end", () => {
		const days = customers.map((c) => c.renewalMonths * 30.44);
		expect(Math.min(...days)).toBeGreaterThanOrEqual(1.5);
		expect(Math.max(...days)).toBeLessThanOrEqual(330.5);
	});

	it("mean monthly electricity and median monthly margin per segment within ± 25 %", async () => {
		// Planned monthly use (the hourly data reproduces it, checked below) priced
		// with the written price and cost files by the docs/data-contract.md §3 P&L formulas.
		const plan = planBatch({ customers: DEFAULT_CUSTOMERS, seed: 42 });
		const meanElec =
			plan.customers.reduce(
				(s, c) => s + c.elecKwh.reduce((a, b) => a + b, 0) / 12,
				0,
			) / plan.customers.length;
		within(meanElec, 1_142, 0.25);
		const prices = new Map(
			(await readCsv(join(dir, "price_history.csv"))).map((r) => [
				`${r.customer_id}|${r.pricing_date.slice(0, 7)}`,
				r,
			]),
		);
		const costs = new Map(
			(await readCsv(join(dir, "costs_by_province_month.csv"))).map((r) => [
				`${r.province}|${r.month}`,
				r,
			]),
		);
		const margins: Record<string, number[]> = {
			Residential: [],
			SME: [],
			Corporate: [],
		};
		const all: number[] = [];
		const sharesBySegment = {
			Residential: tierShares("Residential"),
			SME: tierShares("SME"),
			Corporate: tierShares("Corporate"),
		};
		for (const c of plan.customers) {
			const shares = sharesBySegment[c.segment];
			for (let m = 0; m < 12; m++) {
				const month = `2024-${String(m + 1).padStart(2, "0")}`;
				const p = prices.get(`${c.id}|${month}`) as Row;
				const k = costs.get(`${c.province.code}|${month}`) as Row;
				const kwh = c.elecKwh[m];
				const gas = c.gasM3[m];
				const n = (s: string) => Number(s || 0); // missing counts as 0 (no imputation here)
				const revenue =
					kwh * shares[m][0] * n(p.variable_price_tier1_eur_kwh) +
					kwh * shares[m][1] * n(p.variable_price_tier2_eur_kwh) +
					kwh * shares[m][2] * n(p.variable_price_tier3_eur_kwh) +
					n(p.elec_fixed_fee_eur_month) +
					gas * n(p.gas_variable_price_eur_m3) +
					n(p.gas_fixed_revenue_eur_year) / 12;
				const cost =
					kwh * (n(k.elec_var_cost_eur_kwh) + n(k.peaje_elec_eur_kwh)) +
					n(p.elec_fixed_cost_eur_month) +
					gas * n(k.gas_var_cost_eur_m3) +
					n(p.gas_fixed_cost_eur_year) / 12;
				margins[c.segment].push(revenue - cost);
				all.push(revenue - cost);
			}
		}
		within(median(margins.Residential), 6.8, 0.25);
		within(median(margins.SME), 11.4, 0.25);
		within(median(margins.Corporate), -13.6, 0.25);
		within(median(all), 6.97, 0.25);
	});

	it("is deterministic for a seed and differs across seeds", async () => {
		const hashes = async (d: string) => {
			const out: Record<string, string> = {};
			for (const f of (await readdir(d)).sort())
				out[f] = createHash("sha256")
					.update(await readFile(join(d, f)))
					.digest("hex");
			return out;
		};
		const a = await mkdtemp(join(tmpdir(), "synth-a-"));
		const b = await mkdtemp(join(tmpdir(), "synth-b-"));
		const c = await mkdtemp(join(tmpdir(), "synth-c-"));
		try {
			await generateBatch({
				customers: 1_500,
				seed: 7,
				outDir: a,
				hourly: false,
			});
			await generateBatch({
				customers: 1_500,
				seed: 7,
				outDir: b,
				hourly: false,
			});
			await generateBatch({
				customers: 1_500,
				seed: 8,
				outDir: c,
				hourly: false,
			});
			const [ha, hb, hc] = [await hashes(a), await hashes(b), await hashes(c)];
			// Six datasets and the batch manifest (written last).
			expect(Object.keys(ha)).toHaveLength(7);
			expect(hb).toEqual(ha);
			for (const f of Object.keys(ha))
				if (f !== "costs_by_province_month.csv")
					expect(hc[f], f).not.toBe(ha[f]);
		} finally {
			for (const d of [a, b, c]) await rm(d, { recursive: true, force: true });
		}
	});
});

describe("synthetic batch: hourly consumption (40 customers)", () => {
	let dir: string;
	let summary: GenerateSummary;
	const N = 40;
	beforeAll(async () => {
		dir = await mkdtemp(join(tmpdir(), "synth-hourly-"));
		summary = await generateBatch({
			customers: N,
			seed: 42,
			outDir: dir,
			partCustomers: 15,
		});
	});
	afterAll(async () => {
		await rm(dir, { recursive: true, force: true });
	});

	it("writes ordered parts with 8,784 hours per customer and the stated faults", async () => {
		const parts = (await readdir(join(dir, "consumption_hourly_2024"))).sort();
		expect(parts).toEqual([
			"_SUCCESS", // written last: the batch trigger waits for it
			"part-00000.parquet",
			"part-00001.parquet",
			"part-00002.parquet",
		]);
		const db = await DuckDBInstance.create(":memory:");
		const con = await db.connect();
		try {
			const glob = join(dir, "consumption_hourly_2024", "*.parquet").replaceAll(
				"'",
				"''",
			);
			const read = async (sql: string) =>
				(await con.runAndReadAll(sql)).getRowObjectsJson();
			const schema = await read(
				`DESCRIBE SELECT * FROM read_parquet('${glob}')`,
			);
			expect(schema.map((r) => [r.column_name, r.column_type])).toEqual([
				["customer_id", "VARCHAR"],
				["timestamp", "TIMESTAMP"],
				["consumption_elec_kwh", "DOUBLE"],
				["consumption_gas_m3", "DOUBLE"],
			]);
			// file order: within each part, (customer_id, timestamp) never goes backwards
			const disorder = await read(`SELECT count(*) AS n FROM (
				SELECT customer_id, "timestamp", filename,
					lag(customer_id) OVER (PARTITION BY filename ORDER BY file_row_number) AS pc,
					lag("timestamp") OVER (PARTITION BY filename ORDER BY file_row_number) AS pt
				FROM read_parquet('${glob}', filename = true, file_row_number = true)
				WHERE customer_id <> '')
				WHERE pc IS NOT NULL AND (customer_id < pc OR (customer_id = pc AND "timestamp" <= pt))`);
			expect(Number(disorder[0].n)).toBe(0);
			const perCustomer =
				await read(`SELECT customer_id, count(*) AS n, count(DISTINCT "timestamp") AS d,
					min("timestamp") AS lo, max("timestamp") AS hi, sum(greatest(consumption_gas_m3, 0)) AS gas
				FROM read_parquet('${glob}') WHERE customer_id <> '' GROUP BY ALL ORDER BY customer_id`);
			expect(perCustomer).toHaveLength(N);
			const plan = planBatch({ customers: N, seed: 42 });
			for (const [i, r] of perCustomer.entries()) {
				expect(r.customer_id).toBe(plan.customers[i].id);
				expect([Number(r.n), Number(r.d)]).toEqual([8_784, 8_784]);
				expect(String(r.lo)).toContain("2024-01-01 00:00:00");
				expect(String(r.hi)).toContain("2024-12-31 23:00:00");
				// gas only for dual-fuel customers
				expect(Number(r.gas) > 0).toBe(plan.customers[i].dualFuel);
			}
			const faults = (
				await read(`SELECT count(*) AS rows,
					count(*) FILTER (consumption_elec_kwh < 0) AS neg_e, count(*) FILTER (consumption_gas_m3 < 0) AS neg_g,
					count(*) FILTER (customer_id IS NULL OR customer_id = '') AS empty_id
				FROM read_parquet('${glob}')`)
			)[0];
			const rows = N * 8_784;
			expect(Number(faults.rows)).toBe(rows + Number(faults.empty_id));
			expect(Number(faults.neg_e) / rows).toBeGreaterThan(0.0018);
			expect(Number(faults.neg_e) / rows).toBeLessThan(0.0034);
			expect(Number(faults.neg_g) / rows).toBeGreaterThan(0.00002);
			expect(Number(faults.neg_g) / rows).toBeLessThan(0.0003);
			expect(summary.faults.negativeElecReadings).toBe(Number(faults.neg_e));
			expect(summary.faults.negativeGasReadings).toBe(Number(faults.neg_g));
			expect(summary.faults.emptyIdConsumptionRows).toBe(
				Number(faults.empty_id),
			);
			expect(summary.files.consumption_hourly_2024).toBe(Number(faults.rows));

			// monthly totals (negatives clamped) reproduce the plan; mean near the reference
			const monthly =
				await read(`SELECT customer_id, month("timestamp") AS m, sum(greatest(consumption_elec_kwh, 0)) AS kwh
				FROM read_parquet('${glob}') WHERE customer_id <> '' GROUP BY ALL`);
			const byId = new Map(plan.customers.map((c) => [c.id, c]));
			let err = 0;
			let total = 0;
			for (const r of monthly) {
				const planned = (
					byId.get(String(r.customer_id)) as (typeof plan.customers)[number]
				).elecKwh[Number(r.m) - 1];
				err = Math.max(err, Math.abs(Number(r.kwh) / planned - 1));
				total += Number(r.kwh);
			}
			expect(err).toBeLessThan(0.03);
			const meanMonthly = total / (N * 12);
			expect(Math.abs(meanMonthly - 1_142)).toBeLessThanOrEqual(1_142 * 0.25);
		} finally {
			con.closeSync();
			db.closeSync();
		}
	});

	it("is identical for the same seed", async () => {
		const again = await mkdtemp(join(tmpdir(), "synth-hourly2-"));
		try {
			await generateBatch({
				customers: N,
				seed: 42,
				outDir: again,
				partCustomers: 15,
			});
			const digest = async (d: string) =>
				createHash("sha256")
					.update(
						await readFile(
							join(d, "consumption_hourly_2024", "part-00001.parquet"),
						),
					)
					.digest("hex");
			expect(await digest(again)).toBe(await digest(dir));
		} finally {
			await rm(again, { recursive: true, force: true });
		}
	});
});
