// ml-xgboost ships no types; this is the part of its API the learners use.
declare module "ml-xgboost" {
	export interface XGBoostJSON {
		name: "ml-xgboost";
		/** Saved model bytes, as signed 8-bit integers. */
		model: number[];
		options: Record<string, unknown>;
	}
	export interface XGBoostInstance {
		train(X: number[][], y: number[]): void;
		predict(X: number[][]): number[];
		toJSON(): XGBoostJSON;
		free(): void;
	}
	export interface XGBoostClass {
		new (options: Record<string, string | number>): XGBoostInstance;
		load(model: XGBoostJSON): XGBoostInstance;
	}
	/** The default export is a Promise that resolves once the WebAssembly module is ready. */
	const ready: Promise<XGBoostClass>;
	export default ready;
}
