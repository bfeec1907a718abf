/**
 * Experiment ladder (docs/data-contract.md §4, docs/models.md "Experiments"): every feature set
 * E0–E8 × {logistic, CART, random forest, XGBoost}, plus the two dummy
 * baselines, trained on the 80 % train split and measured on the 20 % test
 * split (the same seeded split as the production model).
 *
 * PR-AUC and ROC-AUC are threshold-free and are what the ladder compares.
 * Precision/recall/F1 are reported at the raw score 0.5: every learner here is
 * class-balanced (balanced weights / scale_pos_weight), so 0.5 is its natural
 * decision point, and choosing a threshold per rung would need a second
 * (sub-train) fit each — the production threshold policy is the training
 * step's (train.ts).
 */
import { table } from "arquero";
import { RUN_DEFAULTS } from "../contract.ts";
import { EXPERIMENTS, type ExperimentId } from "../features/feature-sets.ts";
import { writeJsonAtomic } from "../io/lake.ts";
import { type Table, writeParquetFile } from "../io/tables.ts";
import { mapPool } from "../util/pool.ts";
import { fitMany } from "./learners/index.ts";
import {
	buildMatrix,
	checkFeatures,
	customerIds,
	fitPreprocessor,
	labelsOf,
	type Preprocessor,
} from "./matrix.ts";
import { classificationMetrics } from "./metrics.ts";
import { modelSplits } from "./split.ts";
import type { Algorithm, Matrix } from "./types.ts";

export interface ExperimentRow {
	experiment: string;
	algorithm: Algorithm;
	n_features: number;
	pr_auc: number;
	roc_auc: number;
	precision: number;
	recall: number;
	f1: number;
	/** Wall-clock seconds of the fit (in a worker, while another fit may run on the other core). */
	seconds: number;
}

export const LADDER_ALGORITHMS: readonly Algorithm[] = [
	"logistic",
	"cart",
	"random_forest",
	"xgboost",
];
export const BASELINES: readonly Algorithm[] = [
	"dummy_stratified",
	"dummy_most_frequent",
];
/** The baselines ignore features; they are listed against the production set. */
const BASELINE_EXPERIMENT: ExperimentId = "E5_full";

export interface ExperimentOptions {
	seed?: number;
	experiments?: readonly ExperimentId[];
	algorithms?: readonly Algorithm[];
	/** Include the dummy baselines (default true). */
	baselines?: boolean;
	/** Fits running at once (default 2: the machine's cores). */
	concurrency?: number;
	/** Per-algorithm hyper-parameter overrides (tests use small models). */
	params?: Partial<
		Record<Algorithm, Record<string, number | string | boolean>>
	>;
	/** Called as each rung finishes (progress display). */
	onRow?: (row: ExperimentRow) => void;
}

interface Job {
	experiment: ExperimentId;
	algorithm: Algorithm;
}

export async function runExperiments(
	gold: Table,
	options: ExperimentOptions = {},
): Promise<ExperimentRow[]> {
	const seed = options.seed ?? RUN_DEFAULTS.seed;
	const experiments =
		options.experiments ?? (Object.keys(EXPERIMENTS) as ExperimentId[]);
	const algorithms = options.algorithms ?? LADDER_ALGORITHMS;
	for (const e of experiments) checkFeatures(gold, EXPERIMENTS[e]);
	const ids = customerIds(gold);
	const yAll = labelsOf(gold);
	const { train, test } = modelSplits(ids, yAll, seed);
	const yTrain = Uint8Array.from(train, (r) => yAll[r]);
	const yTest = Uint8Array.from(test, (r) => yAll[r]);

	const jobs: Job[] = experiments.flatMap((experiment) =>
		algorithms.map((algorithm) => ({ experiment, algorithm })),
	);
	if (options.baselines ?? true)
		for (const algorithm of BASELINES)
			jobs.push({ experiment: BASELINE_EXPERIMENT, algorithm });

	// Matrices are built once per (experiment, standardised?) and shared by the learners.
	const matrices = new Map<string, { train: Matrix; test: Matrix }>();
	const matricesFor = (experiment: ExperimentId, algorithm: Algorithm) => {
		const standardize = algorithm === "logistic";
		const key = `${experiment}/${standardize}`;
		let m = matrices.get(key);
		if (!m) {
			const pre: Preprocessor = fitPreprocessor(
				gold,
				EXPERIMENTS[experiment],
				train,
				{ standardize },
			);
			m = {
				train: buildMatrix(gold, pre, train),
				test: buildMatrix(gold, pre, test),
			};
			matrices.set(key, m);
		}
		return m;
	};

	const slots = Math.max(1, options.concurrency ?? 2);
	// Each slot fits one rung at a time so its own wall time can be reported.
	return mapPool(
		jobs,
		async ({ experiment, algorithm }): Promise<ExperimentRow> => {
			const m = matricesFor(experiment, algorithm);
			const start = performance.now();
			const [model] = await fitMany(
				[
					{
						algorithm,
						X: m.train,
						y: yTrain,
						options: { seed, params: options.params?.[algorithm] },
					},
				],
				// One job per call, so its time is its own: a worker thread when slots run in parallel
				// (its ~1 s start-up is included), in-process for the instant dummies.
				slots > 1 && !algorithm.startsWith("dummy") ? 2 : 1,
			);
			const seconds = (performance.now() - start) / 1000;
			const score = model.predictProba(m.test);
			const metrics = classificationMetrics(yTest, score, 0.5);
			const row: ExperimentRow = {
				experiment,
				algorithm,
				n_features: EXPERIMENTS[experiment].length,
				pr_auc: metrics.prAuc,
				roc_auc: metrics.rocAuc,
				precision: metrics.precision,
				recall: metrics.recall,
				f1: metrics.f1,
				seconds,
			};
			options.onRow?.(row);
			return row;
		},
		{ concurrency: slots },
	);
}

export function experimentsTable(rows: readonly ExperimentRow[]): Table {
	const cols: Record<string, unknown[]> = {};
	for (const key of [
		"experiment",
		"algorithm",
		"n_features",
		"pr_auc",
		"roc_auc",
		"precision",
		"recall",
		"f1",
		"seconds",
	] as const)
		cols[key] = rows.map((r) => r[key]);
	return table(cols) as Table;
}

/** Persist the ladder for the report: `<base>.json` and `<base>.parquet`. */
export async function saveExperiments(
	rows: readonly ExperimentRow[],
	basePath: string,
): Promise<{ json: string; parquet: string }> {
	const json = `${basePath}.json`;
	const parquet = `${basePath}.parquet`;
	await writeJsonAtomic(json, rows);
	await writeParquetFile(parquet, experimentsTable(rows));
	return { json, parquet };
}

/** The ladder as a fixed-width text table, experiments in order, best PR-AUC first within each. */
export function formatExperiments(rows: readonly ExperimentRow[]): string {
	const order = Object.keys(EXPERIMENTS);
	const sorted = [...rows].sort(
		(a, b) =>
			order.indexOf(a.experiment) - order.indexOf(b.experiment) ||
			(b.pr_auc || 0) - (a.pr_auc || 0),
	);
	const header = [
		"experiment",
		"algorithm",
		"n_feat",
		"pr_auc",
		"roc_auc",
		"precision",
		"recall",
		"f1",
		"seconds",
	];
	const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "n/a");
	const lines = sorted.map((r) => [
		r.experiment,
		r.algorithm,
		String(r.n_features),
		f3(r.pr_auc),
		f3(r.roc_auc),
		f3(r.precision),
		f3(r.recall),
		f3(r.f1),
		r.seconds.toFixed(1),
	]);
	const widths = header.map((h, i) =>
		Math.max(h.length, ...lines.map((l) => l[i].length)),
	);
	const fmt = (cells: string[]) =>
		cells
			.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
			.join("  ");
	return [
		fmt(header),
		widths.map((w) => "-".repeat(w)).join("  "),
		...lines.map(fmt),
	].join("\n");
}
