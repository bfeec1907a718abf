/**
 * One benchmark measurement in its own process (so peak RSS is the task's
 * own): prints a JSON line { seconds, maxRssMb, detail }.
 * Usage: tsx bench/task.ts <generate|bronze|gold|train|ladder|score|report> '<json options>'
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { RUN_DEFAULTS } from "../runtime/contract.ts";
import { Lake, readLatest } from "../runtime/io/lake.ts";
import { LocalRunManifest } from "../runtime/io/manifest.ts";
import { LocalObjectStore } from "../runtime/io/object-store.ts";
import { readParquetFile } from "../runtime/io/tables.ts";
import { runExperiments } from "../runtime/model/experiments.ts";
import { LocalModelRegistry } from "../runtime/model/registry.ts";
import { trainAndRegister } from "../runtime/model/train.ts";
import { executeRun } from "../runtime/pipeline/execute.ts";
import { createHandlers, type RunState } from "../runtime/pipeline/handlers.ts";
import { localPlatform } from "../runtime/pipeline/platform.ts";
import { publishReport } from "../runtime/report/publish.ts";
import { loadChampion } from "../runtime/scoring/champion.ts";
import { scoreCustomers } from "../runtime/scoring/score.ts";
import { generateBatch } from "../runtime/synth/generate.ts";
import { mapPool } from "../runtime/util/pool.ts";

interface Opts {
	dataRoot: string;
	batchId: string;
	customers: number;
	seed: number;
	shards: number;
	concurrency: number;
	runId: string;
}

type H = (input: unknown) => Promise<unknown>;

/** Raw → bronze (and on to gold): the stage handlers in state-machine order, shards `concurrency` at a time. */
async function medallion(
	o: Opts,
	untilGold: boolean,
): Promise<Record<string, unknown>> {
	const lake = new Lake(o.dataRoot);
	await new LocalRunManifest(lake.root).start(o.batchId, o.runId, {
		force: true,
	});
	const h = createHandlers() as unknown as Record<string, H>;
	const state: RunState = {
		runId: o.runId,
		batchId: o.batchId,
		dataRoot: lake.root,
		mode: "auto",
		shardCount: o.shards,
		gate: RUN_DEFAULTS.gate,
		seed: o.seed,
	};
	state.raw = (await h.ValidateRaw(state)) as RunState["raw"];
	const shards = state.raw?.shards ?? [];
	const out = await mapPool(
		shards,
		(shard, index) =>
			h.BronzeShard({ runId: o.runId, dataRoot: lake.root, shard, index }),
		{ concurrency: o.concurrency },
	);
	state.bronzeShards = out as RunState["bronzeShards"];
	state.bronze = (await h.BronzeReduce(state)) as RunState["bronze"];
	if (!untilGold) return { rows: state.bronze?.rows };
	await h.Silver(state);
	const gold = (await h.Gold(state)) as { rows: Record<string, number> };
	return { rows: { ...state.bronze?.rows, ...gold.rows } };
}

async function main() {
	const [task, json] = process.argv.slice(2);
	const o = JSON.parse(json) as Opts;
	const lake = new Lake(o.dataRoot);
	const goldPath = () => lake.tablePath(o.runId, "gold", "gold_customer");
	let t0 = performance.now();
	let detail: unknown;
	switch (task) {
		case "generate": {
			const outDir = lake.rawDir(`${o.batchId}-bench`);
			detail = await generateBatch({
				customers: o.customers,
				seed: o.seed,
				outDir,
			});
			await rm(outDir, { recursive: true, force: true });
			break;
		}
		case "bronze":
			detail = await medallion(o, false);
			break;
		case "gold":
			detail = await medallion(o, true);
			break;
		case "train": {
			const gold = await readParquetFile(goldPath());
			// A run registers one version and a re-run reuses it (docs/models.md):
			// each measurement trains under a run id of its own.
			const registry = new LocalModelRegistry(lake.root);
			const r = await trainAndRegister(gold, {
				runId: `${o.runId}-train-${Date.now()}`,
				registry,
				seed: o.seed,
			});
			// As MarkSucceeded would: the score task needs a champion.
			if (r.version.status === "approved")
				await registry.promote(r.version.version);
			detail = { prAuc: r.evaluation.metrics.pr_auc, timings: r.timings };
			break;
		}
		case "ladder": {
			const gold = await readParquetFile(goldPath());
			const rows = await runExperiments(gold, { seed: o.seed });
			detail = { fits: rows.length };
			break;
		}
		case "score": {
			const gold = await readParquetFile(goldPath());
			const champion = await loadChampion(new LocalModelRegistry(lake.root));
			if (!champion) throw new Error("no champion: run the train task first");
			const t = performance.now();
			const scored = scoreCustomers(gold, champion.artifact, champion.model, {
				modelVersion: champion.version.version,
			});
			detail = {
				customers: scored.numRows(),
				scoringSeconds: (performance.now() - t) / 1000,
			};
			break;
		}
		case "report": {
			// The report of a complete run: one pipeline run (without its report)
			// is made once and reused; only the publication is timed.
			const store = new LocalObjectStore(lake.root);
			let runId = (await readLatest(store))?.runId;
			if (!runId) {
				const r = await executeRun({
					dataRoot: lake.root,
					batchId: o.batchId,
					shardCount: o.shards,
					concurrency: o.concurrency,
					seed: o.seed,
				});
				if (!r.ok) throw new Error(`bench: the run for the report failed`);
				runId = r.runId;
			}
			const p = localPlatform(lake.root);
			t0 = performance.now();
			const r = await publishReport({
				store: p.store,
				manifest: p.manifest,
				registry: p.registry,
				runId,
				scratchDir: join(lake.root, ".scratch"),
				siteStore: store,
			});
			// Peak RSS is this process's: the Evidence build's own child processes
			// (≈ 3 GB at full scale, read with /usr/bin/time) are not in it.
			detail = {
				buildSeconds: r.buildSeconds,
				files: r.files,
				siteMb: r.bytes / 2 ** 20,
			};
			break;
		}
		default:
			throw new Error(`unknown task ${task}`);
	}
	const seconds = (performance.now() - t0) / 1000;
	const maxRssMb = process.resourceUsage().maxRSS / 1024;
	process.stdout.write(`${JSON.stringify({ seconds, maxRssMb, detail })}\n`);
}

main().catch((e) => {
	process.stderr.write(
		`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
	);
	process.exit(1);
});
