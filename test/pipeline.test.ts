/**
 * End to end through the local state machine with the real handlers, on a
 * small generated batch: train on the first run, score with the champion on
 * the next, and a failing run that leaves "latest" untouched.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	PRODUCTION_FEATURES,
	TIER_1B_STRINGS,
} from "../runtime/features/feature-sets.ts";
import { Lake } from "../runtime/io/lake.ts";
import { readParquetFile } from "../runtime/io/tables.ts";
import { LocalModelRegistry } from "../runtime/model/registry.ts";
import { executeRun } from "../runtime/pipeline/execute.ts";
import { generateBatch } from "../runtime/synth/generate.ts";

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
		expect(r.record?.stages.map((s) => s.stage)).toEqual([
			"ValidateRaw",
			"BronzeReduce",
			"Silver",
			"Gold",
			"PlanModel",
			"Train",
			"Score",
			"Recommend",
			"Drift",
			"PublishReport",
			"MarkSucceeded",
		]);
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
		});
		expect(r.ok).toBe(true);
		const drift = JSON.parse(
			await readFile(lake.docPath(r.runId, "monitoring", "drift"), "utf8"),
		);
		expect(drift.anyDrift).toBe(true);
		expect(drift.driftedFeatures).toContain("avg_monthly_elec_kwh");
		const alerts = (await readFile(join(root, "alerts.log"), "utf8"))
			.trim()
			.split("\n")
			.map((l) => JSON.parse(l));
		expect(
			alerts.some((a) => a.kind === "drift_detected" && a.runId === r.runId),
		).toBe(true);
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
