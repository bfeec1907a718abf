/**
 * Checks and helpers shared by every learner: the finiteness guard (a NaN
 * aborts the XGBoost WebAssembly process, so nothing non-finite may reach a
 * library), label and column checks, and a small seeded PRNG so every random
 * choice is reproducible from FitOptions.seed.
 */
import { ModelInputError } from "../../errors.ts";
import type { Labels, Matrix } from "../types.ts";

/** Throws ModelInputError naming the first non-finite cell's row and column. */
export function assertFiniteMatrix(X: Matrix, context: string): void {
	if (X.data.length !== X.rows * X.cols || X.columns.length !== X.cols) {
		throw new ModelInputError(
			`${context}: matrix shape ${X.rows}×${X.cols} does not match ${X.data.length} values / ${X.columns.length} column names`,
		);
	}
	const d = X.data;
	for (let k = 0; k < d.length; k++) {
		if (!Number.isFinite(d[k])) {
			const row = Math.floor(k / X.cols);
			const col = k % X.cols;
			throw new ModelInputError(
				`${context}: column "${X.columns[col]}" has non-finite value ${d[k]} at row ${row}; impute before modelling`,
			);
		}
	}
}

/** Labels must be 0/1, one per row, and the training set non-empty. */
export function assertTrainingInput(
	X: Matrix,
	y: Labels,
	context: string,
): void {
	assertFiniteMatrix(X, context);
	if (y.length !== X.rows) {
		throw new ModelInputError(
			`${context}: ${y.length} labels for ${X.rows} rows`,
		);
	}
	if (X.rows === 0)
		throw new ModelInputError(`${context}: empty training matrix`);
	for (let i = 0; i < y.length; i++) {
		if (y[i] !== 0 && y[i] !== 1) {
			throw new ModelInputError(
				`${context}: label at row ${i} is ${y[i]}, expected 0 or 1`,
			);
		}
	}
}

/** A fitted model only scores matrices with its own columns, in its own order. */
export function assertSameColumns(
	expected: readonly string[],
	X: Matrix,
	context: string,
): void {
	const same =
		expected.length === X.columns.length &&
		expected.every((c, i) => c === X.columns[i]);
	if (!same) {
		const missing = expected.filter((c) => !X.columns.includes(c));
		const extra = X.columns.filter((c) => !expected.includes(c));
		throw new ModelInputError(
			`${context}: matrix columns differ from the model's (missing: ${missing.join(", ") || "none"}; unexpected: ${
				extra.join(", ") || "none"
			}${missing.length + extra.length === 0 ? "; order differs" : ""})`,
		);
	}
	assertFiniteMatrix(X, context);
}

export function countPositives(y: Labels): number {
	let p = 0;
	for (let i = 0; i < y.length; i++) p += y[i];
	return p;
}

/**
 * sklearn's class_weight="balanced": w_c = n / (2 · n_c). A class that is
 * absent gets weight 0 (it has no rows to weigh anyway).
 */
export function balancedClassWeights(y: Labels): [number, number] {
	const pos = countPositives(y);
	const neg = y.length - pos;
	return [
		neg > 0 ? y.length / (2 * neg) : 0,
		pos > 0 ? y.length / (2 * pos) : 0,
	];
}

/** Seeded uniforms in [0, 1) (mulberry32, shared with the splits). */
export { seededRng as createRng } from "../random.ts";

/** Derives independent sub-seeds (e.g. one per tree) from one seed. */
export function deriveSeed(seed: number, index: number): number {
	let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
	h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
	h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
	return (h ^ (h >>> 16)) >>> 0;
}

/** Reads a numeric hyper-parameter, falling back to the default. */
export function numParam(
	params: Record<string, number | string | boolean> | undefined,
	key: string,
	fallback: number,
): number {
	const v = params?.[key];
	if (v === undefined) return fallback;
	if (typeof v !== "number" || !Number.isFinite(v)) {
		throw new ModelInputError(
			`hyper-parameter "${key}" must be a finite number, got ${String(v)}`,
		);
	}
	return v;
}

export function strParam(
	params: Record<string, number | string | boolean> | undefined,
	key: string,
	fallback: string,
): string {
	const v = params?.[key];
	if (v === undefined) return fallback;
	if (typeof v !== "string")
		throw new ModelInputError(
			`hyper-parameter "${key}" must be a string, got ${String(v)}`,
		);
	return v;
}

/** base64 of raw bytes (model artifacts stored inside JSON). */
export function bytesToBase64(bytes: Uint8Array): string {
	return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(
		"base64",
	);
}

export function base64ToBytes(s: string): Uint8Array {
	return new Uint8Array(Buffer.from(s, "base64"));
}
