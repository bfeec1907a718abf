/**
 * Local data lake layout (the embedded default; S3 mirrors the same keys):
 *
 *   <root>/raw/<batch_id>/...                      raw batch, never modified
 *   <root>/runs/<run_id>/staged/<dataset>.parquet  the validated small raw datasets
 *   <root>/runs/<run_id>/<layer>/<table>.parquet   every output, under its run id
 *   <root>/runs/<run_id>/quality/<table>.json      data-quality report per table
 *   <root>/runs/<run_id>/run_report.json           counts, faults, timings
 *   <root>/latest.json                             pointer to the last successful run
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { writeFileAtomic } from "./atomic.ts";

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

export class Lake {
	readonly root: string;
	constructor(root = process.env.SPANISHGAS_DATA_DIR ?? "data") {
		this.root = resolve(root);
	}
	rawDir(batchId: string): string {
		return join(this.root, "raw", batchId);
	}
	runDir(runId: string): string {
		return join(this.root, "runs", runId);
	}
	tablePath(runId: string, layer: Layer, table: string): string {
		return join(this.runDir(runId), layer, `${table}.parquet`);
	}
	docPath(runId: string, layer: Layer, name: string): string {
		return join(this.runDir(runId), layer, `${name}.json`);
	}
	get latestPath(): string {
		return join(this.root, "latest.json");
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
	/** Move "latest" to a succeeded run (atomic rename). */
	async setLatest(pointer: LatestPointer): Promise<void> {
		await writeJsonAtomic(this.latestPath, pointer);
	}
}

export interface LatestPointer {
	runId: string;
	batchId: string;
	finishedAt: string;
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
