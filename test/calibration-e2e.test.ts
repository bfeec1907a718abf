/**
 * The calibration facts that only exist after the pipeline's own layers
 * (docs/data-contract.md §8): mean monthly electricity and the median monthly margin per
 * segment, computed by bronze + silver on a generated batch with hourly data.
 * (The customer-level facts are checked on the full default population in
 * synth-calibration.test.ts.)
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBronzeCustomer } from "../runtime/data/bronze/bronze-customer.ts";
import { buildBronzeCustomerMonth } from "../runtime/data/bronze/bronze-customer-month.ts";
import { aggregateConsumption } from "../runtime/data/bronze/hourly-aggregate.ts";
import { createSentimentScorer } from "../runtime/data/nlp/sentiment.ts";
import { loadRawBatch } from "../runtime/data/raw/load-batch.ts";
import { buildSilver } from "../runtime/data/silver/build-silver.ts";
import type { Table } from "../runtime/io/tables.ts";
import { generateBatch } from "../runtime/synth/generate.ts";

const within = (actual: number, target: number, rel: number) =>
	Math.abs(actual - target) <= Math.abs(target) * rel;
const median = (xs: number[]) => {
	const s = [...xs].sort((a, b) => a - b);
	const m = s.length >> 1;
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

let dir: string;
let silverMonth: Table;

beforeAll(async () => {
	dir = await mkdtemp(join(tmpdir(), "sg-calib-"));
	// 4,000 customers: enough Corporate customers (~35) for a stable median.
	await generateBatch({
		customers: 4000,
		seed: 42,
		outDir: dir,
		partCustomers: 1000,
	});
	const raw = await loadRawBatch(dir);
	const monthly = await aggregateConsumption(raw.consumption, {
		shards: 2,
		concurrency: 2,
	});
	const customer = buildBronzeCustomer(raw);
	const month = buildBronzeCustomerMonth(monthly.table, raw, customer.table);
	const silver = await buildSilver(customer.table, month.table, {
		sentiment: createSentimentScorer(),
	});
	silverMonth = silver.customerMonth;
}, 600_000);
afterAll(async () => {
	await rm(dir, { recursive: true, force: true });
});

describe("calibration facts after bronze + silver (docs/data-contract.md §8, ±25 %)", () => {
	it("mean monthly electricity ≈ 1,142 kWh", () => {
		const kwh = silverMonth.array("monthly_elec_kwh") as ArrayLike<number>;
		let sum = 0;
		for (let i = 0; i < kwh.length; i++) sum += kwh[i];
		const mean = sum / kwh.length;
		expect(within(mean, 1142, 0.25), `mean ${mean}`).toBe(true);
	});

	it.each([
		["Residential", 6.8],
		["SME", 11.4],
		["Corporate", -13.6],
	])("median monthly margin of %s ≈ %d €", (segment, target) => {
		const seg = silverMonth.array("segment") as ArrayLike<string>;
		const margin = silverMonth.array("total_margin") as ArrayLike<number>;
		const xs: number[] = [];
		for (let i = 0; i < seg.length; i++)
			if (seg[i] === segment) xs.push(margin[i]);
		const m = median(xs);
		expect(
			within(m, target, 0.25),
			`${segment} median ${m} over ${xs.length} customer-months`,
		).toBe(true);
	});

	it("overall median monthly margin ≈ 6.97 €", () => {
		const m = median(
			Array.from(silverMonth.array("total_margin") as ArrayLike<number>),
		);
		expect(within(m, 6.97, 0.25), `median ${m}`).toBe(true);
	});
});
