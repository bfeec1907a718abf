/**
 * `loadRawBatch`: find, parse and validate the 7 datasets of a raw batch
 * (docs/data-contract.md §1). The six small ones become arquero tables with typed columns
 * (customer_id trimmed string, numbers, 0/1 flags, "YYYY-MM-DD" dates); the
 * hourly consumption is only located and schema-checked. Every violation is a
 * RawContractError naming file, 1-based data row and column; absorbed faults
 * (empty ids) are counted in `faults`.
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import * as aq from "arquero";
import { RawContractError } from "../../errors.ts";
import type { Table } from "../../io/tables.ts";
import {
	type ConsumptionSource,
	locateConsumption,
} from "./consumption-source.ts";
import { CellProblem, type CellValue, fieldConverter } from "./fields.ts";
import { type RawRecords, readCsvRecords, readJsonRecords } from "./readers.ts";
import {
	DATASETS,
	type DatasetSpec,
	ELEC_PRICE_COLUMNS,
	type SmallDatasetName,
} from "./schemas.ts";

export interface RawBatch {
	batchDir: string;
	churnLabel: Table;
	attributes: Table;
	contracts: Table;
	/** One row per interaction, file order kept (the latest-interaction tie rule depends on it). */
	interactions: Table;
	prices: Table;
	costs: Table;
	consumption: ConsumptionSource;
	faults: Record<string, number>;
}

export async function findFile(
	batchDir: string,
	spec: DatasetSpec,
): Promise<string> {
	for (const name of spec.files) {
		const path = join(batchDir, name);
		try {
			if ((await stat(path)).isFile()) return path;
		} catch {
			// try the next accepted name
		}
	}
	throw new RawContractError(
		{ file: join(batchDir, spec.files[0]) },
		`missing file (looked for ${spec.files.join(", ")})`,
	);
}

/** A contract problem at one cell; the loader reports the first in file order. */
interface Problem {
	row: number;
	/** Same row: a missing field (0) before an unparsable cell (1) before an empty churn id (2). */
	rank: 0 | 1 | 2;
	column: string;
	message: string;
}

function earlier(a: Problem | undefined, b: Problem): Problem {
	return a === undefined ||
		b.row < a.row ||
		(b.row === a.row && b.rank < a.rank)
		? b
		: a;
}

/**
 * Parse and type one small dataset, column by column: each column's cells go
 * through its field converter in one loop, and the first problem in file
 * order (row, then column order) is reported. Rows with an empty customer_id
 * are dropped and counted, except in churn_label.
 */
export async function loadDataset(
	batchDir: string,
	name: SmallDatasetName,
	faults: Record<string, number> = {},
): Promise<Table> {
	const spec = DATASETS[name];
	const file = await findFile(batchDir, spec);
	const raw: RawRecords = file.includes(".json")
		? await readJsonRecords(file)
		: await readCsvRecords(file);
	const columnNames = Object.keys(spec.columns);
	if (raw.format === "csv")
		for (const column of columnNames)
			if (!raw.columns.includes(column))
				throw new RawContractError({ file, column }, "missing required column");
	if (raw.length === 0 && !spec.allowNoRows)
		throw new RawContractError({ file }, "empty file: no data rows");

	const n = raw.length;
	const out: Record<string, CellValue[]> = {};
	let problem: Problem | undefined;
	for (const column of columnNames) {
		const convert = fieldConverter(spec.columns[column]);
		const get = raw.column(column);
		const has = raw.has(column);
		const values = new Array<CellValue>(n);
		// Past the earliest problem so far nothing can be reported: stop there.
		const stop = problem === undefined ? n : problem.row;
		for (let i = 0; i < stop; i++) {
			if (!has(i)) {
				problem = earlier(problem, {
					row: i + 1,
					rank: 0,
					column,
					message: "missing required field",
				});
				break;
			}
			try {
				values[i] = convert(get(i));
			} catch (e) {
				if (!(e instanceof CellProblem)) throw e;
				problem = earlier(problem, {
					row: i + 1,
					rank: 1,
					column,
					message: e.message,
				});
				break;
			}
		}
		out[column] = values;
	}

	const ids = out.customer_id as string[] | undefined;
	if (ids && name === "churn_label") {
		const empty = ids.indexOf("");
		if (empty >= 0 && empty < (problem?.row ?? n))
			problem = earlier(problem, {
				row: empty + 1,
				rank: 2,
				column: "customer_id",
				message: "empty customer_id",
			});
	}
	if (problem)
		throw new RawContractError(
			{ file, row: problem.row, column: problem.column },
			problem.message,
		);

	if (ids && name !== "churn_label") {
		const keep: number[] = [];
		for (let i = 0; i < n; i++) if (ids[i] !== "") keep.push(i);
		if (keep.length < n) {
			faults[`${spec.faultPrefix}_rows_empty_customer_id`] = n - keep.length;
			for (const column of columnNames)
				out[column] = keep.map((i) => out[column][i]);
		}
	}
	if (name === "price_history") countPriceGaps(out, faults);

	if (name === "churn_label") {
		const seen = new Map<string, number>();
		(out.customer_id as string[]).forEach((id, i) => {
			const first = seen.get(id);
			if (first !== undefined)
				throw new RawContractError(
					{ file, row: i + 1, column: "customer_id" },
					`duplicate customer_id "${id}" (first at row ${first})`,
				);
			seen.set(id, i + 1);
		});
	}
	return aq.table(out);
}

/** Missing and zero prices are counted, never silently kept (ELEC_PRICE_COLUMNS says why only those zeros). */
function countPriceGaps(
	out: Record<string, CellValue[]>,
	faults: Record<string, number>,
): void {
	let zero = 0;
	let missing = 0;
	for (const [column, spec] of Object.entries(DATASETS.price_history.columns)) {
		if (spec.kind !== "number") continue;
		const countZeros = (ELEC_PRICE_COLUMNS as readonly string[]).includes(
			column,
		);
		for (const v of out[column]) {
			if (v === null) missing++;
			else if (v === 0 && countZeros) zero++;
		}
	}
	if (zero > 0) faults.price_elec_values_zero = zero;
	if (missing > 0) faults.price_values_missing = missing;
}

export async function loadRawBatch(batchDir: string): Promise<RawBatch> {
	const faults: Record<string, number> = {};
	const load = (name: SmallDatasetName) => loadDataset(batchDir, name, faults);
	return {
		batchDir,
		churnLabel: await load("churn_label"),
		attributes: await load("customer_attributes"),
		contracts: await load("customer_contracts"),
		interactions: await load("customer_interactions"),
		prices: await load("price_history"),
		costs: await load("costs_by_province_month"),
		consumption: await locateConsumption(batchDir),
		faults,
	};
}
