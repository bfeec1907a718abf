/**
 * The scale series (`npm run bench:scale`): the pipeline at several batch
 * sizes, every stage in its own process (as one Lambda or container task runs
 * it), with wall time and peak RSS per stage as medians of several runs, the
 * growth of each stage's cost with customers, and two checks:
 *
 * - bronze_customer_month equals an independent DuckDB aggregation of the
 *   same hourly files, row for row (test/support/bronze-reference.ts);
 * - raw → bronze against that plain DuckDB aggregation run as one process
 *   with 2 threads (the yardstick of docs/performance.md).
 *
 * Batches are generated once under .tmp/bench/raw/ and reused.
 *
 *   npm run bench:scale -- [--sizes 20099,100000,200000] [--runs 3] [--shards 8]
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { Lake } from "../runtime/io/lake.ts";
import { LocalRunManifest } from "../runtime/io/manifest.ts";
import type {
	RunState,
	ShardOutput,
	ValidateOutput,
} from "../runtime/pipeline/handlers.ts";
import { STAGE_NODE_OPTIONS } from "../runtime/pipeline/node-options.ts";
import { generateBatch } from "../runtime/synth/generate.ts";
import { mapPool } from "../runtime/util/pool.ts";
import { compareWithReference } from "../test/support/bronze-reference.ts";

/** Stages after the Map, in state-machine order, with the state key each result goes to. */
const SINGLE_STAGES = [
	["BronzeReduce", "bronze"],
	["Silver", "silver"],
	["Gold", "gold"],
	["PlanModel", "plan"],
	["Train", "train"],
	["Score", "score"],
	["Recommend", "recommend"],
	["Drift", "drift"],
] as const;
const RAW_TO_GOLD = [
	"ValidateRaw",
	"BronzeShards",
	"BronzeReduce",
	"Silver",
	"Gold",
];
const RAW_TO_BRONZE = ["ValidateRaw", "BronzeShards", "BronzeReduce"];

interface Sample {
	/** The handler's own time (what a Lambda or task bills). */
	seconds: number;
	maxRssMb: number;
	/** Wall time of the whole process, start-up included (for the DuckDB yardstick). */
	wall?: number;
}

const median = (xs: number[]) => {
	const s = [...xs].sort((a, b) => a - b);
	const m = Math.floor(s.length / 2);
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Run a script in a fresh Node process; resolve with its last stdout line (JSON) and the wall time seen from here. */
function child(
	script: string,
	args: string[],
): Promise<Sample & { wall: number }> {
	return new Promise((ok, fail) => {
		const t0 = performance.now();
		const p = spawn(
			process.execPath,
			[STAGE_NODE_OPTIONS, "--import", "tsx", script, ...args],
			{
				stdio: ["ignore", "pipe", "pipe"],
			},
		);
		let out = "";
		let err = "";
		p.stdout.on("data", (d) => {
			out += d;
		});
		p.stderr.on("data", (d) => {
			err = (err + d).slice(-20_000);
		});
		p.on("close", (code) => {
			if (code !== 0)
				return fail(
					new Error(`${script} ${args[0]} failed (${code}):\n${err}`),
				);
			const last = out.trim().split("\n").at(-1) ?? "{}";
			ok({ ...JSON.parse(last), wall: (performance.now() - t0) / 1000 });
		});
	});
}

/** One pipeline run, stage by stage in child processes; per-stage samples. */
async function runOnce(
	dataRoot: string,
	batchId: string,
	runId: string,
	o: { shards: number; concurrency: number; seed: number },
): Promise<Record<string, Sample>> {
	const io = join(dataRoot, ".bench-io", runId);
	await mkdir(io, { recursive: true });
	await new LocalRunManifest(dataRoot).start(batchId, runId, { force: true });
	const state: RunState & Record<string, unknown> = {
		runId,
		batchId,
		dataRoot,
		mode: "train",
		shardCount: o.shards,
		gate: 0,
		seed: o.seed,
	};
	const stages: Record<string, Sample> = {};
	const call = async (stage: string, input: unknown, tag = stage) => {
		const inFile = join(io, `${tag}.in.json`);
		const outFile = join(io, `${tag}.out.json`);
		await writeFile(inFile, JSON.stringify(input));
		const r = await child("bench/stage-task.ts", [stage, inFile, outFile]);
		// Each stage's figures as they come, so a failing stage leaves the rest.
		if (!tag.startsWith("BronzeShard-"))
			process.stderr.write(
				`    ${runId} ${stage}: ${r.seconds.toFixed(1)} s, ${r.maxRssMb.toFixed(0)} MB\n`,
			);
		return { sample: r, output: JSON.parse(await readFile(outFile, "utf8")) };
	};

	const v = await call("ValidateRaw", state);
	stages.ValidateRaw = v.sample;
	state.raw = v.output as ValidateOutput;

	// The Map: `concurrency` shard processes at a time; its wall time and the largest shard's RSS.
	const shards = state.raw.shards;
	let rss = 0;
	let busy = 0;
	const t0 = performance.now();
	const outputs = await mapPool(
		shards,
		async (shard, i) => {
			const r = await call(
				"BronzeShard",
				{ runId, dataRoot, shard, index: i },
				`BronzeShard-${i}`,
			);
			rss = Math.max(rss, r.sample.maxRssMb);
			busy += r.sample.seconds;
			return r.output as ShardOutput;
		},
		{ concurrency: o.concurrency },
	);
	// The Map's time with `concurrency` workers, start-ups excluded: its
	// iterations' handler time spread over the workers (the wall time is the
	// bound when one shard dominates).
	const wall = (performance.now() - t0) / 1000;
	process.stderr.write(
		`    ${runId} BronzeShards: ${((performance.now() - t0) / 1000).toFixed(1)} s wall, largest shard ${rss.toFixed(0)} MB\n`,
	);
	stages.BronzeShards = {
		seconds: Math.min(wall, busy / Math.min(o.concurrency, shards.length)),
		maxRssMb: rss,
		wall,
	};
	state.bronzeShards = outputs;

	for (const [stage, key] of SINGLE_STAGES) {
		const r = await call(stage, state);
		stages[stage] = r.sample;
		state[key] = r.output;
	}
	await rm(io, { recursive: true, force: true });
	return stages;
}

/** Least-squares slope of log(seconds) on log(customers): 1 is linear. */
function growthExponent(points: Array<[number, number]>): number {
	const xs = points.map(([c]) => Math.log(c));
	const ys = points.map(([, s]) => Math.log(Math.max(s, 1e-3)));
	const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
	const my = ys.reduce((a, b) => a + b, 0) / ys.length;
	const num = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0);
	const den = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
	return den === 0 ? Number.NaN : num / den;
}

async function main() {
	const o = new Command()
		.option("--sizes <list>", "customers per batch", "20099,100000,200000")
		.option("--runs <n>", "runs per size", (v) => Number(v), 3)
		.option("--seed <n>", "seed", (v) => Number(v), 42)
		.option("--shards <n>", "bronze shards", (v) => Number(v), 8)
		.option("--concurrency <n>", "shards in parallel", (v) => Number(v), 2)
		.option("--no-verify", "skip the bronze equality check")
		.option("--no-yardstick", "skip the plain DuckDB aggregation")
		.parse()
		.opts();
	const sizes = String(o.sizes).split(",").map(Number);
	const session = new Date()
		.toISOString()
		.replace(/[-:.TZ]/g, "")
		.slice(0, 14);
	const dataRoot = resolve(".tmp/bench-scale");
	const lake = new Lake(dataRoot);
	const series: Array<{
		customers: number;
		stages: Record<
			string,
			{ medianSeconds: number; medianRssMb: number; runs: number[] }
		>;
		rawToGoldSeconds: number;
		peakRssMb: number;
		bronzeCheck?: unknown;
		duckdbPlainSeconds?: number;
		rawToBronzeSeconds: number;
		rawToBronzeWallSeconds: number;
	}> = [];
	for (const customers of sizes) {
		const batchId = `default-${customers}-s${o.seed}`;
		const batchDir = lake.rawDir(batchId);
		if (!existsSync(join(batchDir, "churn_label.csv"))) {
			process.stderr.write(
				`bench:scale: generating ${customers} customers into ${batchDir}\n`,
			);
			await generateBatch({ customers, seed: o.seed, outDir: batchDir });
		}
		const runs: Array<Record<string, Sample>> = [];
		for (let r = 0; r < o.runs; r++) {
			// A fresh run id each time: a run registers one model version and a
			// re-run with the same id reuses it instead of training (docs/models.md).
			const runId = `scale-${customers}-${r + 1}-${session}`;
			const stages = await runOnce(dataRoot, batchId, runId, {
				shards: o.shards,
				concurrency: o.concurrency,
				seed: o.seed,
			});
			runs.push(stages);
			const sum = (names: string[]) =>
				names.reduce((a, n) => a + stages[n].seconds, 0);
			process.stderr.write(
				`  ${customers} run ${r + 1}/${o.runs}: raw→gold ${sum(RAW_TO_GOLD).toFixed(1)} s, peak ${Math.max(...Object.values(stages).map((s) => s.maxRssMb)).toFixed(0)} MB\n`,
			);
		}
		const names = Object.keys(runs[0]);
		const stages = Object.fromEntries(
			names.map((n) => [
				n,
				{
					medianSeconds: median(runs.map((s) => s[n].seconds)),
					medianRssMb: median(runs.map((s) => s[n].maxRssMb)),
					runs: runs.map((s) => s[n].seconds),
				},
			]),
		);
		const medianOf = (list: string[], wall = false) =>
			median(
				runs.map((s) =>
					list.reduce(
						(a, n) => a + ((wall ? s[n].wall : s[n].seconds) ?? 0),
						0,
					),
				),
			);
		const entry: (typeof series)[number] = {
			customers,
			stages,
			rawToGoldSeconds: medianOf(RAW_TO_GOLD),
			rawToBronzeSeconds: medianOf(RAW_TO_BRONZE),
			rawToBronzeWallSeconds: medianOf(RAW_TO_BRONZE, true),
			peakRssMb: Math.max(...names.map((n) => stages[n].medianRssMb)),
		};
		// The plain DuckDB yardstick, as many times as the pipeline ran.
		const plain: number[] = [];
		for (let r = 0; o.yardstick && r < o.runs; r++) {
			const out = join(dataRoot, ".bench-io", `plain-${customers}.parquet`);
			plain.push((await child("bench/duckdb-plain.ts", [batchDir, out])).wall);
			await rm(out, { force: true });
		}
		if (plain.length > 0) entry.duckdbPlainSeconds = median(plain);
		if (o.verify) {
			const partsDir = join(batchDir, "consumption_hourly_2024");
			const parts = (await readdir(partsDir))
				.filter((f) => f.endsWith(".parquet"))
				.map((f) => join(partsDir, f));
			const runId = `scale-${customers}-1-${session}`;
			// The reference groups every hourly row by customer and hour: one
			// bucket of customers per 25 k, with half the machine's memory.
			entry.bronzeCheck = await compareWithReference(
				lake.tablePath(runId, "bronze", "bronze_customer_month"),
				parts,
				join(batchDir, "churn_label.csv"),
				{
					memoryLimit: `${Math.max(4, Math.floor(totalmem() / 2 ** 31))}GB`,
					buckets: Math.ceil(customers / 25_000),
				},
			);
		}
		series.push(entry);
	}

	const machine = {
		cpus: cpus().length,
		cpuModel: cpus()[0]?.model,
		memGb: Math.round(totalmem() / 2 ** 30),
		node: process.version,
	};
	const stageNames = Object.keys(series[0].stages);
	const lines = [
		`Scale series — ${machine.cpus} cores (${machine.cpuModel}), ${machine.memGb} GB, Node ${machine.node}; medians of ${o.runs} runs, each stage its own process`,
		`${"stage".padEnd(14)}${series.map((s) => `${String(s.customers).padStart(9)} s  MB `).join("")} growth  MB/1k cust.`,
		...stageNames.map((n) => {
			const pts = series.map(
				(s) => [s.customers, s.stages[n].medianSeconds] as [number, number],
			);
			const last = series.at(-1);
			const first = series[0];
			const mbPerK =
				last && last !== first
					? ((last.stages[n].medianRssMb - first.stages[n].medianRssMb) /
							(last.customers - first.customers)) *
						1000
					: Number.NaN;
			return `${n.padEnd(14)}${series
				.map(
					(s) =>
						`${s.stages[n].medianSeconds.toFixed(1).padStart(9)}  ${s.stages[n].medianRssMb.toFixed(0).padStart(5)}`,
				)
				.join(
					"",
				)}  ${growthExponent(pts).toFixed(2).padStart(5)}  ${mbPerK.toFixed(1).padStart(6)}`;
		}),
		...series.map(
			(s) =>
				`${s.customers} customers: raw→gold ${s.rawToGoldSeconds.toFixed(1)} s, peak RSS ${s.peakRssMb.toFixed(0)} MB; raw→bronze ${s.rawToBronzeSeconds.toFixed(1)} s (as processes ${s.rawToBronzeWallSeconds.toFixed(1)} s) vs plain DuckDB ${s.duckdbPlainSeconds?.toFixed(1)} s, ratio ${(s.rawToBronzeWallSeconds / (s.duckdbPlainSeconds ?? Number.NaN)).toFixed(2)}` +
				(s.bronzeCheck
					? `; bronze vs reference: ${(s.bronzeCheck as { mismatchedRows: number }).mismatchedRows} mismatched rows of ${(s.bronzeCheck as { referenceRows: number }).referenceRows}`
					: ""),
		),
		"growth: least-squares slope of log(seconds) on log(customers) (1 = linear). Targets at 100 k: raw→gold ≤ 150 s, peak RSS ≤ 4,096 MB; at 200 k: peak RSS ≤ 8,192 MB.",
	];
	process.stdout.write(`\n${lines.join("\n")}\n`);
	await mkdir("bench/results", { recursive: true });
	const stamp = new Date().toISOString().replace(/[:.]/g, "-");
	await writeFile(
		`bench/results/scale-${stamp}.json`,
		`${JSON.stringify({ machine, options: o, series }, null, 2)}\n`,
	);
}

main().catch((e) => {
	process.stderr.write(
		`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
	);
	process.exit(1);
});
