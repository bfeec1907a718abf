/** Worker-thread entry: runs WorkerTasks posted by parallel.ts, one at a time. */
import { parentPort } from "node:worker_threads";
import { serializeError } from "../../errors.ts";
import type { WorkerTask } from "./worker-protocol.ts";
import { executeTask } from "./worker-tasks.ts";

if (!parentPort) throw new Error("fit-worker.ts must run as a worker thread");
const port = parentPort;
port.on("message", async (msg: { id: number; task: WorkerTask }) => {
	try {
		const result = await executeTask(msg.task);
		port.postMessage({ id: msg.id, ok: true, result });
	} catch (e) {
		// Plain data with the class name and fields: parallel.ts rebuilds the typed error.
		port.postMessage({ id: msg.id, ok: false, error: serializeError(e) });
	}
});
port.postMessage({ ready: true });
