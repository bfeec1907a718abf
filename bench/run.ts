/**
 * `npm run bench`: wall time and peak RSS of each stage on the full-scale
 * batch (20,099 customers, 176.5 M hourly rows), as medians of several runs,
 * each run in a fresh process. Results are printed and saved under
 * bench/results/. Targets (2-core machine) are printed beside the figures.
 *
 *   npm run bench -- [--runs 3] [--customers 20099] [--tasks generate,bronze,gold,train,score,ladder,report]
 *
 * With `bronze`, each run is followed by the plain DuckDB aggregation of the
 * same hourly files (bench/duckdb-plain.ts, 2 threads), and the two are
 * compared as whole processes (start-up included): the raw → bronze ratio of
 * docs/performance.md, target ≤ 1.3.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { STAGE_NODE_OPTIONS } from "../runtime/pipeline/node-options.ts";
import { generateBatch } from "../runtime/synth/generate.ts";

const TARGETS: Record<
	string,
	{ seconds?: number; rssMb?: number; what: string; script?: string }
> = {
	generate: {
		what: "synthetic batch generation (hourly Parquet)",
		rssMb: 2048,
	},
	bronze: {
		what: "raw → bronze (validate, shard Map, reduce)",
		seconds: 30,
		rssMb: 2048,
	},
	gold: {
		what: "raw → gold (bronze + silver + gold)",
		seconds: 60,
		rssMb: 2048,
	},
	train: {
		what: "production training (2 XGBoost fits, calibration, evaluation, registry)",
		seconds: 12,
	},
	score: { what: "scoring every customer with the champion", seconds: 2 },
	explain: {
		what: "scoring 20 k × 56 with TreeSHAP contributions (own data, no batch)",
		seconds: 2,
		script: "bench/explain.ts",
	},
	sentiment: {
		// The bound test/nlp.test.ts used to assert: ≈ 2,100 distinct notes × ≈ 0.25 ms, with room for shared cores.
		what: "CRM note sentiment, 20,099 notes (≈ 2,100 distinct; own data, no batch)",
		seconds: 5,
		script: "bench/sentiment.ts",
	},
	report: {
		what: "report publication (export, offline Evidence build, upload)",
		seconds: 90,
	},
	ladder: {
		what: "experiment ladder E0–E8 × 4 algorithms + baselines",
		seconds: 300,
	},
};

interface Sample {
	/** The task's own time, measured inside its process. */
	seconds: number;
	/** The whole process, start-up included, seen from here. */
	processSeconds: number;
	maxRssMb: number;
	detail: unknown;
}

/** A bench script in a fresh Node process with the stages' V8 flags; its last stdout line is its JSON sample. */
function runProcess(script: string, args: string[]): Sample {
	const t0 = performance.now();
	const r = spawnSync(
		process.execPath,
		[STAGE_NODE_OPTIONS, "--import", "tsx", script, ...args],
		{ encoding: "utf8", maxBuffer: 1 << 26 },
	);
	const processSeconds = (performance.now() - t0) / 1000;
	if (r.status !== 0)
		throw new Error(`bench ${script} ${args[0]} failed:\n${r.stderr}`);
	return {
		...JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "{}"),
		processSeconds,
	};
}

const median = (xs: number[]) => {
	const s = [...xs].sort((a, b) => a - b);
	const m = Math.floor(s.length / 2);
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main() {
	const o = new Command()
		.option("--runs <n>", "runs per task", (v) => Number(v), 3)
		.option(
			"--ladder-runs <n>",
			"runs of the (long) ladder",
			(v) => Number(v),
			1,
		)
		.option("--customers <n>", "customers", (v) => Number(v), 20_099)
		.option("--seed <n>", "seed", (v) => Number(v), 42)
		.option("--shards <n>", "bronze shards", (v) => Number(v), 8)
		.option("--concurrency <n>", "shards in parallel", (v) => Number(v), 2)
		.option(
			"--tasks <list>",
			"tasks to run",
			"generate,bronze,gold,train,score,ladder,report",
		)
		.parse()
		.opts();
	const dataRoot = resolve(".tmp/bench");
	const batchId = `default-${o.customers}-s${o.seed}`;
	const batchDir = join(dataRoot, "raw", batchId);
	const needsBatch = String(o.tasks)
		.split(",")
		.some((t) => !TARGETS[t]?.script);
	if (needsBatch && !existsSync(batchDir)) {
		process.stderr.write(`bench: generating the batch once into ${batchDir}\n`);
		await generateBatch({
			customers: o.customers,
			seed: o.seed,
			outDir: batchDir,
		});
	}
	const base = {
		dataRoot,
		batchId,
		customers: o.customers,
		seed: o.seed,
		shards: o.shards,
		concurrency: o.concurrency,
		runId: "bench",
	};
	const yardstick = { plain: [] as number[], calendar: [] as number[] };
	const bronzeProcess: number[] = [];
	const results: Array<{
		task: string;
		runs: number;
		medianSeconds: number;
		minSeconds: number;
		maxSeconds: number;
		medianRssMb: number;
		detail: unknown;
	}> = [];
	const tasks = String(o.tasks).split(",");
	// train/score/ladder read the gold table of the "bench" run.
	if (
		tasks.some((t) => ["train", "score", "ladder"].includes(t)) &&
		!tasks.includes("gold")
	)
		tasks.unshift("gold");
	for (const task of tasks) {
		const n = task === "ladder" ? o.ladderRuns : o.runs;
		const samples: Sample[] = [];
		for (let i = 0; i < n; i++) {
			const sample = runProcess(TARGETS[task]?.script ?? "bench/task.ts", [
				task,
				JSON.stringify(base),
			]);
			samples.push(sample);
			process.stderr.write(
				`  ${task} run ${i + 1}/${n}: ${sample.seconds.toFixed(1)} s (process ${sample.processSeconds.toFixed(1)} s), ${sample.maxRssMb.toFixed(0)} MB\n`,
			);
			// Side by side: the yardstick right after each raw → bronze run.
			if (task === "bronze") {
				const out = join(dataRoot, ".bench-plain.parquet");
				for (const variant of ["plain", "calendar"] as const) {
					const p = runProcess("bench/duckdb-plain.ts", [
						batchDir,
						out,
						...(variant === "calendar" ? ["--calendar"] : []),
					]);
					yardstick[variant].push(p.processSeconds);
					process.stderr.write(
						`  DuckDB ${variant} aggregation: process ${p.processSeconds.toFixed(1)} s\n`,
					);
				}
				bronzeProcess.push(sample.processSeconds);
			}
		}
		const secs = samples.map((s) => s.seconds);
		results.push({
			task,
			runs: n,
			medianSeconds: median(secs),
			minSeconds: Math.min(...secs),
			maxSeconds: Math.max(...secs),
			medianRssMb: median(samples.map((s) => s.maxRssMb)),
			detail: samples.at(-1)?.detail,
		});
	}
	const machine = {
		cpus: cpus().length,
		cpuModel: cpus()[0]?.model,
		memGb: Math.round(totalmem() / 2 ** 30),
		node: process.version,
	};
	const lines = [
		`Benchmark — ${o.customers} customers, ${machine.cpus} cores (${machine.cpuModel}), ${machine.memGb} GB, Node ${machine.node}`,
		"task       runs  median s  (min–max)        target s  peak RSS MB  target MB",
		...results.map((r) => {
			const t = TARGETS[r.task];
			return (
				`${r.task.padEnd(10)} ${String(r.runs).padStart(4)}  ${r.medianSeconds.toFixed(1).padStart(8)}  (${r.minSeconds.toFixed(1)}–${r.maxSeconds.toFixed(1)})`.padEnd(
					52,
				) +
				`${t?.seconds ? String(t.seconds).padStart(8) : "       -"}  ${r.medianRssMb.toFixed(0).padStart(11)}  ${t?.rssMb ? String(t.rssMb).padStart(9) : "        -"}`
			);
		}),
	];
	if (bronzeProcess.length > 0) {
		const b = median(bronzeProcess);
		const [plain, calendar] = [
			median(yardstick.plain),
			median(yardstick.calendar),
		];
		lines.push(
			`raw → bronze as a whole process ${b.toFixed(1)} s; plain DuckDB aggregation of the same hourly files (2 threads) ${plain.toFixed(1)} s → ratio ${(b / plain).toFixed(2)} (target ≤ 1.3); with the tariff period looked up in an hours table ${calendar.toFixed(1)} s → ratio ${(b / calendar).toFixed(2)}`,
		);
		Object.assign(results.find((r) => r.task === "bronze") ?? {}, {
			processSeconds: b,
			yardstick: { plainSeconds: plain, calendarSeconds: calendar },
		});
	}
	process.stdout.write(`\n${lines.join("\n")}\n`);
	await mkdir("bench/results", { recursive: true });
	const stamp = new Date().toISOString().replace(/[:.]/g, "-");
	await writeFile(
		`bench/results/bench-${stamp}.json`,
		`${JSON.stringify({ machine, options: o, results }, null, 2)}\n`,
	);
}

main().catch((e) => {
	process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
	process.exit(1);
});
