/**
 * End to end through the local state machine with the real handlers, on a
 * small generated batch: train on the first run, score with the champion on
 * the next, and a failing run that leaves "latest" untouched.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatSummary } from "../runtime/commands/run.ts";
import { writeBatchManifest } from "../runtime/data/raw/batch-manifest.ts";
import {
	PRODUCTION_FEATURES,
	TIER_1B_STRINGS,
} from "../runtime/features/feature-sets.ts";
import { Lake } from "../runtime/io/lake.ts";
import { readParquetFile } from "../runtime/io/tables.ts";
import { LocalModelRegistry } from "../runtime/model/registry.ts";
import { executeRun } from "../runtime/pipeline/execute.ts";
import { ProgressDisplay } from "../runtime/pipeline/progress.ts";
import { generateBatch } from "../runtime/synth/generate.ts";
import { inListOrder, TRAINING_RUN_STAGES } from "./support/stage-order.ts";

const CUSTOMERS = 600;
let root: string;
let lake: Lake;

beforeAll(async () => {
	root = await mkdtemp(join(tmpdir(), "sg-pipeline-"));
	lake = new Lake(root);
	await generateBatch({
		customers: CUSTOMERS,
		seed: 11,
		outDir: lake.rawDir("b1"),
		partCustomers: 100,
	});
});
afterAll(async () => {
	await rm(root, { recursive: true, force: true });
});

describe("local pipeline run", () => {
	let firstRunId = "";

	it("trains on the first run and writes every layer under the run id", async () => {
		// Small data: gate 0 so the first model becomes champion whatever its PR-AUC.
		const r = await executeRun({
			dataRoot: root,
			batchId: "b1",
			shardCount: 4,
			gate: 0,
		});
		expect(r.ok, JSON.stringify(r.record?.history)).toBe(true);
		firstRunId = r.runId;
		expect(r.record?.status).toBe("succeeded");
		// Train and the ladder run side by side (either may finish first), both before Score.
		const stages = r.record?.stages.map((s) => s.stage) ?? [];
		expect(inListOrder(stages)).toEqual(TRAINING_RUN_STAGES);
		expect(stages.indexOf("Score")).toBeGreaterThan(
			Math.max(stages.indexOf("Train"), stages.indexOf("Ladder")),
		);
		// The ladder's rungs are in the lake for the report: every experiment × algorithm and the baselines.
		const ladder = await readParquetFile(
			lake.tablePath(r.runId, "models", "experiments"),
		);
		const ladderRecord = r.record?.stages.find((s) => s.stage === "Ladder");
		expect(ladder.numRows()).toBe(ladderRecord?.rows?.experiments);
		expect(ladder.numRows()).toBeGreaterThanOrEqual(9 * 4);
		expect(
			new Set(Array.from(ladder.array("experiment") as ArrayLike<string>)).size,
		).toBeGreaterThanOrEqual(9);
		const gold = await readParquetFile(
			lake.tablePath(r.runId, "gold", "gold_customer"),
		);
		expect(gold.numRows()).toBe(CUSTOMERS);
		for (const f of [
			...PRODUCTION_FEATURES,
			...TIER_1B_STRINGS,
			"avg_monthly_margin",
			"total_margin_2024",
		])
			expect(gold.columnNames()).toContain(f);
		const month = await readParquetFile(
			lake.tablePath(r.runId, "bronze", "bronze_customer_month"),
		);
		expect(month.numRows()).toBe(CUSTOMERS * 12);
		const scores = await readParquetFile(
			lake.tablePath(r.runId, "scored", "scores"),
		);
		expect(scores.numRows()).toBe(CUSTOMERS);
		const recs = await readParquetFile(
			lake.tablePath(r.runId, "scored", "recommendations"),
		);
		expect(recs.numRows()).toBe(CUSTOMERS);
		for (const t of [
			"bronze_customer",
			"bronze_customer_month",
			"silver_customer",
			"silver_customer_month",
			"gold_customer",
		]) {
			const q = JSON.parse(
				await readFile(lake.docPath(r.runId, "quality", t), "utf8"),
			);
			expect(q.passed, t).toBe(true);
		}
		expect((await lake.latest())?.runId).toBe(r.runId);
		expect((await new LocalModelRegistry(root).champion())?.runId).toBe(
			r.runId,
		);
		// The run-history record carries what the pipeline-status page needs.
		const summary = r.record?.summary as {
			rows: Record<string, number>;
			quality: Record<string, unknown>;
			gate: unknown;
			faults: Record<string, number>;
			drift: unknown;
		};
		expect(summary.rows).toMatchObject({
			gold_customer: CUSTOMERS,
			bronze_customer_month: CUSTOMERS * 12,
		});
		expect(Object.keys(summary.quality).sort()).toEqual([
			"bronze_customer",
			"bronze_customer_month",
			"gold_customer",
			"silver_customer",
			"silver_customer_month",
		]);
		expect(summary.gate).toMatchObject({ version: "v0001", passed: true });
		expect(summary.faults.negative_elec_readings_clamped).toBeGreaterThan(0);
		expect(summary.drift).toMatchObject({ referenceWritten: "v0001" });
		// One EMF metrics document per stage execution (shards included).
		const emf = (
			await readFile(join(lake.runDir(r.runId), "metrics.jsonl"), "utf8")
		)
			.trim()
			.split("\n")
			.map((l) => JSON.parse(l) as { Stage: string; DurationSeconds: number });
		expect(emf.filter((d) => d.Stage === "BronzeShard")).toHaveLength(4);
		expect(emf.map((d) => d.Stage)).toEqual(
			expect.arrayContaining(["ValidateRaw", "Train", "Drift"]),
		);
	});

	it("scores with the champion on the next run without training", async () => {
		const r = await executeRun({
			dataRoot: root,
			batchId: "b1",
			shardCount: 2,
		});
		expect(r.ok).toBe(true);
		const stages = r.record?.stages.map((s) => s.stage) ?? [];
		expect(stages).not.toContain("Train");
		expect(stages).toContain("Score");
		expect(await new LocalModelRegistry(root).list()).toHaveLength(1);
		expect((await lake.latest())?.runId).toBe(r.runId);
		expect(r.runId).not.toBe(firstRunId);
		// Same batch as the champion's training population: nothing drifts.
		const drift = JSON.parse(
			await readFile(lake.docPath(r.runId, "monitoring", "drift"), "utf8"),
		);
		expect(drift.anyDrift).toBe(false);
		expect(drift.features.length).toBeGreaterThan(40);
	});

	it("raises the drift alert on a drifted batch", async () => {
		await generateBatch({
			customers: CUSTOMERS,
			seed: 11,
			outDir: lake.rawDir("drifted"),
			partCustomers: 100,
			drift: 1,
		});
		const r = await executeRun({
			dataRoot: root,
			batchId: "drifted",
			shardCount: 2,
			// A stricter significance level than the default, carried to the Drift stage.
			drift: { alpha: 0.001 },
		});
		expect(r.ok).toBe(true);
		const drift = JSON.parse(
			await readFile(lake.docPath(r.runId, "monitoring", "drift"), "utf8"),
		);
		expect(drift.thresholds).toEqual({
			alpha: 0.001,
			wasserstein: 0.1,
			jensenShannon: 0.1,
		});
		expect(drift.anyDrift).toBe(true);
		expect(drift.driftedFeatures).toContain("avg_monthly_elec_kwh");
		const alerts = (await readFile(join(root, "alerts.log"), "utf8"))
			.trim()
			.split("\n")
			.map((l) => JSON.parse(l));
		expect(
			alerts.some((a) => a.kind === "drift_detected" && a.runId === r.runId),
		).toBe(true);
		// The drifted batch carries labels and was scored by the champion: its
		// realized performance is measured and stored (docs/realized-performance.md).
		const score = r.record?.stages.find((s) => s.stage === "Score")?.detail as
			| { realized?: { customers: number; belowGate: boolean } | null }
			| undefined;
		expect(score?.realized?.customers).toBe(CUSTOMERS);
		const realized = JSON.parse(
			await readFile(
				lake.docPath(r.runId, "monitoring", "realized_performance"),
				"utf8",
			),
		);
		expect(realized.customers).toBe(CUSTOMERS);
		expect(realized.prAuc).toBeGreaterThan(0);
		expect(
			alerts.some(
				(a) => a.kind === "realized_below_gate" && a.runId === r.runId,
			),
		).toBe(realized.belowGate);
	});

	it("fails a corrupted batch with the file, row and column, and leaves latest untouched", async () => {
		const before = await lake.latest();
		await cp(lake.rawDir("b1"), lake.rawDir("bad"), { recursive: true });
		const path = join(lake.rawDir("bad"), "customer_attributes.csv");
		const lines = (await readFile(path, "utf8")).split("\n");
		const header = lines[0].split(",");
		const col = header.indexOf("contracted_power_kw");
		const cells = lines[5].split(",");
		cells[col] = "lots";
		lines[5] = cells.join(",");
		await writeFile(path, lines.join("\n"));
		// An edited extract gets a new manifest, as the uploader writes one (docs/batch-manifest.md).
		await writeBatchManifest(dirname(path));

		const r = await executeRun({ dataRoot: root, batchId: "bad" });
		expect(r.ok).toBe(false);
		expect(r.record?.status).toBe("failed");
		const error = r.record?.history.at(-1)?.error;
		expect(error?.name).toBe("RawContractError");
		expect(error?.message).toContain("customer_attributes.csv");
		expect(error?.message).toContain("row 5");
		expect(error?.message).toContain("contracted_power_kw");
		expect(await lake.latest()).toEqual(before);
		const alerts = (await readFile(join(root, "alerts.log"), "utf8"))
			.trim()
			.split("\n")
			.map((l) => JSON.parse(l));
		expect(alerts.at(-1)).toMatchObject({ kind: "run_failed", batchId: "bad" });
	});

	it("a run failing at a later stage reads true: one line per stage outcome, every stage in the summary, run_report.json", async () => {
		// 5 % of the contracts lack next_renewal_date: over the 1 % tolerated,
		// so BronzeReduce stops after ValidateRaw and the shards succeeded.
		await cp(lake.rawDir("b1"), lake.rawDir("no-renewal"), { recursive: true });
		const path = join(lake.rawDir("no-renewal"), "customer_contracts.csv");
		const lines = (await readFile(path, "utf8")).split("\n");
		const col = lines[0].split(",").indexOf("next_renewal_date");
		for (let i = 1; i <= 30; i++) {
			const cells = lines[i * 20].split(",");
			cells[col] = "";
			lines[i * 20] = cells.join(",");
		}
		await writeFile(path, lines.join("\n"));
		// An edited extract gets a new manifest, as the uploader writes one (docs/batch-manifest.md).
		await writeBatchManifest(dirname(path));

		const printed: string[] = [];
		const out = {
			isTTY: false,
			write: (t: string) => printed.push(t),
		} as unknown as NodeJS.WriteStream;
		const progress = new ProgressDisplay(out);
		const r = await executeRun({
			dataRoot: root,
			batchId: "no-renewal",
			shardCount: 2,
			onEvent: progress.onEvent,
		});
		expect(r.ok).toBe(false);

		// Live display: exactly one outcome line per stage, the failure as ✘ only.
		const outcomes = printed
			.map((l) => /\] ([✔✘]) (\w+)/.exec(l))
			.filter((m) => m !== null)
			.map((m) => `${m[1]} ${m[2]}`);
		expect(outcomes).toEqual([
			"✔ ValidateRaw",
			"✔ BronzeShards",
			"✘ BronzeReduce",
			"✔ MarkFailed",
		]);
		expect(printed.find((l) => l.includes("✘ BronzeReduce"))).toMatch(
			/✘ BronzeReduce \(\d+\.\d s\): DataQualityError: data-quality gate failed:/,
		);

		// The manifest records the failed stage with its time, rows and faults.
		const failed = r.record?.stages.find((s) => s.stage === "BronzeReduce");
		expect(r.record?.stages.map((s) => [s.stage, s.outcome])).toEqual([
			["ValidateRaw", "succeeded"],
			["BronzeReduce", "failed"],
			["MarkFailed", "succeeded"],
		]);
		expect(failed?.seconds).toBeGreaterThan(0);
		expect(failed?.rows?.bronze_customer).toBe(CUSTOMERS);
		expect(failed?.faults?.negative_elec_readings_clamped).toBeGreaterThan(0);
		expect(failed?.error?.name).toBe("DataQualityError");

		// The summary lists every stage that ran, the faults, and the error.
		const summary = formatSummary(r.record, 1, lake, progress);
		const table = summary
			.split("\n")
			.filter((l) => /^\w+ +\d+\.\d {2}/.test(l));
		expect(
			table.map((l) => l.split(/ +/).slice(0, 1).concat(l.split(/ +/)[2])),
		).toEqual([
			["ValidateRaw", "ok"],
			["BronzeShards", "ok"],
			["BronzeReduce", "FAILED"],
			["MarkFailed", "ok"],
		]);
		expect(summary).toMatch(/BronzeReduce .*bronze_customer=600/);
		expect(summary).toMatch(/negative_elec_readings_clamped +\d/);
		expect(summary).toContain(
			"bronze_customer.next_renewal_date [null_rate] null rate 5.00% (30 of 600) exceeds 1.00% (maxInvalidShare)",
		);
		expect(summary).toContain("report: run_report.json");

		// run_report.json exists for the failed run: status, error, stages.
		const report = JSON.parse(
			await readFile(join(lake.runDir(r.runId), "run_report.json"), "utf8"),
		);
		expect(report).toMatchObject({
			status: "failed",
			runId: r.runId,
			failedStage: "BronzeReduce",
			error: { name: "DataQualityError" },
			// Both bronze tables are checked before the stage stops: all violations at once.
			quality: {
				bronze_customer: { passed: false },
				bronze_customer_month: { passed: true },
			},
		});
		expect(report.stages.map((s: { stage: string }) => s.stage)).toEqual([
			"ValidateRaw",
			"BronzeReduce",
		]);
		expect(report.faults.negative_elec_readings_clamped).toBeGreaterThan(0);
	});

	it("carries the quality tolerance of the execution input to the contracts", async () => {
		const r = await executeRun({
			dataRoot: root,
			batchId: "no-renewal",
			shardCount: 2,
			quality: { maxInvalidShare: 0.06 },
			// Stop right after bronze: only its gate is under test.
			handlers: {
				Silver: async () => {
					throw new Error("stop after bronze");
				},
			},
		});
		expect(
			r.record?.stages.find((s) => s.stage === "BronzeReduce"),
		).toMatchObject({ outcome: "succeeded" });
		const q = JSON.parse(
			await readFile(
				lake.docPath(r.runId, "quality", "bronze_customer"),
				"utf8",
			),
		);
		expect(q.passed).toBe(true);
	});

	it("marks a run failed when a stage throws mid-run, keeps latest, and a re-run succeeds", async () => {
		const before = await lake.latest();
		const r = await executeRun({
			dataRoot: root,
			batchId: "b1",
			shardCount: 2,
			handlers: {
				Gold: async () => {
					throw new Error("disk on fire");
				},
			},
		});
		expect(r.ok).toBe(false);
		expect(r.record?.status).toBe("failed");
		expect(r.record?.history.at(-1)?.error).toMatchObject({
			name: "Error",
			message: expect.stringContaining("disk on fire"),
		});
		expect(r.record?.stages.map((s) => s.stage)).toContain("Silver");
		expect(await lake.latest()).toEqual(before);
		const again = await executeRun({
			dataRoot: root,
			batchId: "b1",
			shardCount: 2,
		});
		expect(again.ok).toBe(true);
		expect((await lake.latest())?.runId).toBe(again.runId);
	});
});
