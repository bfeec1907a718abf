/**
 * `npm run experiments`: the ladder on the latest successful run's gold table,
 * persisted under that run (models/experiments.{json,parquet}) and printed.
 */
import { join } from "node:path";
import { Lake } from "../io/lake.ts";
import { readParquetFile } from "../io/tables.ts";
import {
	formatExperiments,
	runExperiments,
	saveExperiments,
} from "./experiments.ts";

export async function experimentsCommand(o: {
	data: string;
	seed: number;
}): Promise<number> {
	const lake = new Lake(o.data);
	const latest = await lake.latest();
	if (!latest) {
		process.stderr.write(
			`no successful run under ${lake.root}: run \`npm start\` first\n`,
		);
		return 1;
	}
	const gold = await readParquetFile(
		lake.tablePath(latest.runId, "gold", "gold_customer"),
	);
	process.stdout.write(
		`experiment ladder on run ${latest.runId} (${gold.numRows()} customers, seed ${o.seed})\n`,
	);
	const started = performance.now();
	const rows = await runExperiments(gold, {
		seed: o.seed,
		onRow: (r) =>
			process.stdout.write(
				`  ${r.experiment} ${r.algorithm}: PR-AUC ${r.pr_auc.toFixed(3)} (${r.seconds.toFixed(1)} s)\n`,
			),
	});
	const base = join(lake.runDir(latest.runId), "models", "experiments");
	const saved = await saveExperiments(rows, base);
	process.stdout.write(
		`\n${formatExperiments(rows)}\n\nladder: ${((performance.now() - started) / 1000).toFixed(1)} s; saved ${saved.json} and ${saved.parquet}\n`,
	);
	return 0;
}
