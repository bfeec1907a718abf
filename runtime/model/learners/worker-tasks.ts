/**
 * What a fit worker thread does with each message (worker-protocol.ts).
 * Imported by the worker entry (fit-worker.ts) and by index.ts (the same work
 * in-process); no learner imports it, so it may import the learners.
 */
import type { SerializedModel } from "../types.ts";
import { createLearner } from "./learner-table.ts";
import { growForestChunk } from "./random-forest.ts";
import type { Tree } from "./tree/cart-core.ts";
import type { FitTask, WorkerTask } from "./worker-protocol.ts";

/** Fits one model and returns it serialized (a worker's answer is plain data). */
export async function executeFitTask(task: FitTask): Promise<SerializedModel> {
	const model = await createLearner(task.algorithm).fit(
		task.X,
		task.y,
		task.options,
	);
	return model.serialize();
}

export async function executeTask(
	task: WorkerTask,
): Promise<SerializedModel | Tree[]> {
	if (task.kind === "fit") return executeFitTask(task);
	return growForestChunk(task.chunk);
}
