/**
 * `loadRawBatch`: find, parse and validate the 7 datasets of a raw batch
 * (DATA_SPEC §1). The six small ones become arquero tables with typed columns
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
import { type RawRecords, readCsvRecords, readJsonRecords } from "./readers.ts";
import {
	DATASETS,
	type DatasetSpec,
	rowSchema,
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

async function findFile(batchDir: string, spec: DatasetSpec): Promise<string> {
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

/** Parse and type one small dataset. Rows with an empty customer_id are dropped and counted, except in churn_label. */
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
	const isJson = file.includes(".json");
	if (!isJson)
		for (const column of columnNames)
			if (!raw.columns.includes(column))
				throw new RawContractError({ file, column }, "missing required column");
	if (raw.records.length === 0 && !spec.allowNoRows)
		throw new RawContractError({ file }, "empty file: no data rows");

	const schema = rowSchema(spec);
	const out: Record<string, unknown[]> = Object.fromEntries(
		columnNames.map((c) => [c, []]),
	);
	const hasId = "customer_id" in spec.columns;
	let emptyIds = 0;
	raw.records.forEach((record, i) => {
		const row = i + 1;
		if (isJson)
			for (const column of columnNames)
				if (!(column in record))
					throw new RawContractError(
						{ file, row, column },
						"missing required field",
					);
		const parsed = schema.safeParse(record);
		if (!parsed.success) {
			const issue = parsed.error.issues[0];
			throw new RawContractError(
				{ file, row, column: String(issue.path[0] ?? "") || undefined },
				issue.message,
			);
		}
		const value = parsed.data as Record<string, unknown>;
		if (hasId && value.customer_id === "") {
			if (name === "churn_label")
				throw new RawContractError(
					{ file, row, column: "customer_id" },
					"empty customer_id",
				);
			emptyIds++;
			return;
		}
		for (const c of columnNames) out[c].push(value[c]);
	});
	if (emptyIds > 0)
		faults[`${spec.faultPrefix}_rows_empty_customer_id`] = emptyIds;
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

/**
 * Missing and zero prices are kept (silver imputes them) but counted, never
 * silently. Zeros are only counted on the electricity prices: every customer
 * has electricity, while a gas price of 0 is normal for a customer without gas.
 */
const ELEC_PRICE_COLUMNS = [
	"variable_price_tier1_eur_kwh",
	"variable_price_tier2_eur_kwh",
	"variable_price_tier3_eur_kwh",
	"elec_fixed_fee_eur_month",
];
function countPriceGaps(
	out: Record<string, unknown[]>,
	faults: Record<string, number>,
): void {
	let zero = 0;
	let missing = 0;
	for (const [column, spec] of Object.entries(DATASETS.price_history.columns)) {
		if (spec.kind !== "number") continue;
		const countZeros = ELEC_PRICE_COLUMNS.includes(column);
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
