/**
 * TreeSHAP for the project's tree models, from their serialized form (what
 * an artifact holds): the trees are read into shap-tree.ts's structure with
 * the same split rule and the same input values as the model's own
 * predictor, so the contributions explain exactly what it scores.
 *
 * - XGBoost: the saved booster (xgboost-model.ts), covers = sum of hessians,
 *   left when x < split on the float32 library values (toLibraryValue); the
 *   output explained is the margin (raw log-odds) before the logistic link
 *   and calibration. The project never passes a missing value (the matrix is
 *   finite and −1 is nudged off the library's missing marker), so the
 *   default direction of a split is never taken, as in predictXgb.
 *
 * - CART and the random forest (learners/tree): covers = the nodes' total
 *   sample weight (class weights × bootstrap counts), left when x ≤ split on
 *   the float64 matrix; the output explained is the raw score (the leaf's
 *   positive share, averaged over a forest's trees). Trees saved before
 *   covers were recorded have no explainer.
 *
 * Logistic and dummies are not trees: undefined. See docs/explanations.md.
 */

import { loadModel } from "../learners/index.ts";
import type { Tree } from "../learners/tree/cart-core.ts";
import { decodeTrees, type EncodedTrees } from "../learners/tree/tree-codec.ts";
import { toLibraryMatrix, type XgbState } from "../learners/xgboost.ts";
import { parseXgbModel, type XgbModel } from "../learners/xgboost-model.ts";
import type { FittedModel, Matrix, SerializedModel } from "../types.ts";
import {
	type CompiledShap,
	compileShap,
	explainRows,
} from "./fast-tree-shap.ts";
import type { ShapEnsemble, ShapTree } from "./shap-tree.ts";

/** Per-row contributions of one matrix. */
export interface Contributions {
	/** Matrix column names (after one-hot encoding), in order. */
	columns: readonly string[];
	rows: number;
	/** values[i·(M+1) + j]: contribution of column j to row i; j = M holds the bias. */
	values: Float64Array;
	/** E[f(X)] under the trees' cover weights: the same for every row. */
	bias: number;
	/** What bias + Σ contributions equals for a row: the margin (XGBoost) or the raw score (CART, forest). */
	output: "log_odds" | "probability";
	/**
	 * The model's raw score per row exactly as FittedModel.predictProba
	 * returns it (same leaves, same float32 arithmetic), from the same pass:
	 * scoring with contributions need not walk the trees twice.
	 */
	raw: Float64Array;
}

export interface TreeExplainer {
	readonly ensemble: ShapEnsemble;
	/** Estimated work per row (fast-tree-shap.ts#CompiledShap.costPerRow). */
	readonly costPerRow: number;
	explain(X: Matrix): Contributions;
}

/** An XGBoost booster as a TreeSHAP ensemble (float32 splits, leaves and covers as float64). */
export function xgbEnsemble(model: XgbModel): ShapEnsemble {
	const trees: ShapTree[] = model.trees.map((t) => {
		const n = t.left.length;
		const threshold = new Float64Array(n);
		const value = new Float64Array(n);
		for (let k = 0; k < n; k++) {
			if (t.feature[k] >= 0) threshold[k] = t.value[k];
			else value[k] = t.value[k];
		}
		return {
			feature: t.feature,
			threshold,
			left: t.left,
			right: t.right,
			value,
			cover: Float64Array.from(t.cover),
		};
	});
	return {
		numFeatures: model.numFeature,
		trees,
		rule: "lt",
		base: model.baseMargin,
		treeWeight: 1,
		sum: "float32",
	};
}

class XgbExplainer implements TreeExplainer {
	private readonly compiled: CompiledShap;
	constructor(
		readonly columns: readonly string[],
		readonly ensemble: ShapEnsemble,
	) {
		this.compiled = compileShap(ensemble);
	}

	get costPerRow(): number {
		return this.compiled.costPerRow;
	}

	explain(X: Matrix): Contributions {
		if (
			X.cols !== this.columns.length ||
			X.columns.some((c, j) => c !== this.columns[j])
		)
			throw new RangeError(
				"TreeSHAP: the matrix columns are not the model's columns",
			);
		const margin = new Float64Array(X.rows);
		const values = explainRows(
			this.compiled,
			toLibraryMatrix(X),
			X.rows,
			X.cols,
			margin,
		);
		// The link exactly as predictXgb applies it (binary:logistic only: xgboost.ts).
		const raw = margin.map((m) => Math.fround(1 / (1 + Math.exp(-m))));
		return {
			raw,
			columns: this.columns,
			rows: X.rows,
			values,
			bias: this.compiled.bias,
			output: "log_odds",
		};
	}
}

/** The project's CART / forest trees as a TreeSHAP ensemble, or undefined without covers. */
export function cartEnsemble(
	trees: Tree[],
	numFeatures: number,
): ShapEnsemble | undefined {
	if (!trees.every((t) => t.cover)) return undefined;
	return {
		numFeatures,
		trees: trees.map((t) => ({
			feature: t.feature,
			threshold: t.threshold,
			left: t.left,
			right: t.right,
			value: t.value,
			cover: t.cover as Float64Array,
		})),
		rule: "le",
		base: 0,
		treeWeight: 1 / trees.length,
		sum: "float64",
	};
}

class CartExplainer implements TreeExplainer {
	private readonly compiled: CompiledShap;
	constructor(
		readonly columns: readonly string[],
		readonly ensemble: ShapEnsemble,
		private readonly model: FittedModel,
	) {
		this.compiled = compileShap(ensemble);
	}

	get costPerRow(): number {
		return this.compiled.costPerRow;
	}

	explain(X: Matrix): Contributions {
		if (
			X.cols !== this.columns.length ||
			X.columns.some((c, j) => c !== this.columns[j])
		)
			throw new RangeError(
				"TreeSHAP: the matrix columns are not the model's columns",
			);
		const values = explainRows(this.compiled, X.data, X.rows, X.cols);
		return {
			// The forest's mean is taken in its own order: its predictor gives the raw score.
			raw: this.model.predictProba(X),
			columns: this.columns,
			rows: X.rows,
			values,
			bias: this.compiled.bias,
			output: "probability",
		};
	}
}

/** The explainer of a serialized model, or undefined when it is not a tree model TreeSHAP handles. */
export function treeExplainerFor(
	model: SerializedModel,
): TreeExplainer | undefined {
	if (model.algorithm === "xgboost") {
		const bytes = new Uint8Array(
			Buffer.from((model.state as XgbState).model, "base64"),
		);
		return new XgbExplainer(model.columns, xgbEnsemble(parseXgbModel(bytes)));
	}
	if (model.algorithm === "cart" || model.algorithm === "random_forest") {
		const e = cartEnsemble(
			decodeTrees(model.state as EncodedTrees),
			model.columns.length,
		);
		return e && new CartExplainer(model.columns, e, loadModel(model));
	}
	return undefined;
}
