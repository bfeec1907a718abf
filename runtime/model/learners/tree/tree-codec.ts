/**
 * Compact, exact JSON encoding of a list of trees: the flat arrays of every
 * tree concatenated and stored as base64 of their typed-array bytes (a
 * 300-tree forest is ~4 MB of float64s; as JSON numbers it would be ~3× that).
 */
import { base64ToBytes, bytesToBase64 } from "../common.ts";
import type { Tree } from "./cart-core.ts";

export interface EncodedTrees {
	nodeCounts: number[];
	feature: string;
	threshold: string;
	left: string;
	right: string;
	value: string;
	/** Node covers (sample weight), when every tree has them. */
	cover?: string;
}

function concat<T extends Int32Array | Float64Array>(
	parts: T[],
	make: (n: number) => T,
): T {
	const out = make(parts.reduce((s, p) => s + p.length, 0));
	let off = 0;
	for (const p of parts) {
		out.set(p as never, off);
		off += p.length;
	}
	return out;
}

const b64 = (a: Int32Array | Float64Array) =>
	bytesToBase64(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

export function encodeTrees(trees: Tree[]): EncodedTrees {
	const i32 = (n: number) => new Int32Array(n);
	const f64 = (n: number) => new Float64Array(n);
	return {
		nodeCounts: trees.map((t) => t.feature.length),
		feature: b64(
			concat(
				trees.map((t) => t.feature),
				i32,
			),
		),
		threshold: b64(
			concat(
				trees.map((t) => t.threshold),
				f64,
			),
		),
		left: b64(
			concat(
				trees.map((t) => t.left),
				i32,
			),
		),
		right: b64(
			concat(
				trees.map((t) => t.right),
				i32,
			),
		),
		value: b64(
			concat(
				trees.map((t) => t.value),
				f64,
			),
		),
		...(trees.every((t) => t.cover)
			? {
					cover: b64(
						concat(
							trees.map((t) => t.cover as Float64Array),
							f64,
						),
					),
				}
			: {}),
	};
}

export function decodeTrees(e: EncodedTrees): Tree[] {
	// Copy into fresh (aligned) buffers before viewing as typed arrays.
	const asI32 = (s: string) => new Int32Array(base64ToBytes(s).slice().buffer);
	const asF64 = (s: string) =>
		new Float64Array(base64ToBytes(s).slice().buffer);
	const feature = asI32(e.feature);
	const threshold = asF64(e.threshold);
	const left = asI32(e.left);
	const right = asI32(e.right);
	const value = asF64(e.value);
	const cover = e.cover === undefined ? undefined : asF64(e.cover);
	const total = e.nodeCounts.reduce((s, n) => s + n, 0);
	if (
		[feature, threshold, left, right, value, cover ?? value].some(
			(a) => a.length !== total,
		)
	) {
		throw new Error("tree state: array lengths do not match the node counts");
	}
	const trees: Tree[] = [];
	let off = 0;
	for (const n of e.nodeCounts) {
		trees.push({
			feature: feature.slice(off, off + n),
			threshold: threshold.slice(off, off + n),
			left: left.slice(off, off + n),
			right: right.slice(off, off + n),
			value: value.slice(off, off + n),
			...(cover ? { cover: cover.slice(off, off + n) } : {}),
		});
		off += n;
	}
	return trees;
}
