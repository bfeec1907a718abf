/**
 * Reading and saving a run's tables, with the quality gate in front of every
 * save (docs/data-quality.md). Shared by the stage modules, which import it
 * when they run (stages/stage.ts).
 */
import { DataQualityError, type QualityViolation } from "../../errors.ts";
import {
	getTable,
	type Layer,
	lakeKeys,
	putJson,
	putTable,
} from "../../io/lake.ts";
import type { Table } from "../../io/tables.ts";
import {
	checkTable,
	type QualityReport,
	type QualityTolerances,
	type TableContract,
} from "../../monitoring/quality.ts";
import type { Platform } from "../platform.ts";

/** What a table is checked against: its contract, the run's tolerances, and rules checked elsewhere. */
export interface QualityCheck {
	contract: TableContract;
	tolerances: QualityTolerances;
	extra?: readonly QualityViolation[];
}

/** Checks a table against its contract and saves the report. */
async function qualityReport(
	p: Platform,
	runId: string,
	check: QualityCheck,
	table: Table,
): Promise<QualityReport> {
	const { contract } = check;
	const report = checkTable(contract, table, check.tolerances, check.extra);
	await putJson(
		p.store,
		lakeKeys.doc(runId, "quality", contract.table),
		report,
	);
	return report;
}

export interface TableToSave {
	name: string;
	table: Table;
	check?: QualityCheck;
}

/**
 * Checks every table of a stage first, so one failed run reports all its
 * violations (not only the first table's), then stops on errors or saves.
 */
export async function saveTables(
	p: Platform,
	runId: string,
	layer: Layer,
	tables: readonly TableToSave[],
) {
	const reports = await Promise.all(
		tables.map((t) =>
			t.check ? qualityReport(p, runId, t.check, t.table) : undefined,
		),
	);
	const errors = reports.flatMap(
		(r) => r?.violations.filter((v) => v.severity === "error") ?? [],
	);
	if (errors.length > 0) throw new DataQualityError(errors);
	for (const t of tables)
		await putTable(p.store, lakeKeys.table(runId, layer, t.name), t.table);
}

export const saveTable = (
	p: Platform,
	runId: string,
	layer: Layer,
	check: QualityCheck | undefined,
	name: string,
	table: Table,
) => saveTables(p, runId, layer, [{ name, table, check }]);

export const readTable = (
	p: Platform,
	runId: string,
	layer: Layer,
	name: string,
) => getTable(p.store, lakeKeys.table(runId, layer, name));
