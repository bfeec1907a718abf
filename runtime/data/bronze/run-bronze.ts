/**
 * The bronze stage end to end on one machine: load and validate the raw
 * batch, aggregate the hourly consumption in parallel shards, build both
 * bronze tables, write them as Parquet under the run id with a data-quality
 * report each. The state machine may instead run the shards as Map
 * iterations and call the same builders in its reduce step.
 */
import type { QualityViolation } from "../../errors.ts";
import { type Lake, writeJsonAtomic } from "../../io/lake.ts";
import { type Table, writeParquetFile } from "../../io/tables.ts";
import {
	checkTable,
	type QualityReport,
	type QualityTolerances,
	resolveTolerances,
	type TableContract,
} from "../../monitoring/quality.ts";
import { loadRawBatch } from "../raw/load-batch.ts";
import { buildBronzeCustomer } from "./bronze-customer.ts";
import { buildBronzeCustomerMonth } from "./bronze-customer-month.ts";
import {
	BRONZE_CUSTOMER_CONTRACT,
	BRONZE_CUSTOMER_MONTH_CONTRACT,
	consumptionCoverageViolations,
} from "./contracts.ts";
import { aggregateConsumption } from "./hourly-aggregate.ts";

export interface BronzeResult {
	bronzeCustomer: Table;
	bronzeCustomerMonth: Table;
	quality: QualityReport[];
	faults: Record<string, number>;
	/** Latest consumption timestamp kept, "YYYY-MM-DDTHH:MM:SS" (the as-of date is derived from it). */
	maxTimestamp: string;
	timingsMs: Record<string, number>;
}

export function mergeFaults(
	...all: Record<string, number>[]
): Record<string, number> {
	const out: Record<string, number> = {};
	for (const f of all)
		for (const [k, v] of Object.entries(f)) out[k] = (out[k] ?? 0) + v;
	return out;
}

export async function runBronze(
	batchDir: string,
	lake: Lake,
	runId: string,
	opts: {
		shards?: number;
		concurrency?: number;
		quality?: Partial<QualityTolerances>;
	} = {},
): Promise<BronzeResult> {
	const tolerances = resolveTolerances(opts.quality);
	const timingsMs: Record<string, number> = {};
	const timed = async <T>(
		name: string,
		fn: () => Promise<T> | T,
	): Promise<T> => {
		const t0 = performance.now();
		const r = await fn();
		timingsMs[name] = Math.round(performance.now() - t0);
		return r;
	};
	const raw = await timed("load_raw", () => loadRawBatch(batchDir));
	const monthly = await timed("aggregate_consumption", () =>
		aggregateConsumption(raw.consumption, {
			...opts,
			maxInvalidHourlyShare: tolerances.maxInvalidHourlyShare,
		}),
	);
	const customer = await timed("bronze_customer", () =>
		buildBronzeCustomer(raw),
	);
	const month = await timed("bronze_customer_month", () =>
		buildBronzeCustomerMonth(monthly.table, raw, customer.table),
	);
	const quality: QualityReport[] = [];
	await timed("write", async () => {
		const coverage = consumptionCoverageViolations(
			customer.table,
			month.customersWithoutConsumption,
			tolerances,
		);
		for (const [contract, table, extra] of [
			[BRONZE_CUSTOMER_CONTRACT, customer.table, []],
			[BRONZE_CUSTOMER_MONTH_CONTRACT, month.table, coverage],
		] as [TableContract, Table, QualityViolation[]][]) {
			const report = checkTable(contract, table, tolerances, extra);
			quality.push(report);
			await writeParquetFile(
				lake.tablePath(runId, "bronze", contract.table),
				table,
			);
			await writeJsonAtomic(
				lake.docPath(runId, "quality", contract.table),
				report,
			);
		}
	});
	return {
		bronzeCustomer: customer.table,
		bronzeCustomerMonth: month.table,
		quality,
		faults: mergeFaults(
			raw.faults,
			monthly.faults,
			customer.faults,
			month.faults,
		),
		maxTimestamp: monthly.maxTimestamp,
		timingsMs,
	};
}

/** Violations with severity "error" across reports (the caller decides whether to throw DataQualityError). */
export function qualityErrors(
	reports: readonly QualityReport[],
): QualityViolation[] {
	return reports.flatMap((r) =>
		r.violations.filter((v) => v.severity === "error"),
	);
}
