/**
 * Worker threads for fits (both cores: the XGBoost WebAssembly build is
 * single-threaded, so two models train in parallel in two workers). This
 * module knows nothing of learners: a caller passes its tasks (messages the
 * worker entry, fit-worker.ts, executes) and the same work as an in-process
 * function for the fallback, which keeps the learners' imports acyclic.
 *
 * The worker entry is TypeScript when the runtime runs from source (tsx,
 * vitest): plain Node cannot load a .ts worker, and neither vitest's
 * transform nor tsx's --import loader reaches worker threads, so the worker
 * registers tsx itself (see startWorkerThread). If a worker cannot
 * start at all, its share of the tasks runs in-process, sequentially, with a
 * warning — slower, never wrong.
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { deserializeError, type SerializedError } from "../../errors.ts";
import { mapPool } from "../../util/pool.ts";

/**
 * How to start the worker. From compiled JavaScript: the .js entry directly.
 * From TypeScript sources: tsx's `--import` loader only registers itself on
 * the main thread (tsx 4 on Node 20), so the worker is a tiny eval script
 * that registers tsx through its API, then imports the .ts entry.
 */
function startWorkerThread(): Worker {
	if (!import.meta.url.endsWith(".ts"))
		return new Worker(new URL("./fit-worker.js", import.meta.url));
	const require = createRequire(import.meta.url);
	// The ESM build of the API (require.resolve gives the CommonJS one).
	const api = pathToFileURL(
		require.resolve("tsx/esm/api").replace(/\.cjs$/, ".mjs"),
	).href;
	const entry = new URL("./fit-worker.ts", import.meta.url).href;
	const code = `import(${JSON.stringify(api)}).then((m) => { (m.register ?? m.default.register)(); return import(${JSON.stringify(entry)}); });`;
	return new Worker(code, { eval: true });
}

function startWorker(): Promise<Worker> {
	return new Promise((resolve, reject) => {
		const w = startWorkerThread();
		const onMessage = (m: { ready?: boolean }) => {
			if (m?.ready) {
				cleanup();
				resolve(w);
			}
		};
		const onError = (e: Error) => {
			cleanup();
			void w.terminate();
			reject(e);
		};
		const onExit = (code: number) => {
			cleanup();
			reject(
				new Error(`fit worker exited with code ${code} before it was ready`),
			);
		};
		const cleanup = () => {
			w.off("message", onMessage);
			w.off("error", onError);
			w.off("exit", onExit);
		};
		w.on("message", onMessage);
		w.on("error", onError);
		w.on("exit", onExit);
	});
}

function callWorker<R>(w: Worker, id: number, task: unknown): Promise<R> {
	return new Promise((resolve, reject) => {
		const onMessage = (m: {
			id?: number;
			ok?: boolean;
			result?: R;
			error?: SerializedError;
		}) => {
			if (m?.id !== id) return;
			cleanup();
			if (m.ok) resolve(m.result as R);
			else
				reject(
					// A typed error keeps its class and fields (runtime/errors.ts TYPED_ERRORS).
					deserializeError(
						m.error ?? { name: "Error", message: "unknown worker error" },
					),
				);
		};
		const onError = (e: Error) => {
			cleanup();
			reject(e);
		};
		const onExit = (code: number) => {
			cleanup();
			reject(new Error(`fit worker exited with code ${code} during a task`));
		};
		const cleanup = () => {
			w.off("message", onMessage);
			w.off("error", onError);
			w.off("exit", onExit);
		};
		w.on("message", onMessage);
		w.on("error", onError);
		w.on("exit", onExit);
		w.postMessage({ id, task });
	});
}

let warnedFallback = false;

/** True when a fit worker thread starts in this environment (else fits fall back to in-process). */
export async function workerThreadsAvailable(): Promise<boolean> {
	try {
		await (await startWorker()).terminate();
		return true;
	} catch {
		return false;
	}
}

/**
 * Runs tasks on up to `concurrency` worker threads; results keep the tasks'
 * order. `inProcess` does the same work as the worker (used when a worker
 * cannot start, and for concurrency 1, which needs no thread).
 */
export async function runTasks<T, R>(
	tasks: readonly T[],
	concurrency: number,
	inProcess: (task: T) => R | Promise<R>,
): Promise<R[]> {
	// A single task still goes to a worker when asked for parallelism elsewhere; one lane
	// with concurrency 1 runs in-process (no thread start-up cost).
	const useWorkers = concurrency > 1;
	return mapPool(
		tasks,
		(task, i, worker: Worker | undefined) =>
			worker ? callWorker<R>(worker, i, task) : inProcess(task),
		{
			concurrency: Math.max(1, concurrency),
			openLane: async () => {
				if (!useWorkers) return undefined;
				try {
					return await startWorker();
				} catch (e) {
					if (!warnedFallback) {
						warnedFallback = true;
						process.emitWarning(
							`fit workers unavailable, fitting in-process: ${(e as Error).message}`,
						);
					}
					return undefined;
				}
			},
			closeLane: async (worker) => {
				await worker?.terminate();
			},
		},
	);
}
