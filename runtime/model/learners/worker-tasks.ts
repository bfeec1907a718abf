/**
 * The work a fit worker does, as plain functions of structured-cloneable
 * messages, so the same code runs in a worker thread or (fallback) in-process.
 */
import type { Algorithm, FitOptions, SerializedModel } from "../types.ts";
import { createLearner } from "./index.ts";
import { type ForestChunk, growForestChunk } from "./random-forest.ts";
import type { Tree } from "./tree/cart-core.ts";

export interface FitTask {
	kind: "fit";
	algorithm: Algorithm;
	X: { rows: number; cols: number; data: Float64Array; columns: string[] };
	y: Uint8Array;
	options: FitOptions;
}

export interface ForestChunkTask {
	kind: "forest-chunk";
	chunk: ForestChunk;
}

export type WorkerTask = FitTask | ForestChunkTask;

export async function executeTask(
	task: WorkerTask,
): Promise<SerializedModel | Tree[]> {
	if (task.kind === "fit") {
		const model = await createLearner(task.algorithm).fit(
			task.X,
			task.y,
			task.options,
		);
		return model.serialize();
	}
	return growForestChunk(task.chunk);
}
