/**
 * One behavioural suite for both RunManifest implementations: the local
 * files and DynamoDB (against dynalite on loopback).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	createStateTable,
	DynamoDbRunManifest,
} from "../runtime/io/dynamodb-manifest.ts";
import { LocalRunManifest, type RunManifest } from "../runtime/io/manifest.ts";
import { type DynamoPeer, startDynamoPeer } from "./support/peers.ts";

let dynamo: DynamoPeer;
let scratch: string;
let tables = 0;

beforeAll(async () => {
	dynamo = await startDynamoPeer();
	scratch = await mkdtemp(join(tmpdir(), "manifest-"));
});
afterAll(async () => {
	await dynamo?.stop();
	await rm(scratch, { recursive: true, force: true });
});

async function freshDynamo(): Promise<DynamoDbRunManifest> {
	const table = `spanishgas-manifest-${++tables}`;
	await createStateTable(dynamo.client, table);
	return new DynamoDbRunManifest({ table, client: dynamo.client });
}

const impls: Array<{ name: string; make(): Promise<RunManifest> }> = [
	{
		name: "LocalRunManifest",
		make: async () =>
			new LocalRunManifest(await mkdtemp(join(scratch, "lake-"))),
	},
	{ name: "DynamoDbRunManifest (dynalite)", make: freshDynamo },
];

describe.each(impls)("$name", (impl) => {
	it("of concurrent starts for one batch exactly one wins", async () => {
		const manifest = await impl.make();
		for (const batch of ["b1", "b2", "b3"]) {
			const wins = await Promise.all(
				["r1", "r2", "r3", "r4"].map((r) =>
					manifest.start(batch, `${batch}-${r}`),
				),
			);
			expect(wins.filter(Boolean)).toHaveLength(1);
		}
		const runs = await manifest.list();
		expect(runs.map((r) => r.batchId).sort()).toEqual(["b1", "b2", "b3"]);
		expect(runs.every((r) => r.status === "started")).toBe(true);
	});

	it("a second start is refused; rerun waits for the run to finish; force takes over", async () => {
		const m = await impl.make();
		expect(await m.start("b", "run-1")).toBe(true);
		expect(await m.start("b", "run-2")).toBe(false);
		// Rerun is refused while run-1 is still started …
		expect(await m.start("b", "run-3", { rerun: true })).toBe(false);
		await m.succeed("run-1", { customers: 10 });
		// … and still refused without the rerun flag once it has finished.
		expect(await m.start("b", "run-4")).toBe(false);
		expect(await m.start("b", "run-5", { rerun: true })).toBe(true);
		// run-5 is started: only force takes the batch over.
		expect(await m.start("b", "run-6", { rerun: true })).toBe(false);
		expect(await m.start("b", "run-7", { force: true })).toBe(true);
		await m.fail("run-7", {
			name: "TransientIOError",
			message: "S3 slow down",
		});
		// A failed run can be re-run as well.
		expect(await m.start("b", "run-8", { rerun: true })).toBe(true);
		// Refused starts leave no run behind.
		expect((await m.list()).map((r) => r.runId)).toEqual([
			"run-1",
			"run-5",
			"run-7",
			"run-8",
		]);
		for (const refused of ["run-2", "run-3", "run-4", "run-6"])
			expect(await m.get(refused)).toBeUndefined();
	});

	it("keeps the status history, stages (replaced by name) and summary", async () => {
		const m = await impl.make();
		await m.start("batch-7", "run-a");
		await m.recordStage("run-a", {
			stage: "bronze",
			seconds: 1.5,
			rows: { bronze_customer: 100 },
			faults: { negative_elec: 3 },
		});
		await m.recordStage("run-a", {
			stage: "silver",
			seconds: 0.5,
			detail: { note: null, nested: { list: [1, "two"] } },
		});
		await m.recordStage("run-a", { stage: "bronze", seconds: 2 });
		await m.fail("run-a", {
			name: "ModelInputError",
			message: "NaN in matrix",
		});
		const r = await m.get("run-a");
		expect(r).toMatchObject({
			runId: "run-a",
			batchId: "batch-7",
			status: "failed",
		});
		expect(r?.stages).toEqual([
			{
				stage: "silver",
				seconds: 0.5,
				detail: { note: null, nested: { list: [1, "two"] } },
			},
			{ stage: "bronze", seconds: 2 },
		]);
		expect(r?.history.map((h) => h.status)).toEqual(["started", "failed"]);
		expect(r?.history[1].error).toEqual({
			name: "ModelInputError",
			message: "NaN in matrix",
		});
		expect(r?.finishedAt).toBe(r?.history[1].at);
		expect(r?.summary).toBeUndefined();

		await m.start("batch-7", "run-b", { rerun: true });
		await m.succeed("run-b", { scored: 42, champion: "v0003", ok: true });
		const b = await m.get("run-b");
		expect(b?.status).toBe("succeeded");
		expect(b?.summary).toEqual({ scored: 42, champion: "v0003", ok: true });
		expect(b?.history.map((h) => h.status)).toEqual(["started", "succeeded"]);
		expect(b?.history[1].error).toBeUndefined();
		expect(Date.parse(b?.startedAt ?? "")).toBeLessThanOrEqual(
			Date.parse(b?.finishedAt ?? ""),
		);
		expect((await m.list()).map((x) => x.runId)).toEqual(["run-a", "run-b"]);
	});

	it("guards status transitions: finished is final, a success never overwrites a failure", async () => {
		const m = await impl.make();
		await m.start("t", "ok");
		await m.succeed("ok", { n: 1 });
		// A retried MarkSucceeded is a no-op; a late MarkFailed or abort changes nothing.
		await m.succeed("ok", { n: 2 });
		expect(await m.fail("ok", { name: "E", message: "late" })).toBe(false);
		expect(await m.abort("ok", { name: "SIGINT", message: "late" })).toBe(
			false,
		);
		const ok = await m.get("ok");
		expect(ok?.status).toBe("succeeded");
		expect(ok?.summary).toEqual({ n: 1 });
		expect(ok?.history.map((h) => h.status)).toEqual(["started", "succeeded"]);

		await m.start("t", "bad", { rerun: true });
		expect(await m.fail("bad", { name: "E", message: "boom" })).toBe(true);
		await expect(m.succeed("bad", {})).rejects.toMatchObject({
			name: "RunTransitionError",
		});
		expect((await m.get("bad"))?.status).toBe("failed");

		// Of a MarkFailed and an abort racing, exactly one is recorded.
		await m.start("t", "race", { rerun: true });
		const wins = await Promise.all([
			m.fail("race", { name: "E", message: "failed" }),
			m.abort("race", { name: "Aborted", message: "aborted" }),
		]);
		expect(wins.filter(Boolean)).toHaveLength(1);
		expect((await m.get("race"))?.history).toHaveLength(2);
	});

	it("an aborted run releases the batch and keeps its request key and owner", async () => {
		const m = await impl.make();
		await m.start("a", "first", {
			requestKey: "s3:lake/raw/a/_manifest.json@0055",
			owner: { host: "box", pid: 4242 },
		});
		const first = await m.get("first");
		expect(first?.requestKey).toBe("s3:lake/raw/a/_manifest.json@0055");
		expect(first?.owner).toEqual({ host: "box", pid: 4242 });
		expect(await m.start("a", "second", { rerun: true })).toBe(false);
		expect(
			await m.abort("first", {
				name: "RunAborted",
				message: "SIGINT after ValidateRaw",
			}),
		).toBe(true);
		expect((await m.get("first"))?.status).toBe("aborted");
		expect(await m.start("a", "second", { rerun: true })).toBe(true);
	});

	it("records concurrent stages (parallel Map iterations) without losing any", async () => {
		const m = await impl.make();
		await m.start("b", "r");
		const shards = Array.from({ length: 8 }, (_, i) => `bronze-shard-${i}`);
		await Promise.all(
			shards.map((stage, i) => m.recordStage("r", { stage, seconds: i })),
		);
		const stages = (await m.get("r"))?.stages ?? [];
		expect(stages.map((s) => s.stage).sort()).toEqual(shards);
	});

	it("reports unknown runs", async () => {
		const m = await impl.make();
		expect(await m.get("nope")).toBeUndefined();
		expect(await m.list()).toEqual([]);
		await expect(m.succeed("nope", {})).rejects.toThrow(
			/run nope is not in the manifest/,
		);
		await expect(m.fail("nope", { name: "E", message: "m" })).rejects.toThrow(
			/not in the manifest/,
		);
		await expect(
			m.recordStage("nope", { stage: "s", seconds: 0 }),
		).rejects.toThrow(/not in the manifest/);
	});
});

describe("DynamoDbRunManifest specifics", () => {
	// Not in the shared suite: LocalRunManifest's rerun path is a plain rewrite (no exclusive claim), see the report.
	it("of concurrent reruns of a finished batch exactly one wins", async () => {
		const m = await freshDynamo();
		await m.start("b", "first");
		await m.fail("first", { name: "DataQualityError", message: "bad" });
		const wins = await Promise.all(
			["x", "y", "z"].map((r) => m.start("b", r, { rerun: true })),
		);
		expect(wins.filter(Boolean)).toHaveLength(1);
		const holder = await m.claimOf("b");
		expect(holder?.status).toBe("started");
		expect(["x", "y", "z"][wins.indexOf(true)]).toBe(holder?.runId);
	});

	it("stores the documented items: RUN#<id>/RUN and BATCH#<id>/CLAIM", async () => {
		const m = await freshDynamo();
		await m.start("2024-12", "run-x");
		const claim = await dynamo.client.send(
			new GetItemCommand({
				TableName: m.table,
				Key: { pk: { S: "BATCH#2024-12" }, sk: { S: "CLAIM" } },
			}),
		);
		expect(claim.Item?.runId).toEqual({ S: "run-x" });
		const run = await dynamo.client.send(
			new GetItemCommand({
				TableName: m.table,
				Key: { pk: { S: "RUN#run-x" }, sk: { S: "RUN" } },
			}),
		);
		expect(run.Item?.status).toEqual({ S: "started" });
		expect(run.Item?.batchId).toEqual({ S: "2024-12" });
		expect((await m.claimOf("2024-12"))?.runId).toBe("run-x");
		expect(await m.claimOf("other")).toBeUndefined();
	});

	it("refuses a start that reuses an existing run id", async () => {
		const m = await freshDynamo();
		expect(await m.start("b1", "same")).toBe(true);
		expect(await m.start("b2", "same")).toBe(false);
		expect((await m.get("same"))?.batchId).toBe("b1");
		expect(await m.claimOf("b2")).toBeUndefined();
	});
});
