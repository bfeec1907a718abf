/**
 * The Score stage's realized-performance check (runtime/monitoring/
 * realized-check.ts) on hand-written tables: a labelled batch gets its
 * record, a champion below the gate on real outcomes raises the alert and
 * recommends a retrain, unlabelled batches are left alone.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { table } from "arquero";
import { afterAll, describe, expect, it } from "vitest";
import { getJson, lakeKeys } from "../runtime/io/lake.ts";
import type { Table } from "../runtime/io/tables.ts";
import type { RealizedPerformanceDoc } from "../runtime/monitoring/realized.ts";
import { checkRealizedPerformance } from "../runtime/monitoring/realized-check.ts";
import { localPlatform } from "../runtime/pipeline/platform.ts";

const dirs: string[] = [];
afterAll(async () => {
	for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function platform() {
	const d = await mkdtemp(join(tmpdir(), "sg-realized-"));
	dirs.push(d);
	return { root: d, p: localPlatform(d) };
}
const alertsOf = async (root: string) =>
	(await readFile(join(root, "alerts.log"), "utf8").catch(() => ""))
		.split("\n")
		.filter(Boolean)
		.map((l) => JSON.parse(l) as { kind: string; message: string });

// Ten customers, four churners; gold in another order than the scores, one unlabelled.
const ids = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"];
const churn = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, null];
const gold = table({
	customer_id: [...ids].reverse(),
	churn: [...churn].reverse(),
}) as Table;
const scoredWith = (proba: number[]) =>
	table({
		customer_id: ids,
		churn_proba: proba,
		risk_tier: proba.map((x) => (x >= 0.5 ? "Critical" : "Low")),
	}) as Table;

describe("checkRealizedPerformance", () => {
	it("stores the record of a labelled batch, without alert when the champion holds up", async () => {
		const { root, p } = await platform();
		const good = [0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1, 0.1, 0.05, 0.5];
		const r = await checkRealizedPerformance(p, {
			runId: "r1",
			batchId: "b",
			gold,
			scored: scoredWith(good),
			modelVersion: "v0001",
			gate: 0.7,
		});
		expect(r).toMatchObject({
			customers: 10,
			churners: 4,
			prAuc: 1,
			rocAuc: 1,
			belowGate: false,
			retrainRecommended: false,
		});
		const doc = await getJson<RealizedPerformanceDoc>(
			p.store,
			lakeKeys.doc("r1", "monitoring", "realized_performance"),
		);
		expect(doc.modelVersion).toBe("v0001");
		expect(doc.customers).toBe(10);
		expect(doc.tiers.find((t) => t.tier === "Critical")?.churners).toBe(4);
		expect(await alertsOf(root)).toEqual([]);
	});

	it("raises realized_below_gate and recommends a retrain when the champion falls below the gate", async () => {
		const { root, p } = await platform();
		// Churners scored lowest: PR-AUC far below any gate.
		const bad = [0.1, 0.2, 0.15, 0.05, 0.9, 0.8, 0.7, 0.6, 0.65, 0.75, 0.5];
		const r = await checkRealizedPerformance(p, {
			runId: "r2",
			batchId: "b",
			gold,
			scored: scoredWith(bad),
			modelVersion: "v0001",
			gate: 0.7,
		});
		expect(r?.belowGate).toBe(true);
		expect(r?.retrainRecommended).toBe(true);
		const alerts = await alertsOf(root);
		expect(alerts.map((a) => a.kind)).toEqual(["realized_below_gate"]);
		expect(alerts[0].message).toMatch(
			/PR-AUC 0\.\d{3} < gate 0\.7.*retrain recommended/,
		);
	});

	it("leaves a batch without labels (or without the label column) alone", async () => {
		const { root, p } = await platform();
		const unlabelled = table({
			customer_id: ids,
			churn: ids.map(() => null),
		}) as Table;
		const noColumn = table({ customer_id: ids }) as Table;
		for (const g of [unlabelled, noColumn])
			expect(
				await checkRealizedPerformance(p, {
					runId: "r3",
					batchId: "b",
					gold: g,
					scored: scoredWith(ids.map(() => 0.5)),
					modelVersion: "v0001",
					gate: 0.7,
				}),
			).toBeUndefined();
		expect(
			await p.store.exists(
				lakeKeys.doc("r3", "monitoring", "realized_performance"),
			),
		).toBe(false);
		expect(await alertsOf(root)).toEqual([]);
	});
});
