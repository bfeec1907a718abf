/**
 * A run on the AWS platform (S3 lake, DynamoDB manifest) against the embedded
 * run of the same batch: the same run history figures and the same tables,
 * row for row (only the run id and the scoring time may differ).
 */
import { expect } from "vitest";
import { getTable, Lake, type Layer, lakeKeys } from "../../runtime/io/lake.ts";
import type { RunRecord } from "../../runtime/io/manifest.ts";
import type { ObjectStore } from "../../runtime/io/object-store.ts";
import { readParquetFile, type Table } from "../../runtime/io/tables.ts";

const RUN_SPECIFIC = ["run_id", "scored_at"];

export async function expectSameOutputs(
	remote: { store: ObjectStore; record: RunRecord | undefined },
	local: { root: string; record: RunRecord | undefined },
	tables: ReadonlyArray<readonly [Layer, string]>,
): Promise<void> {
	for (const k of ["rows", "faults", "quality", "gate"] as const)
		expect(remote.record?.summary?.[k], k).toEqual(local.record?.summary?.[k]);
	const lake = new Lake(local.root);
	const comparable = (t: Table) =>
		t
			.select(t.columnNames().filter((c) => !RUN_SPECIFIC.includes(c)))
			.objects();
	for (const [layer, name] of tables) {
		const there = await getTable(
			remote.store,
			lakeKeys.table(remote.record?.runId ?? "", layer, name),
		);
		const here = await readParquetFile(
			lake.tablePath(local.record?.runId ?? "", layer, name),
		);
		expect(there.numRows(), name).toBe(here.numRows());
		expect(there.columnNames(), name).toEqual(here.columnNames());
		expect(comparable(there), name).toEqual(comparable(here));
	}
}
