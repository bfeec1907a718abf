/**
 * `stageRawBatch`: the six small datasets of a raw batch validated and written
 * as typed Parquet files (one per dataset), and the hourly consumption
 * located — what ValidateRaw stages under the run. A plain CSV goes through
 * DuckDB (csv-fast-path.ts); anything else, and any file the fast path
 * declines, through the JavaScript loader (load-batch.ts), which defines the
 * rules and words every error (docs/data-quality.md, "Raw validation").
 */

import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { tableToParquet } from "../../io/tables.ts";
import {
	type ConsumptionSource,
	locateConsumption,
} from "./consumption-source.ts";
import { stageCsvFast } from "./csv-fast-path.ts";
import { withDuckDB } from "./duckdb.ts";
import { findFile, loadDataset } from "./load-batch.ts";
import { DATASETS, type SmallDatasetName } from "./schemas.ts";

/** The staged table of each dataset (runs/<id>/staged/<table>.parquet), in loading order. */
export const STAGED_TABLE = {
	churn_label: "churnLabel",
	customer_attributes: "attributes",
	customer_contracts: "contracts",
	customer_interactions: "interactions",
	price_history: "prices",
	costs_by_province_month: "costs",
} as const satisfies Record<SmallDatasetName, string>;

export interface StagedDataset {
	/** The written Parquet file. */
	file: string;
	rows: number;
	/** Which path typed it: DuckDB's (a plain CSV) or the JavaScript loader. */
	via: "duckdb" | "javascript";
}

export interface StagedBatch {
	datasets: Record<SmallDatasetName, StagedDataset>;
	consumption: ConsumptionSource;
	/** Absorbed faults, as loadRawBatch counts them. */
	faults: Record<string, number>;
}

/**
 * Validate and stage every small dataset into `outDir`, in the order
 * loadRawBatch loads them (so the first bad file reported is the same).
 * Throws the RawContractError of the first problem.
 */
export async function stageRawBatch(
	batchDir: string,
	outDir: string,
	opts: { fastPath?: boolean } = {},
): Promise<StagedBatch> {
	await mkdir(outDir, { recursive: true });
	// The consumption's Parquet metadata is read beside the small datasets.
	const consumption = locateConsumption(batchDir);
	consumption.catch(() => {});
	const faults: Record<string, number> = {};
	const datasets = {} as Record<SmallDatasetName, StagedDataset>;
	await withDuckDB(
		{ threads: Math.min(2, availableParallelism()), memoryLimit: "1GB" },
		async (con) => {
			for (const name of Object.keys(STAGED_TABLE) as SmallDatasetName[]) {
				const file = join(outDir, `${STAGED_TABLE[name]}.parquet`);
				const source = await findFile(batchDir, DATASETS[name]);
				const fast =
					opts.fastPath === false
						? undefined
						: await stageCsvFast(con, name, source, file);
				if (fast) {
					Object.assign(faults, fast.faults);
					datasets[name] = { file, rows: fast.rows, via: "duckdb" };
					continue;
				}
				const table = await loadDataset(batchDir, name, faults);
				await writeFile(file, tableToParquet(table));
				datasets[name] = { file, rows: table.numRows(), via: "javascript" };
			}
		},
	);
	return { datasets, consumption: await consumption, faults };
}
