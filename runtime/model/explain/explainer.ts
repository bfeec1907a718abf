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
 * Other algorithms have no explainer (undefined): logistic and dummies are
 * not trees; the project's CART and forest trees (learners/tree) do not store
 * their nodes' training weight, which the path-dependent definition needs
 * (see docs/explanations.md, "Not covered").
 */
import { toLibraryMatrix, type XgbState } from "../learners/xgboost.ts";
import { parseXgbModel, type XgbModel } from "../learners/xgboost-model.ts";
import type { Matrix, SerializedModel } from "../types.ts";
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
	/** What bias + Σ contributions equals for a row. */
	output: "log_odds";
	/**
	 * The model's raw score per row exactly as FittedModel.predictProba
	 * returns it (same leaves, same float32 arithmetic), from the same pass:
	 * scoring with contributions need not walk the trees twice.
	 */
	raw: Float64Array;
}

export interface TreeExplainer {
	readonly ensemble: ShapEnsemble;
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
	return undefined;
}
