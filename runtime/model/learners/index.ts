/**
 * Entry point of the learners: the learner table (learner-table.ts) and
 * parallel fitting on worker threads.
 */
import type {
	Algorithm,
	FitOptions,
	FittedModel,
	Labels,
	Matrix,
} from "../types.ts";
import { assertTrainingInput } from "./common.ts";
import { loadModel } from "./learner-table.ts";
import { runTasks } from "./parallel.ts";
import type { FitTask } from "./worker-protocol.ts";
import { executeFitTask } from "./worker-tasks.ts";

export { ALGORITHMS, createLearner, loadModel } from "./learner-table.ts";

export interface FitJob {
	algorithm: Algorithm;
	X: Matrix;
	y: Labels;
	options: FitOptions;
}

/**
 * Fits several models in parallel worker threads (2 by default — the
 * machine's cores); results come back serialized and are loaded with
 * loadModel, in the jobs' order. Inputs are checked here first so a bad
 * matrix fails fast, before any thread starts. concurrency 1 fits in-process.
 */
export async function fitMany(
	jobs: FitJob[],
	concurrency = 2,
): Promise<FittedModel[]> {
	for (const j of jobs) assertTrainingInput(j.X, j.y, `${j.algorithm}.fit`);
	const tasks: FitTask[] = jobs.map((j) => ({
		kind: "fit",
		algorithm: j.algorithm,
		X: {
			rows: j.X.rows,
			cols: j.X.cols,
			data: j.X.data,
			columns: [...j.X.columns],
		},
		y: j.y,
		options: j.options,
	}));
	const serialized = await runTasks(tasks, concurrency, executeFitTask);
	return serialized.map(loadModel);
}

export { workerThreadsAvailable } from "./parallel.ts";
