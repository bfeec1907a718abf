/**
 * The messages a fit worker thread accepts (types only): parallel.ts posts
 * them, worker-tasks.ts executes them. Kept apart from both so the learners'
 * imports stay acyclic (index → parallel, random-forest → parallel, the
 * worker entry → worker-tasks → learners).
 */
import type { Algorithm, FitOptions } from "../types.ts";
import type { ForestChunk } from "./random-forest.ts";

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
