/** `layer_tables` (the run's lake objects by layer) and `quality`, `quality_violations`, `quality_columns`. */
import { getJson, lakeKeys } from "../../io/lake.ts";
import type { ObjectStore } from "../../io/object-store.ts";
import { parquetToTable } from "../../io/tables.ts";
import type { QualityReport } from "../../monitoring/quality.ts";
import type { ReportRow } from "../contract.ts";
import { flag, num, type Obj } from "./values.ts";

const LAYERS = ["staged", "bronze", "silver", "gold", "scored"] as const;

export async function layerTables(
	store: ObjectStore,
	runId: string,
): Promise<{ layer_tables: ReportRow<"layer_tables">[] }> {
	const layer_tables: ReportRow<"layer_tables">[] = [];
	for (const [layerOrder, layer] of LAYERS.entries()) {
		const prefix = `${lakeKeys.runPrefix(runId)}${layer}/`;
		for (const key of await store.list(prefix)) {
			const name = key.slice(prefix.length);
			if (!name.endsWith(".parquet") || name.includes("/")) continue;
			const bytes = await store.get(key);
			const t = parquetToTable(bytes);
			layer_tables.push({
				layer,
				layer_order: layerOrder + 1,
				table_name: name.replace(/\.parquet$/, ""),
				object_key: key,
				rows: t.numRows(),
				columns: t.numCols(),
				bytes: bytes.byteLength,
			});
		}
	}
	return { layer_tables };
}

export async function qualityTables(store: ObjectStore, runId: string) {
	const quality: ReportRow<"quality">[] = [];
	const quality_violations: ReportRow<"quality_violations">[] = [];
	const quality_columns: ReportRow<"quality_columns">[] = [];
	const prefix = `${lakeKeys.runPrefix(runId)}quality/`;
	for (const key of await store.list(prefix)) {
		if (!key.endsWith(".json")) continue;
		const q = await getJson<QualityReport>(store, key);
		quality.push({
			table_name: q.table,
			rows: q.rows,
			passed: flag(q.passed),
			errors: q.errors,
			warnings: q.warnings,
		});
		for (const v of q.violations)
			quality_violations.push({
				table_name: q.table,
				rule: v.rule,
				column_name: v.column ?? null,
				severity: v.severity,
				detail: v.detail,
			});
		for (const c of q.columns as unknown as Obj[])
			quality_columns.push({
				table_name: q.table,
				column_name: String(c.name),
				nulls: num(c.nulls),
				null_rate: num(c.nullRate),
				distinct_values: num(c.distinct),
				min_value: num(c.min),
				max_value: num(c.max),
			});
	}
	return { quality, quality_violations, quality_columns };
}
