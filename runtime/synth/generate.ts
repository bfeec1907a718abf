/**
 * `generateBatch`: a complete raw batch in the raw schema of docs/data-contract.md §1,
 * deterministic for a seed. Customer-level files come from the plan
 * (population.ts); hourly consumption is streamed to Parquet parts by DuckDB.
 */

import { mkdir } from "node:fs/promises";
import { writeBatchManifest } from "../data/raw/batch-manifest.ts";
import { CONSUMPTION_DIR, writeConsumption } from "./consumption.ts";
import {
	type CustomerFileFaults,
	writeCustomerFiles,
} from "./customer-files.ts";
import { planBatch } from "./population.ts";

export const DEFAULT_CUSTOMERS = 20_099;
export const DEFAULT_SEED = 42;
/** The synthetic batch's manifest creation time: the end of the generated year. */
const SYNTHETIC_MANIFEST_TIME = new Date("2025-01-01T00:00:00Z");

export interface GenerateOptions {
	customers: number;
	seed: number;
	outDir: string;
	/** 0 = none; 1 = a clearly drifted batch */
	drift?: number;
	/** default true; false skips consumption (customer-level tests) */
	hourly?: boolean;
	/** customers per consumption part (default 1,000) */
	partCustomers?: number;
	onProgress?: (p: { phase: string; done: number; total: number }) => void;
}

export interface GenerateSummary {
	outDir: string;
	customers: number;
	seed: number;
	drift: number;
	/** file (or consumption part) → data rows written */
	files: Record<string, number>;
	faults: CustomerFileFaults & {
		negativeElecReadings: number;
		negativeGasReadings: number;
		emptyIdConsumptionRows: number;
	};
	churnRate: number;
	seconds: number;
}

export async function generateBatch(
	o: GenerateOptions,
): Promise<GenerateSummary> {
	if (!Number.isInteger(o.customers) || o.customers <= 0)
		throw new RangeError(
			`customers must be a positive integer, got ${o.customers}`,
		);
	if (!Number.isFinite(o.seed))
		throw new RangeError(`seed must be a number, got ${o.seed}`);
	const drift = o.drift ?? 0;
	if (!(drift >= 0)) throw new RangeError(`drift must be ≥ 0, got ${drift}`);
	const t0 = performance.now();
	await mkdir(o.outDir, { recursive: true });
	o.onProgress?.({ phase: "customers", done: 0, total: 1 });
	const plan = planBatch({ customers: o.customers, seed: o.seed, drift });
	const customerFiles = await writeCustomerFiles(plan, o.outDir, o.seed);
	o.onProgress?.({ phase: "customers", done: 1, total: 1 });
	const files: Record<string, number> = { ...customerFiles.rows };
	const faults: GenerateSummary["faults"] = {
		...customerFiles.faults,
		negativeElecReadings: 0,
		negativeGasReadings: 0,
		emptyIdConsumptionRows: 0,
	};
	if (o.hourly ?? true) {
		const c = await writeConsumption(plan, {
			outDir: o.outDir,
			seed: o.seed,
			partCustomers: o.partCustomers,
			onProgress: o.onProgress,
		});
		files[CONSUMPTION_DIR] = c.rows;
		faults.negativeElecReadings = c.negativeElecReadings;
		faults.negativeGasReadings = c.negativeGasReadings;
		faults.emptyIdConsumptionRows = c.emptyIdRows;
	}
	// Last, as an uploader would: the manifest says the batch is complete (docs/batch-manifest.md).
	// A fixed creation time: the same seed gives the same bytes, manifest included.
	await writeBatchManifest(o.outDir, SYNTHETIC_MANIFEST_TIME);
	return {
		outDir: o.outDir,
		customers: o.customers,
		seed: o.seed,
		drift,
		files,
		faults,
		churnRate: plan.customers.reduce((s, c) => s + c.churn, 0) / o.customers,
		seconds: (performance.now() - t0) / 1000,
	};
}
