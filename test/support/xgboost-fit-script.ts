/**
 * Child-process script of test/learners-xgboost-quiet.test.ts: two fits in
 * process and two in fit-worker threads (parallel.ts), then one line the
 * library prints that is not noise, and one ordinary console line, so the
 * test sees that only the known noise is dropped.
 */
import { createRequire } from "node:module";
import { createLearner } from "../../runtime/model/learners/index.ts";
import {
	runTasks,
	workerThreadsAvailable,
} from "../../runtime/model/learners/parallel.ts";
import { executeFitTask } from "../../runtime/model/learners/worker-tasks.ts";
import { syntheticTask } from "./synthetic-task.ts";

const { X, y } = syntheticTask(200, 8, 3);
for (let i = 0; i < 2; i++)
	await createLearner("xgboost").fit(X, y, {
		seed: 1,
		params: { n_rounds: 5 },
	});
if (!(await workerThreadsAvailable())) throw new Error("no fit workers");
const task = {
	kind: "fit" as const,
	algorithm: "xgboost" as const,
	X: { ...X, columns: [...X.columns] },
	y: Uint8Array.from(y),
	options: { seed: 1, params: { n_rounds: 5 } },
};
await runTasks([task, task], 2, executeFitTask);
const wasm = createRequire(import.meta.url)("ml-xgboost/dist/wasm/xgboost") as {
	printErr(x: string): void;
	print(x: string): void;
};
wasm.printErr("library warning that must stay visible");
wasm.print("library output that must stay visible");
console.warn("own warning");
console.log("fits done");
