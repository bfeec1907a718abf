/**
 * The stage list (runtime/pipeline/stages/) as the rest of the code sees
 * it: the Pulumi program loads the list without the runtime behind it, and
 * every derived table has exactly one entry per stage.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import {
	ECS_CAPABLE_STAGES,
	LAMBDA_STAGES,
	STAGE_ACCESS,
	STAGE_SIZING,
	STAGE_TASK_SIZING,
	STAGES,
	TASK_STAGES,
} from "../runtime/pipeline/stages/index.ts";

const root = resolve(import.meta.dirname, "..");

/** What the stages' `run` loads: the data layers, the model, the scoring, DuckDB and the table libraries. */
const HEAVY = [
	"runtime/data/",
	"runtime/features/",
	"runtime/model/",
	"runtime/scoring/",
	"runtime/monitoring/drift",
	"runtime/monitoring/quality",
	"runtime/pipeline/handlers.ts",
	"runtime/pipeline/stages/lake-tables.ts",
	"runtime/pipeline/stages/raw-staging.ts",
	"runtime/pipeline/stages/run-summary.ts",
	"node_modules/@duckdb/",
	"node_modules/ml-",
	"node_modules/arquero/",
	"node_modules/apache-arrow/",
	"node_modules/parquet-wasm/",
];
/** The tier definitions the contract re-exports (no imports but runtime/errors.ts). */
const LIGHT_EXCEPTIONS = ["runtime/scoring/tiers.ts"];

/** Every module URL a fresh Node process resolves when it imports `file`. */
function modulesLoadedBy(file: string): string[] {
	const dir = mkdtempSync(join(tmpdir(), "import-log-"));
	const log = join(dir, "imports.log");
	try {
		const r = spawnSync(
			process.execPath,
			[
				"--import",
				"tsx",
				"--import",
				pathToFileURL(join(root, "test/support/import-log.mjs")).href,
				"--input-type=module",
				"-e",
				`await import(${JSON.stringify(pathToFileURL(join(root, file)).href)});`,
			],
			{ cwd: root, env: { ...process.env, IMPORT_LOG: log }, encoding: "utf8" },
		);
		expect(r.stderr).not.toMatch(/Error/);
		expect(r.status).toBe(0);
		return readFileSync(log, "utf8").trim().split("\n");
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

describe("the stage list", () => {
	it("loads into the Pulumi program without the runtime the stages run", () => {
		const loaded = modulesLoadedBy("components/index.ts");
		const rel = loaded
			.filter((u) => u.startsWith("file:"))
			.map((u) => u.slice(pathToFileURL(root).href.length + 1));
		// The program does load every stage module (for access and sizes)…
		for (const s of TASK_STAGES)
			expect(rel).toContain(`runtime/pipeline/stages/${s}.ts`);
		// …and none of what their `run` imports when it runs.
		const heavy = rel.filter(
			(f) =>
				HEAVY.some((h) => f.startsWith(h)) && !LIGHT_EXCEPTIONS.includes(f),
		);
		expect(heavy).toEqual([]);
	}, 60_000);

	it("derives one entry per stage in every table, in the list's order", () => {
		expect(TASK_STAGES).toEqual(STAGES.map((s) => s.name));
		expect(new Set(TASK_STAGES).size).toBe(TASK_STAGES.length);
		// PublishReport is the report build task in AWS: the only stage with no Lambda.
		expect(
			TASK_STAGES.filter((s) => !LAMBDA_STAGES.includes(s as never)),
		).toEqual(["PublishReport"]);
		expect(Object.keys(STAGE_ACCESS)).toEqual(LAMBDA_STAGES);
		expect(Object.keys(STAGE_SIZING)).toEqual(LAMBDA_STAGES);
		expect(Object.keys(STAGE_TASK_SIZING)).toEqual(ECS_CAPABLE_STAGES);
	});
});
