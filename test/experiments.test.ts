import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readParquetFile } from "../runtime/io/tables.ts";
import {
	type ExperimentRow,
	formatExperiments,
	runExperiments,
	saveExperiments,
} from "../runtime/model/experiments.ts";
import { makeGold } from "./support/gold-fixture.ts";

const gold = makeGold({ rows: 2000, seed: 5 });
let rows: ExperimentRow[];
let dir: string;

beforeAll(async () => {
	dir = await mkdtemp(join(tmpdir(), "ladder-"));
	rows = await runExperiments(gold, {
		seed: 3,
		experiments: ["E0", "E5_full"],
		algorithms: ["logistic", "xgboost"],
		params: { xgboost: { n_rounds: 150 } },
	});
});
afterAll(async () => {
	await rm(dir, { recursive: true, force: true });
});

const find = (e: string, a: string) =>
	rows.find((r) => r.experiment === e && r.algorithm === a) as ExperimentRow;

describe("experiment ladder", () => {
	it("has one row per experiment × algorithm plus the two baselines", () => {
		expect(rows.map((r) => `${r.experiment}/${r.algorithm}`).sort()).toEqual(
			[
				"E0/logistic",
				"E0/xgboost",
				"E5_full/logistic",
				"E5_full/xgboost",
				"E5_full/dummy_stratified",
				"E5_full/dummy_most_frequent",
			].sort(),
		);
		expect(find("E0", "logistic").n_features).toBe(15);
		expect(find("E5_full", "xgboost").n_features).toBe(56);
		for (const r of rows) expect(r.seconds).toBeGreaterThan(0);
	});

	it("reflects the fixture's signal: behavioural features help, baselines sit at the churn rate", () => {
		// The fixture's strongest drivers (sentiment, intent) are outside E0.
		expect(find("E5_full", "xgboost").pr_auc).toBeGreaterThan(
			find("E0", "xgboost").pr_auc + 0.1,
		);
		expect(find("E5_full", "logistic").pr_auc).toBeGreaterThan(
			find("E0", "logistic").pr_auc + 0.1,
		);
		const rate =
			(gold.array("churn") as number[]).reduce((s, v) => s + v, 0) /
			gold.numRows();
		expect(find("E5_full", "dummy_most_frequent").pr_auc).toBeCloseTo(rate, 1);
		expect(find("E5_full", "dummy_most_frequent").roc_auc).toBe(0.5);
		expect(find("E5_full", "xgboost").pr_auc).toBeGreaterThan(
			2 * find("E5_full", "dummy_stratified").pr_auc,
		);
	});

	it("persists JSON and Parquet with the same rows, and prints a table", async () => {
		const saved = await saveExperiments(
			rows,
			join(dir, "models", "experiments"),
		);
		expect(JSON.parse(await readFile(saved.json, "utf8"))).toEqual(rows);
		const t = await readParquetFile(saved.parquet);
		expect(t.numRows()).toBe(rows.length);
		expect(t.columnNames()).toEqual([
			"experiment",
			"algorithm",
			"n_features",
			"pr_auc",
			"roc_auc",
			"precision",
			"recall",
			"f1",
			"seconds",
		]);
		expect(Number(t.get("pr_auc", 3))).toBeCloseTo(rows[3].pr_auc, 12);
		const text = formatExperiments(rows);
		const lines = text.split("\n");
		expect(lines[0]).toMatch(/^experiment\s+algorithm\s+n_feat\s+pr_auc/);
		expect(lines).toHaveLength(rows.length + 2);
		// E0 rows come before E5_full rows.
		expect(lines.findIndex((l) => l.startsWith("E0"))).toBeLessThan(
			lines.findIndex((l) => l.startsWith("E5_full")),
		);
	});
});
