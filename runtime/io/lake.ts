/**
 * The data lake layout, as object-store keys (S3 in AWS, a folder locally —
 * the local path of a key is `<root>/<key>`):
 *
 *   raw/<batch_id>/...                         raw batch, never modified
 *   runs/<run_id>/staged/<dataset>.parquet     the validated small raw datasets
 *   runs/<run_id>/<layer>/<table>.parquet      every output, under its run id
 *   runs/<run_id>/quality/<table>.json         data-quality report per table
 *   runs/<run_id>/run_report.json              counts, faults, timings
 *   models/<version>/...                       registry artifacts, drift reference
 *   latest.json                                pointer to the last successful run
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { writeFileAtomic } from "./atomic.ts";
import { ObjectNotFoundError, type ObjectStore } from "./object-store.ts";
import { parquetToTable, type Table, tableToParquet } from "./tables.ts";

export type Layer =
	| "staged"
	| "bronze"
	| "silver"
	| "gold"
	| "models"
	| "scored"
	| "monitoring"
	| "quality"
	| "reports";

/** Every key of the layout, in one place. */
export const lakeKeys = {
	rawPrefix: (batchId: string) => `raw/${batchId}/`,
	runPrefix: (runId: string) => `runs/${runId}/`,
	table: (runId: string, layer: Layer, table: string) =>
		`runs/${runId}/${layer}/${table}.parquet`,
	doc: (runId: string, layer: Layer, name: string) =>
		`runs/${runId}/${layer}/${name}.json`,
	runReport: (runId: string) => `runs/${runId}/run_report.json`,
	/** The drift reference of a model: the population it was trained on. */
	driftReference: (version: string) =>
		`models/${version}/drift_reference.parquet`,
	latest: "latest.json",
} as const;

/**
 * Object tags of a lake key: run outputs carry their layer, because S3
 * lifecycle rules filter by prefix and tag but cannot match
 * `runs/<id>/bronze/` (components/data-lake.ts moves bronze to infrequent
 * access after 90 days and expires scored outputs after 365).
 */
export function lakeObjectTags(
	key: string,
): Record<string, string> | undefined {
	const m = /^runs\/[^/]+\/(bronze|scored)\//.exec(key);
	return m ? { layer: m[1] } : undefined;
}

/** Local paths of the layout under a folder (the embedded default, tests, CLI). */
export class Lake {
	readonly root: string;
	constructor(root = process.env.SPANISHGAS_DATA_DIR ?? "data") {
		this.root = resolve(root);
	}
	rawDir(batchId: string): string {
		return join(this.root, lakeKeys.rawPrefix(batchId));
	}
	runDir(runId: string): string {
		return join(this.root, lakeKeys.runPrefix(runId));
	}
	tablePath(runId: string, layer: Layer, table: string): string {
		return join(this.root, lakeKeys.table(runId, layer, table));
	}
	docPath(runId: string, layer: Layer, name: string): string {
		return join(this.root, lakeKeys.doc(runId, layer, name));
	}
	get latestPath(): string {
		return join(this.root, lakeKeys.latest);
	}
	async latest(): Promise<LatestPointer | undefined> {
		try {
			return JSON.parse(
				await readFile(this.latestPath, "utf8"),
			) as LatestPointer;
		} catch {
			return undefined;
		}
	}
}

export interface LatestPointer {
	runId: string;
	batchId: string;
	/** When the run started (absent in pointers written before it was recorded). */
	startedAt?: string;
	finishedAt: string;
}

/** Is run `a` newer than run `b`: later start, then the larger run id (ids begin with the start time). */
export function isNewerRun(
	a: Pick<LatestPointer, "runId" | "startedAt">,
	b: Pick<LatestPointer, "runId" | "startedAt">,
): boolean {
	const sa = a.startedAt ?? "";
	const sb = b.startedAt ?? "";
	if (sa !== sb && sa !== "" && sb !== "") return sa > sb;
	return a.runId > b.runId;
}

/**
 * Points latest.json at `next` only if it is newer than the run it points
 * to, with a conditional write where the store has one (docs/run-lifecycle.md
 * "Promotion and publication"): of two concurrent runs, the older one
 * finishing last does not win. Returns whether it wrote, and the pointer
 * that stays when it did not.
 */
export async function writeLatestIfNewer(
	store: ObjectStore,
	next: LatestPointer,
): Promise<{ written: boolean; current?: LatestPointer }> {
	const body = `${JSON.stringify(next, null, 2)}\n`;
	const opts = { contentType: "application/json" };
	if (!store.getTagged || !store.putIfUnchanged) {
		// A store without conditional writes: compare, then write (a race window remains).
		const current = await readLatest(store);
		if (current && current.runId !== next.runId && !isNewerRun(next, current))
			return { written: false, current };
		await store.put(lakeKeys.latest, body, opts);
		return { written: true };
	}
	for (let attempt = 0; attempt < 10; attempt++) {
		const got = await store.getTagged(lakeKeys.latest);
		const current = got
			? (JSON.parse(new TextDecoder().decode(got.body)) as LatestPointer)
			: undefined;
		// Already this run (a retried MarkSucceeded).
		if (current?.runId === next.runId) return { written: true };
		if (current && !isNewerRun(next, current))
			return { written: false, current };
		if (await store.putIfUnchanged(lakeKeys.latest, body, got?.tag, opts))
			return { written: true };
		// Another run moved it between the read and the write: judge again.
	}
	throw new Error(
		"latest.json: 10 conditional writes lost to concurrent writers",
	);
}

export async function getTable(
	store: ObjectStore,
	key: string,
): Promise<Table> {
	return parquetToTable(await store.get(key));
}

export async function putTable(
	store: ObjectStore,
	key: string,
	table: Table,
): Promise<void> {
	await store.put(key, tableToParquet(table), {
		contentType: "application/vnd.apache.parquet",
	});
}

export async function getJson<T>(store: ObjectStore, key: string): Promise<T> {
	return JSON.parse(await store.getText(key)) as T;
}

export async function putJson(
	store: ObjectStore,
	key: string,
	value: unknown,
): Promise<void> {
	await store.put(key, `${JSON.stringify(value, null, 2)}\n`, {
		contentType: "application/json",
	});
}

/** The last successful run, if any. */
export async function readLatest(
	store: ObjectStore,
): Promise<LatestPointer | undefined> {
	try {
		return await getJson<LatestPointer>(store, lakeKeys.latest);
	} catch (e) {
		if (e instanceof ObjectNotFoundError) return undefined;
		throw e;
	}
}

export async function writeJsonAtomic(
	path: string,
	value: unknown,
): Promise<void> {
	await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

export async function readJson<T>(path: string): Promise<T> {
	return JSON.parse(await readFile(path, "utf8")) as T;
}
