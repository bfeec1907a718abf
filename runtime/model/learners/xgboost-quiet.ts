/**
 * ml-xgboost's emscripten module prints two things on every process and every
 * fit that tell an operator nothing: Node's `fetch` cannot stream a file path,
 * so loading logs "wasm streaming compile failed … / falling back to
 * ArrayBuffer instantiation" (the fallback always works), and XGBoost logs
 * "Tree method is selected to be 'hist' …" at each fit with tree_method hist.
 * Exactly those lines are dropped; anything else the library prints (a real
 * warning or error) still reaches the console.
 */
import { createRequire } from "node:module";

const NOISE: readonly RegExp[] = [
	/^wasm streaming compile failed: /,
	/^falling back to ArrayBuffer instantiation$/,
	/^(\[\d{2}:\d{2}:\d{2}\] )?Tree method is selected to be '[^']*', which uses a single updater /,
];

/** Whether a line the library prints is one of its known noise lines. */
export function isXgboostNoise(line: unknown): boolean {
	return typeof line === "string" && NOISE.some((re) => re.test(line));
}

/** The emscripten module's print hooks (the module object is its CommonJS export). */
interface PrintHooks {
	print?: (x: unknown) => void;
	printErr?: (x: unknown) => void;
}

const quieted = new WeakSet<object>();

/**
 * Requires the library's emscripten module (cached by Node, so the package's
 * own `require("../dist/wasm/xgboost")` gets the same object) and wraps its
 * print hooks. The module calls `Module["printErr"](…)` at call time, so the
 * wrap also covers the asynchronous streaming failure, which fires after the
 * require returns.
 */
export function requireQuietWasm<T extends object>(): T {
	const module = createRequire(import.meta.url)(
		"ml-xgboost/dist/wasm/xgboost",
	) as T & PrintHooks;
	if (!quieted.has(module)) {
		quieted.add(module);
		for (const hook of ["print", "printErr"] as const) {
			const original = module[hook];
			if (typeof original !== "function") continue;
			module[hook] = (x: unknown) => {
				if (!isXgboostNoise(x)) original(x);
			};
		}
	}
	return module;
}
