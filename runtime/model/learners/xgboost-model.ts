/**
 * Reader and predictor for the binary model that ml-xgboost saves (XGBoost's
 * legacy binary format, the version compiled into ml-xgboost 1.1.2).
 *
 * Why: ml-xgboost predicts one row at a time, building a one-row DMatrix in
 * WebAssembly per call (≈ 0.1 ms/row here, ≈ 2 s for 20,099 customers).
 * Evaluating the saved trees in JavaScript is ~50× faster and needs no
 * WebAssembly instance to score. XGBoost's semantics are kept: features and
 * split values are float32, a row goes left when x < split, leaf values are
 * summed in float32 onto the base margin, then the logistic link. Tests check
 * it against the library's own predict.
 */

export interface XgbTree {
	left: Int32Array;
	right: Int32Array;
	/** Feature index; −1 for a leaf. */
	feature: Int32Array;
	/** Split condition (internal node) or leaf value, as float32. */
	value: Float32Array;
	/** Sum of the training rows' hessians in the node (XGBoost's "cover"; TreeSHAP weights paths by it). */
	cover: Float32Array;
}

export interface XgbModel {
	baseMargin: number;
	numFeature: number;
	objective: string;
	booster: string;
	trees: XgbTree[];
	/** Maximum depth actually grown, per tree (for option checks). */
	depths: number[];
	/** Every tree concatenated, child indexes absolute: the layout the predictor walks. */
	flat: {
		roots: Int32Array;
		left: Int32Array;
		right: Int32Array;
		feature: Int32Array;
		value: Float32Array;
	};
}

function flatten(trees: XgbTree[]): XgbModel["flat"] {
	const total = trees.reduce((n, t) => n + t.left.length, 0);
	const flat = {
		roots: new Int32Array(trees.length),
		left: new Int32Array(total),
		right: new Int32Array(total),
		feature: new Int32Array(total),
		value: new Float32Array(total),
	};
	let off = 0;
	trees.forEach((t, i) => {
		flat.roots[i] = off;
		for (let k = 0; k < t.left.length; k++) {
			flat.left[off + k] = t.left[k] < 0 ? -1 : t.left[k] + off;
			flat.right[off + k] = t.right[k] < 0 ? -1 : t.right[k] + off;
			flat.feature[off + k] = t.feature[k];
			flat.value[off + k] = t.value[k];
		}
		off += t.left.length;
	});
	return flat;
}

class Reader {
	private off = 0;
	private readonly view: DataView;
	constructor(private readonly bytes: Uint8Array) {
		this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	}
	need(n: number): void {
		if (this.off + n > this.bytes.byteLength)
			throw new Error("xgboost model: truncated");
	}
	i32(): number {
		this.need(4);
		const v = this.view.getInt32(this.off, true);
		this.off += 4;
		return v;
	}
	u32(): number {
		this.need(4);
		const v = this.view.getUint32(this.off, true);
		this.off += 4;
		return v;
	}
	f32(): number {
		this.need(4);
		const v = this.view.getFloat32(this.off, true);
		this.off += 4;
		return v;
	}
	u64(): number {
		const lo = this.u32();
		const hi = this.u32();
		return hi * 4294967296 + lo;
	}
	skip(n: number): void {
		this.need(n);
		this.off += n;
	}
	str(): string {
		const len = this.u64();
		this.need(len);
		const s = new TextDecoder().decode(
			this.bytes.subarray(this.off, this.off + len),
		);
		this.off += len;
		return s;
	}
}

export function parseXgbModel(bytes: Uint8Array): XgbModel {
	const r = new Reader(bytes);
	// LearnerModelParam: base_score (stored as a margin), num_feature, num_class,
	// contain_extra_attrs, contain_eval_metrics, reserved[29].
	const baseMargin = r.f32();
	const numFeature = r.u32();
	const numClass = r.i32();
	r.skip(4 * 31);
	const objective = r.str();
	const booster = r.str();
	if (booster !== "gbtree")
		throw new Error(
			`xgboost model: booster "${booster}" is not supported (gbtree only)`,
		);
	if (numClass > 1)
		throw new Error("xgboost model: multi-class models are not supported");
	// GBTreeModelParam: num_trees, num_roots, num_feature, pad, num_pbuffer (int64),
	// num_output_group, size_leaf_vector, reserved[32].
	const numTrees = r.i32();
	r.skip(4 * 3 + 8);
	const numGroups = r.i32();
	const sizeLeafVector = r.i32();
	r.skip(4 * 32);
	if (numGroups !== 1 || sizeLeafVector !== 0)
		throw new Error("xgboost model: unsupported output groups / leaf vectors");
	const trees: XgbTree[] = [];
	const depths: number[] = [];
	for (let t = 0; t < numTrees; t++) {
		// TreeParam: num_roots, num_nodes, num_deleted, max_depth, num_feature, size_leaf_vector, reserved[31]
		const numRoots = r.i32();
		const numNodes = r.i32();
		r.skip(4 * 3);
		const treeLeafVector = r.i32();
		r.skip(4 * 31);
		if (numRoots !== 1 || treeLeafVector !== 0)
			throw new Error("xgboost model: unsupported tree layout");
		const left = new Int32Array(numNodes);
		const right = new Int32Array(numNodes);
		const feature = new Int32Array(numNodes);
		const value = new Float32Array(numNodes);
		for (let k = 0; k < numNodes; k++) {
			r.i32(); // parent
			left[k] = r.i32();
			right[k] = r.i32();
			const sindex = r.u32();
			value[k] = r.f32();
			// The top bit of sindex is "missing goes left"; inputs are never missing here.
			feature[k] = left[k] === -1 ? -1 : sindex & 0x7fffffff;
		}
		// Node statistics: loss_chg, sum_hess, base_weight (float32), leaf_child_cnt (int32).
		const cover = new Float32Array(numNodes);
		for (let k = 0; k < numNodes; k++) {
			r.skip(4);
			cover[k] = r.f32();
			r.skip(8);
		}
		trees.push({ left, right, feature, value, cover });
		depths.push(treeDepth(left, right));
	}
	// tree_info (output group per tree) follows; every tree is group 0 here.
	return {
		baseMargin,
		numFeature,
		objective,
		booster,
		trees,
		depths,
		flat: flatten(trees),
	};
}

function treeDepth(left: Int32Array, right: Int32Array): number {
	const depth = (k: number): number =>
		left[k] === -1 ? 0 : 1 + Math.max(depth(left[k]), depth(right[k]));
	return depth(0);
}

/**
 * Probability per row of a row-major float32 matrix (already mapped as the
 * training data was: see toLibraryValue in xgboost.ts).
 */
export function predictXgb(
	model: XgbModel,
	data: Float32Array,
	rows: number,
	cols: number,
): Float64Array {
	// Row-major walk over the concatenated trees: the row stays in cache and the
	// whole forest (~600 × 7 nodes) fits in L2. Leaf values are added in float32.
	const { roots, left, right, feature, value } = model.flat;
	const nTrees = roots.length;
	const logistic =
		model.objective === "binary:logistic" || model.objective === "reg:logistic";
	const out = new Float64Array(rows);
	for (let i = 0; i < rows; i++) {
		const off = i * cols;
		let psum = 0;
		for (let t = 0; t < nTrees; t++) {
			let k = roots[t];
			let f = feature[k];
			while (f >= 0) {
				k = data[off + f] < value[k] ? left[k] : right[k];
				f = feature[k];
			}
			psum = Math.fround(psum + value[k]);
		}
		const margin = Math.fround(psum + model.baseMargin);
		out[i] = logistic ? Math.fround(1 / (1 + Math.exp(-margin))) : margin;
	}
	return out;
}
