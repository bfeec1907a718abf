/**
 * One-off measurement of the learners (not a test): fit time on 16,000 × 56
 * and PR-AUC / ROC-AUC on 4,000 held-out rows of the synthetic task, then the
 * production pattern (two XGBoost fits in parallel workers) and XGBoost
 * scoring throughput for 20,099 rows.
 *   npx tsx bench/learners.ts
 */
import os from "node:os";
import {
	ALGORITHMS,
	createLearner,
	fitMany,
} from "../runtime/model/learners/index.ts";
import { averagePrecision, rocAuc } from "../runtime/model/metrics.ts";
import type { Algorithm } from "../runtime/model/types.ts";
import { sliceRows, syntheticTask } from "../test/support/synthetic-task.ts";

const all = syntheticTask(20_000 + 20_099, 56, 2026);
const train = sliceRows(all.X, all.y, 0, 16_000);
const test = sliceRows(all.X, all.y, 16_000, 20_000);
const scoring = sliceRows(all.X, all.y, 20_000, 40_099);
const prevalence = (y: Uint8Array) => y.reduce((a, b) => a + b, 0) / y.length;
console.log(
	`synthetic task: train ${train.X.rows} × ${train.X.cols} (${(100 * prevalence(train.y)).toFixed(1)} % positive), ` +
		`test ${test.X.rows}; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
);
// CPU seconds (all threads of this process) are the load-independent figure on a shared machine.
console.log(
	"| algorithm | fit s (wall) | fit CPU s | predict 4,000 ms | PR-AUC | ROC-AUC |",
);
console.log("|---|---|---|---|---|---|");
const fitted = new Map<
	Algorithm,
	Awaited<ReturnType<ReturnType<typeof createLearner>["fit"]>>
>();
for (const algorithm of ALGORITHMS) {
	const t0 = performance.now();
	const c0 = process.cpuUsage();
	const model = await createLearner(algorithm).fit(train.X, train.y, {
		seed: 42,
	});
	const fitS = (performance.now() - t0) / 1000;
	const c1 = process.cpuUsage(c0);
	const cpuS = (c1.user + c1.system) / 1e6;
	const t1 = performance.now();
	const p = model.predictProba(test.X);
	const predMs = performance.now() - t1;
	fitted.set(algorithm, model);
	console.log(
		`| ${algorithm} | ${fitS.toFixed(2)} | ${cpuS.toFixed(2)} | ${predMs.toFixed(0)} | ${averagePrecision(test.y, p).toFixed(3)} | ${rocAuc(test.y, p).toFixed(3)} |`,
	);
}
const xgb = fitted.get("xgboost");
if (xgb) {
	const t = performance.now();
	xgb.predictProba(scoring.X);
	console.log(
		`xgboost scoring of ${scoring.X.rows} rows: ${(performance.now() - t).toFixed(0)} ms`,
	);
}
const sub = sliceRows(train.X, train.y, 0, 12_000);
const t = performance.now();
const c = process.cpuUsage();
await fitMany([
	{ algorithm: "xgboost", X: sub.X, y: sub.y, options: { seed: 42 } },
	{ algorithm: "xgboost", X: train.X, y: train.y, options: { seed: 42 } },
]);
console.log(
	`fitMany: xgboost on 12,000 and on 16,000 rows in 2 workers: ${((performance.now() - t) / 1000).toFixed(2)} s wall, ${(
		(process.cpuUsage(c).user + process.cpuUsage(c).system) / 1e6
	).toFixed(2)} CPU s`,
);
