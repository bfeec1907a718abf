/**
 * Benchmark task "explain": scoring 20,000 customers × 56 features with
 * TreeSHAP contributions, on the default champion size (XGBoost, 600 rounds,
 * depth 3: XGBOOST_DEFAULTS). One measurement per process, like bench/task.ts:
 * prints a JSON line { seconds, maxRssMb, detail }.
 *
 * The booster is trained once on test/support/synthetic-task.ts's
 * data (≈ 6 s, not timed) and cached under <dataRoot>/explain-bench/, so the
 * task needs no generated batch. What is timed is what the Score stage does
 * with the trees per customer: one pass that yields the model's raw score
 * (bit for bit what predictProba returns) and every feature's contribution
 * (explainer.ts), then the top 5 drivers per row. The plain predictProba is
 * timed apart, for comparison (detail.predictSeconds, not in the total).
 *
 *   npm run bench -- --tasks explain --runs 5
 *   tsx bench/explain.ts explain '{"dataRoot":".tmp/bench","customers":20000,"seed":42}'
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { treeExplainerFor } from "../runtime/model/explain/explainer.ts";
import { createLearner, loadModel } from "../runtime/model/learners/index.ts";
import type { SerializedModel } from "../runtime/model/types.ts";
import { syntheticTask } from "../test/support/synthetic-task.ts";

interface Opts {
	dataRoot: string;
	customers?: number;
	seed?: number;
}

const COLUMNS = 56;

/** Column index of each row's k largest |contribution|s (what the Score stage keeps). */
function topDrivers(
	values: Float64Array,
	rows: number,
	cols: number,
	k: number,
): Int32Array {
	const out = new Int32Array(rows * k);
	for (let i = 0; i < rows; i++) {
		const o = i * (cols + 1);
		for (let r = 0; r < k; r++) {
			let best = -1;
			for (let j = 0; j < cols; j++) {
				let taken = false;
				for (let q = 0; q < r; q++) if (out[i * k + q] === j) taken = true;
				if (
					!taken &&
					(best < 0 || Math.abs(values[o + j]) > Math.abs(values[o + best]))
				)
					best = j;
			}
			out[i * k + r] = best;
		}
	}
	return out;
}

async function main() {
	const o = JSON.parse(process.argv[3] ?? "{}") as Opts;
	const rows = o.customers ?? 20_000;
	const seed = o.seed ?? 42;
	const { X, y } = syntheticTask(rows, COLUMNS, seed);
	const dir = join(o.dataRoot ?? ".tmp/bench", "explain-bench");
	const cached = join(dir, `xgboost-${rows}x${COLUMNS}-s${seed}.json`);
	let model: SerializedModel;
	if (existsSync(cached)) model = JSON.parse(await readFile(cached, "utf8"));
	else {
		model = (await createLearner("xgboost").fit(X, y, { seed })).serialize();
		await mkdir(dir, { recursive: true });
		await writeFile(cached, JSON.stringify(model));
	}
	const cpu0 = process.cpuUsage();
	const t0 = performance.now();
	const explainer = treeExplainerFor(model);
	if (!explainer) throw new Error("bench explain: no TreeSHAP for the model");
	const t1 = performance.now();
	const c = explainer.explain(X);
	const t2 = performance.now();
	const drivers = topDrivers(c.values, rows, COLUMNS, 5);
	const t3 = performance.now();
	const cpu = process.cpuUsage(cpu0);
	const proba = loadModel(model).predictProba(X);
	const t4 = performance.now();
	// Check the results (and keep them alive so nothing is optimised away).
	for (let i = 0; i < rows; i++)
		if (c.raw[i] !== proba[i])
			throw new Error(`bench explain: raw score of row ${i} differs`);
	if (drivers.length !== rows * 5) throw new Error("bench explain: drivers");
	const seconds = (t3 - t0) / 1000;
	const maxRssMb = process.resourceUsage().maxRSS / 1024;
	const detail = {
		customers: rows,
		columns: COLUMNS,
		trees: explainer.ensemble.trees.length,
		params: model.params,
		compileSeconds: (t1 - t0) / 1000,
		explainSeconds: (t2 - t1) / 1000,
		driversSeconds: (t3 - t2) / 1000,
		cpuSeconds: (cpu.user + cpu.system) / 1e6,
		predictSeconds: (t4 - t3) / 1000,
	};
	process.stdout.write(`${JSON.stringify({ seconds, maxRssMb, detail })}\n`);
}

main().catch((e) => {
	process.stderr.write(
		`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
	);
	process.exit(1);
});
