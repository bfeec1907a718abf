/**
 * Shapley values by their definition, for checking TreeSHAP: every subset S
 * of the M features is enumerated, v(S) = E[f(x) | x_S] under the same
 * path-dependent, cover-weighted conditional expectation
 * (shap-tree.ts#conditionalExpectation), and
 *
 *     φ_i = Σ_{S ⊆ F∖{i}} |S|! (M − |S| − 1)! / M! · (v(S ∪ {i}) − v(S)).
 *
 * O(2^M · trees · nodes): for small models only (M ≤ 16).
 */
import { conditionalExpectation, type ShapEnsemble } from "./shap-tree.ts";

export function bruteForceShapley(
	e: ShapEnsemble,
	x: ArrayLike<number>,
): Float64Array {
	const M = e.numFeatures;
	if (M > 16)
		throw new RangeError(`brute-force Shapley: ${M} features is too many`);
	const subsets = 1 << M;
	const v = new Float64Array(subsets);
	for (let s = 0; s < subsets; s++) {
		const known = (f: number) => ((s >> f) & 1) === 1;
		let sum = 0;
		for (const t of e.trees) sum += conditionalExpectation(t, e.rule, x, known);
		v[s] = e.base + e.treeWeight * sum;
	}
	const fact = [1];
	for (let k = 1; k <= M; k++) fact.push(fact[k - 1] * k);
	const phi = new Float64Array(M + 1);
	for (let i = 0; i < M; i++) {
		const bit = 1 << i;
		for (let s = 0; s < subsets; s++) {
			if (s & bit) continue;
			let size = 0;
			for (let r = s; r; r &= r - 1) size++;
			const w = (fact[size] * fact[M - size - 1]) / fact[M];
			phi[i] += w * (v[s | bit] - v[s]);
		}
	}
	phi[M] = v[0];
	return phi;
}
