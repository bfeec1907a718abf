/** Worker-thread entry: runs WorkerTasks posted by parallel.ts, one at a time. */
import { parentPort } from "node:worker_threads";
import { executeTask, type WorkerTask } from "./worker-tasks.ts";

if (!parentPort) throw new Error("fit-worker.ts must run as a worker thread");
const port = parentPort;
port.on("message", async (msg: { id: number; task: WorkerTask }) => {
	try {
		const result = await executeTask(msg.task);
		port.postMessage({ id: msg.id, ok: true, result });
	} catch (e) {
		const err = e instanceof Error ? e : new Error(String(e));
		port.postMessage({
			id: msg.id,
			ok: false,
			error: { name: err.name, message: err.message, stack: err.stack },
		});
	}
});
port.postMessage({ ready: true });
