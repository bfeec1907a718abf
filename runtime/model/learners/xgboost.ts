/**
 * XGBoost through ml-xgboost (XGBoost compiled to WebAssembly), with
 * docs/data-contract.md §6's hyper-parameters: hist, 600 rounds, eta 0.02, depth 3,
 * subsample 0.8, colsample_bytree 0.7, scale_pos_weight = negatives /
 * positives of the training labels, fixed seed. Tests check that the library
 * honours each of them.
 *
 * Two library traps handled here:
 * - a NaN aborts the whole process (uncatchable), so the matrix is checked
 *   finite first (ModelInputError naming the column);
 * - its DMatrix is built with missing = −1, so a genuine value of exactly −1
 *   (e.g. a standardised feature or a −100 % trend) would silently be treated
 *   as missing. Such values are nudged to the adjacent float32 (−1 + 2⁻²⁴),
 *   which keeps their order against every other value, at fit and predict.
 * Prediction evaluates the saved trees in JavaScript (xgboost-model.ts).
 */
import { createRequire } from "node:module";
import type { XGBoostClass } from "ml-xgboost";
import { ModelInputError } from "../../errors.ts";
import type {
	FitOptions,
	FittedModel,
	Labels,
	Learner,
	Matrix,
	SerializedModel,
} from "../types.ts";
import {
	assertSameColumns,
	assertTrainingInput,
	base64ToBytes,
	bytesToBase64,
	countPositives,
} from "./common.ts";
import { parseXgbModel, predictXgb, type XgbModel } from "./xgboost-model.ts";
import { requireQuietWasm } from "./xgboost-quiet.ts";

export const XGBOOST_FORMAT = 1;

export const XGBOOST_DEFAULTS: Record<string, number | string> = {
	booster: "gbtree",
	objective: "binary:logistic",
	tree_method: "hist",
	n_rounds: 600,
	eta: 0.02,
	max_depth: 3,
	subsample: 0.8,
	colsample_bytree: 0.7,
	min_child_weight: 1,
};

const MINUS_ONE_NUDGED = Math.fround(-1 + 2 ** -24);

/** The value ml-xgboost will see: float32, never exactly −1 (its "missing" marker). */
export function toLibraryValue(v: number): number {
	const f = Math.fround(v);
	return f === -1 ? MINUS_ONE_NUDGED : f;
}

export function toLibraryMatrix(X: Matrix): Float32Array {
	const out = new Float32Array(X.data.length);
	for (let k = 0; k < out.length; k++) out[k] = toLibraryValue(X.data[k]);
	return out;
}

export function toLibraryRows(X: Matrix): number[][] {
	const f = toLibraryMatrix(X);
	const rows: number[][] = new Array(X.rows);
	for (let i = 0; i < X.rows; i++)
		rows[i] = Array.from(f.subarray(i * X.cols, (i + 1) * X.cols));
	return rows;
}

let library: Promise<XGBoostClass> | undefined;
/**
 * Loaded on first use (compiling the WebAssembly costs ~0.5 s that other
 * learners should not pay), through require: the package's CommonJS export
 * *is* a Promise, which ESM interop layers (vitest's) mangle into a
 * namespace whose `then` throws.
 */
export function loadLibrary(): Promise<XGBoostClass> {
	// The emscripten module first, with its console noise filtered (xgboost-quiet.ts).
	requireQuietWasm();
	library ??= Promise.resolve(
		createRequire(import.meta.url)("ml-xgboost") as Promise<XGBoostClass>,
	);
	return library;
}

export interface XgbState {
	/** The library's saved model, base64. */
	model: string;
}

class XgbFitted implements FittedModel {
	readonly algorithm = "xgboost" as const;
	readonly parsed: XgbModel;
	constructor(
		readonly columns: readonly string[],
		readonly params: Record<string, number | string | boolean>,
		readonly modelBytes: Uint8Array,
	) {
		this.parsed = parseXgbModel(modelBytes);
		if (this.parsed.numFeature !== columns.length) {
			throw new Error(
				`xgboost: model has ${this.parsed.numFeature} features, ${columns.length} column names`,
			);
		}
	}

	predictProba(X: Matrix): Float64Array {
		assertSameColumns(this.columns, X, "xgboost.predictProba");
		return predictXgb(this.parsed, toLibraryMatrix(X), X.rows, X.cols);
	}

	serialize(): SerializedModel {
		return {
			algorithm: "xgboost",
			format: XGBOOST_FORMAT,
			params: { ...this.params },
			columns: [...this.columns],
			state: { model: bytesToBase64(this.modelBytes) } satisfies XgbState,
		};
	}
}

export function resolveXgbParams(
	y: Labels,
	options: FitOptions,
): Record<string, number | string> {
	const params: Record<string, number | string> = { ...XGBOOST_DEFAULTS };
	for (const [k, v] of Object.entries(options.params ?? {})) {
		params[k] = typeof v === "boolean" ? Number(v) : v;
	}
	if (params.booster !== "gbtree") {
		throw new ModelInputError(
			`xgboost: booster "${params.booster}" is not supported (gbtree only)`,
		);
	}
	if (params.objective !== "binary:logistic") {
		throw new ModelInputError(
			`xgboost: objective "${params.objective}" is not supported (binary:logistic only)`,
		);
	}
	const pos = countPositives(y);
	if (options.params?.scale_pos_weight === undefined) {
		params.scale_pos_weight = pos > 0 ? (y.length - pos) / pos : 1;
	}
	params.seed = options.seed >>> 0;
	const rounds = Number(params.n_rounds);
	if (!Number.isInteger(rounds) || rounds < 1)
		throw new ModelInputError(`xgboost: n_rounds must be a positive integer`);
	return params;
}

/** The emscripten module behind ml-xgboost (the same cached instance the package wraps). */
interface XgbWasm {
	cwrap(
		name: string,
		ret: string | null,
		args: string[],
	): (...a: Array<number | string>) => number;
	_malloc(bytes: number): number;
	_free(ptr: number): void;
	HEAPU8: Uint8Array;
	HEAPF32: Float32Array;
}

let wasmModule: Promise<XgbWasm> | undefined;
function loadWasm(): Promise<XgbWasm> {
	wasmModule ??= Promise.resolve(
		requireQuietWasm<{ isReady: Promise<XgbWasm> }>().isReady,
	);
	return wasmModule;
}

/**
 * Trains through the library's C entry points with the matrix placed in the
 * WebAssembly heap ourselves. The package's own `train` passes the matrix as
 * an emscripten "array" argument, which is copied onto the fixed 5 MB stack:
 * anything over ~1.3 M cells (e.g. 16,079 × 85, the E5 training matrix)
 * crashes with "memory access out of bounds".
 */
async function trainInHeap(
	X: Matrix,
	y: Labels,
	params: Record<string, number | string>,
	rounds: number,
): Promise<Uint8Array> {
	await loadLibrary(); // initialises the module the package wraps
	const M = await loadWasm();
	const createModel = M.cwrap("create_model", "number", [
		"number",
		"number",
		"number",
		"number",
	]);
	const setParam = M.cwrap("set_param", null, ["number", "string", "string"]);
	const train = M.cwrap("train_full_model", null, ["number", "number"]);
	const saveModel = M.cwrap("save_model", "number", ["number"]);
	const getFileContent = M.cwrap("get_file_content", null, [
		"number",
		"number",
	]);
	const freeModel = M.cwrap("free_memory_model", null, ["number"]);

	const xs = toLibraryMatrix(X);
	const ys = Float32Array.from(y);
	const px = M._malloc(xs.byteLength);
	const py = M._malloc(ys.byteLength);
	let model = 0;
	try {
		M.HEAPF32.set(xs, px >> 2);
		M.HEAPF32.set(ys, py >> 2);
		model = createModel(px, py, X.rows, X.cols);
		if (model === 0) throw new Error("xgboost: create_model failed");
		for (const [k, v] of Object.entries(params)) setParam(model, k, String(v));
		train(model, rounds);
		const size = saveModel(model);
		if (size <= 0) throw new Error("xgboost: save_model failed");
		const out = M._malloc(size);
		try {
			getFileContent(out, size);
			return M.HEAPU8.slice(out, out + size);
		} finally {
			M._free(out);
		}
	} finally {
		// WebAssembly memory is not garbage-collected: free everything.
		if (model !== 0) freeModel(model);
		M._free(px);
		M._free(py);
	}
}

export class XgboostLearner implements Learner {
	readonly algorithm = "xgboost" as const;

	async fit(X: Matrix, y: Labels, options: FitOptions): Promise<FittedModel> {
		assertTrainingInput(X, y, "xgboost.fit");
		const params = resolveXgbParams(y, options);
		const { n_rounds, ...libraryParams } = params;
		const bytes = await trainInHeap(
			X,
			y,
			{ ...libraryParams, silent: 1 },
			Number(n_rounds),
		);
		return new XgbFitted([...X.columns], params, bytes);
	}
}

export function loadXgboost(s: SerializedModel): FittedModel {
	const st = s.state as XgbState;
	if (typeof st?.model !== "string")
		throw new Error("xgboost: malformed state");
	return new XgbFitted(s.columns, s.params, base64ToBytes(st.model));
}

/** The library's own row-by-row prediction for the same model (used to verify predictXgb). */
export async function predictWithLibrary(
	s: SerializedModel,
	X: Matrix,
): Promise<Float64Array> {
	const XGBoost = await loadLibrary();
	const bytes = base64ToBytes((s.state as XgbState).model);
	const b = XGBoost.load({
		name: "ml-xgboost",
		model: Array.from(bytes),
		options: {},
	});
	try {
		return Float64Array.from(b.predict(toLibraryRows(X)));
	} finally {
		b.free();
	}
}
