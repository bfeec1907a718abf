/** Small conversions shared by the report's table builders (export/*.ts). */
import { getTable } from "../../io/lake.ts";
import type { ObjectStore } from "../../io/object-store.ts";
import type { ReportRow, ReportTableName } from "../contract.ts";

export type Obj = Record<string, unknown>;
/** Rows of some of the report's tables, as one builder returns them. */
export type TableRows = { [T in ReportTableName]?: ReportRow<T>[] };

export const num = (v: unknown): number | null =>
	typeof v === "number" && Number.isFinite(v)
		? v
		: typeof v === "bigint"
			? Number(v)
			: null;
export const str = (v: unknown): string | null =>
	v === null || v === undefined ? null : String(v);
export const flag = (v: boolean | undefined | null): number | null =>
	v === undefined || v === null ? null : v ? 1 : 0;
export const sum = (xs: Iterable<number>) => {
	let t = 0;
	for (const x of xs) t += x;
	return t;
};
export const round2 = (x: number) => Math.round(x * 100) / 100;

export async function tryTable(store: ObjectStore, key: string) {
	return (await store.exists(key)) ? getTable(store, key) : undefined;
}

/** Keep at most `max` evenly spaced points of a curve (first and last kept). */
export function downsample(length: number, max: number): number[] {
	if (length <= max) return Array.from({ length }, (_, i) => i);
	const idx = new Set<number>();
	for (let k = 0; k < max; k++)
		idx.add(Math.round((k * (length - 1)) / (max - 1)));
	return [...idx].sort((a, b) => a - b);
}
