// ml-cart ships no types; the part used by the tests that compare our CART with it.
declare module "ml-cart" {
	export class DecisionTreeClassifier {
		constructor(options?: {
			gainFunction?: "gini";
			minNumSamples?: number;
			maxDepth?: number;
			gainThreshold?: number;
		});
		train(X: number[][], y: number[]): void;
		predict(X: number[][]): number[];
		/** The trained tree: a node splits `row[splitColumn] < splitValue` to the left. */
		root: MlCartNode;
	}
	export interface MlCartNode {
		splitColumn: number;
		splitValue: number;
		left?: MlCartNode;
		right?: MlCartNode;
	}
}
