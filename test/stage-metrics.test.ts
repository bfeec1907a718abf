import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { emitStageMetrics } from "../runtime/monitoring/stage-metrics.ts";

let dir = "";
afterAll(async () => {
	if (dir) await rm(dir, { recursive: true, force: true });
});

describe("stage metrics (Powertools EMF)", () => {
	it("writes the CloudWatch EMF document locally: namespace, Stage dimension, duration, rows, faults", async () => {
		dir = await mkdtemp(join(tmpdir(), "sg-metrics-"));
		const path = join(dir, "metrics.jsonl");
		await emitStageMetrics({
			runId: "r1",
			stage: "Silver",
			seconds: 1.5,
			rows: { silver_customer: 600 },
			faults: { a: 2, b: 3 },
			localPath: path,
		});
		await emitStageMetrics({
			runId: "r1",
			stage: "Gold",
			seconds: 0.5,
			localPath: path,
		});
		const docs = (await readFile(path, "utf8"))
			.trim()
			.split("\n")
			.map((l) => JSON.parse(l));
		expect(docs).toHaveLength(2);
		const [silver, gold] = docs;
		const cw = silver._aws.CloudWatchMetrics[0];
		expect(cw.Namespace).toBe("SpanishGasChurn");
		expect(cw.Dimensions[0]).toEqual(
			expect.arrayContaining(["Stage", "service"]),
		);
		expect(cw.Metrics.map((m: { Name: string }) => m.Name).sort()).toEqual([
			"DurationSeconds",
			"FaultsAbsorbed",
			"Rows_silver_customer",
		]);
		expect(silver).toMatchObject({
			Stage: "Silver",
			runId: "r1",
			DurationSeconds: 1.5,
			Rows_silver_customer: 600,
			FaultsAbsorbed: 5,
		});
		expect(gold).toMatchObject({ Stage: "Gold", DurationSeconds: 0.5 });
		expect(gold.FaultsAbsorbed).toBeUndefined();
	});
});
