/**
 * The bronze stages end to end through their modules (ValidateRaw, one
 * BronzeShard per shard, BronzeReduce) on the local platform, on the tiny
 * hand-made batch whose bronze outputs test/bronze-tables.test.ts computes
 * by hand. Replaces the second, stand-alone bronze path (run-bronze.ts).
 */
import { access, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataQualityError } from "../runtime/errors.ts";
import { Lake } from "../runtime/io/lake.ts";
import { readParquetFile } from "../runtime/io/tables.ts";
import { type RunState, stageHandler } from "../runtime/pipeline/handlers.ts";
import { localPlatform } from "../runtime/pipeline/platform.ts";
import { BronzeReduce } from "../runtime/pipeline/stages/BronzeReduce.ts";
import { BronzeShard } from "../runtime/pipeline/stages/BronzeShard.ts";
import { ValidateRaw } from "../runtime/pipeline/stages/ValidateRaw.ts";
import { writeTinyBatch } from "./fixtures/raw/tiny-batch.ts";

const root = await mkdtemp(join(tmpdir(), "stage-bronze-"));
afterAll(() => rm(root, { recursive: true, force: true }));
const lake = new Lake(root);

beforeAll(async () => {
	await writeTinyBatch(lake.rawDir("tiny"));
});

/** Runs the three bronze stages as the state machine does (the Map's iterations one after the other). */
async function runBronze(runId: string, o: Partial<RunState>) {
	await localPlatform(root).manifest.start("tiny", runId, {
		rerun: true,
		force: true,
	});
	const state: RunState = {
		runId,
		batchId: "tiny",
		dataRoot: root,
		mode: "auto",
		shardCount: 2,
		gate: 0.5,
		seed: 1,
		...o,
	};
	state.raw = await stageHandler(ValidateRaw)(state);
	const shard = stageHandler(BronzeShard);
	state.bronzeShards = [];
	for (const [index, s] of state.raw.shards.entries())
		state.bronzeShards.push(
			await shard({ runId, dataRoot: root, shard: s, index }),
		);
	return { state, bronze: await stageHandler(BronzeReduce)(state) };
}

const qualityOf = async (runId: string, table: string) =>
	JSON.parse(await readFile(lake.docPath(runId, "quality", table), "utf8"));

describe("the bronze stages", () => {
	it("write both tables as Parquet under the run id with a quality report each", async () => {
		// One of the three customers (C3) has no consumption: tolerated here.
		const { state, bronze } = await runBronze("run-1", {
			quality: { maxInvalidShare: 0.5 },
		});
		expect(state.raw?.shardCount).toBeGreaterThan(0);
		// The day after the latest consumption hour kept (2024-02-01T22:00:00).
		expect(bronze.asOfDate).toBe("2024-02-02");
		expect(bronze.rows).toMatchObject({ bronze_customer: 3 });
		for (const table of ["bronze_customer", "bronze_customer_month"]) {
			await access(lake.tablePath("run-1", "bronze", table));
			expect(await qualityOf("run-1", table)).toMatchObject({
				table,
				passed: true,
			});
		}
		const month = await readParquetFile(
			lake.tablePath("run-1", "bronze", "bronze_customer_month"),
		);
		expect(month.numRows()).toBe(bronze.rows.bronze_customer_month);
		// The stages' records in the manifest carry the faults they absorbed:
		// the raw load's (ValidateRaw) and the bronze builders' (BronzeReduce).
		const run = await localPlatform(root).manifest.get("run-1");
		const faults = Object.assign(
			{},
			...(run?.stages ?? []).map((s) => s.faults ?? {}),
		);
		expect(run?.stages.map((s) => s.stage)).toEqual([
			"ValidateRaw",
			"BronzeReduce",
		]);
		expect(faults).toMatchObject({
			customers_without_consumption: 1,
			price_rows_empty_customer_id: 1,
			negative_elec_readings_clamped: 1,
			negative_gas_readings_clamped: 1,
			consumption_rows_empty_customer_id: 1,
			interaction_rows_dropped_not_latest: 2,
		});
	});

	it("fail bronze_customer_month when more customers lack consumption than tolerated, saving no table", async () => {
		const err = await runBronze("run-2", {}).catch((e: unknown) => e);
		expect(err).toBeInstanceOf(DataQualityError);
		const month = await qualityOf("run-2", "bronze_customer_month");
		expect(month.passed).toBe(false);
		expect(month.violations).toEqual([
			expect.objectContaining({
				rule: "customer_coverage",
				severity: "error",
				detail:
					"1 of 3 customers have no consumption row (first: C3) (33.33%) exceeds 1.00%",
			}),
		]);
		await expect(
			access(lake.tablePath("run-2", "bronze", "bronze_customer")),
		).rejects.toThrow();
	});
});
