/**
 * Promotion and publication under faults, through the local state machine
 * with the real stage handlers (docs/run-lifecycle.md, "Promotion and
 * publication"): a retried Train registers one version; a candidate that
 * does not beat the champion leaves it champion and the run scores with it,
 * even when a concurrent run moves the champion meanwhile; a failure after
 * PublishReport (inside MarkSucceeded, after it promoted and switched the
 * site) leaves champion, live site and latest.json as they were; a
 * MarkFailed that cannot raise its alert, or cannot mark the run at all,
 * still leaves the run failed, never started.
 *
 * The report publisher is a stand-in that writes a one-page site under the
 * run's prefix (the Evidence build takes a minute and is tested in
 * test/report-site.test.ts); the switch to the live site is the real one.
 */
import { mkdtemp, readFile, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lake, readLatest } from "../runtime/io/lake.ts";
import type { RunManifest } from "../runtime/io/manifest.ts";
import { LocalObjectStore } from "../runtime/io/object-store.ts";
import { readParquetFile } from "../runtime/io/tables.ts";
import { LocalModelRegistry } from "../runtime/model/registry.ts";
import type { Alerts } from "../runtime/monitoring/alerts.ts";
import { executeRun } from "../runtime/pipeline/execute.ts";
import {
	type ReportPublisher,
	type RunState,
	stageHandler,
} from "../runtime/pipeline/handlers.ts";
import { localPlatform, type Platform } from "../runtime/pipeline/platform.ts";
import { MarkFailed } from "../runtime/pipeline/stages/MarkFailed.ts";
import { MarkSucceeded } from "../runtime/pipeline/stages/MarkSucceeded.ts";
import { Train } from "../runtime/pipeline/stages/Train.ts";
import { runSitePrefix } from "../runtime/report/publish.ts";
import { generateBatch } from "../runtime/synth/generate.ts";

let root: string;
let lake: Lake;
let registry: LocalModelRegistry;

/** Writes a one-page site naming the run under the run's prefix, as the real publisher lays it out. */
const fakePublisher: ReportPublisher = async (p, run) => {
	const prefix = runSitePrefix(run.runId);
	await p.store.put(`${prefix}assets/app.js`, `// ${run.runId}\n`);
	await p.store.put(`${prefix}index.html`, `<h1>${run.runId}</h1>\n`);
	return { siteKey: `${prefix}index.html`, files: 2 };
};

const liveIndex = () =>
	readFile(join(lake.root, "reports", "site", "index.html"), "utf8");

/** The local platform with some of its parts replaced (a fault injected into one stage). */
function patched(
	parts: { manifest?: Partial<RunManifest>; alerts?: Alerts },
	base: Platform = localPlatform(root),
): Platform {
	const manifest = Object.assign(
		Object.create(base.manifest) as RunManifest,
		parts.manifest ?? {},
	);
	return { ...base, manifest, alerts: parts.alerts ?? base.alerts };
}

const base = () => ({
	dataRoot: root,
	batchId: "b1",
	shardCount: 2,
	publishReport: fakePublisher,
});

beforeAll(async () => {
	root = await mkdtemp(join(tmpdir(), "sg-promotion-"));
	lake = new Lake(root);
	registry = new LocalModelRegistry(root);
	await generateBatch({
		customers: 600,
		seed: 11,
		outDir: lake.rawDir("b1"),
		partCustomers: 100,
	});
});
afterAll(async () => {
	await rm(root, { recursive: true, force: true });
});

describe("promotion and publication under faults", () => {
	let firstRun = "";

	it("a retried Train registers one version; MarkSucceeded promotes it and switches the site", async () => {
		const train = stageHandler(Train);
		let attempts = 0;
		const r = await executeRun({
			...base(),
			mode: "train",
			gate: 0,
			handlers: {
				// The first attempt registers, then "times out"; the state machine's retry runs it again.
				Train: async (input: RunState) => {
					attempts++;
					await train(input);
					return train(input);
				},
			},
		});
		expect(r.ok, JSON.stringify(r.record?.history)).toBe(true);
		firstRun = r.runId;
		expect(attempts).toBe(1);
		const versions = await registry.list();
		expect(versions.map((v) => [v.version, v.runId, v.status])).toEqual([
			["v0001", r.runId, "approved"],
		]);
		const trained = r.record?.stages.filter((s) => s.stage === "Train");
		expect(trained?.at(-1)?.detail).toMatchObject({
			version: "v0001",
			reused: true,
			scoringVersion: "v0001",
		});
		expect((await registry.champion())?.version).toBe("v0001");
		expect(
			r.record?.stages.find((s) => s.stage === "MarkSucceeded")?.detail,
		).toMatchObject({
			promotion: { promoted: "v0001" },
			site: { live: "reports/site/", mode: "symlink" },
			latest: { runId: r.runId },
		});
		expect(await liveIndex()).toContain(r.runId);
		expect(await readlink(join(lake.root, "reports", "site"))).toBe(
			join("runs", r.runId, "site"),
		);
		expect((await readLatest(new LocalObjectStore(root)))?.runId).toBe(r.runId);
	});

	it("a worse candidate: the champion stays and scores the run, even when a concurrent run moves the champion meanwhile", async () => {
		const train = stageHandler(Train);
		const r = await executeRun({
			...base(),
			mode: "train",
			gate: 0,
			// No candidate can beat a champion by a whole PR-AUC point: it must lose.
			promotionMargin: 1,
			handlers: {
				Train: async (input: RunState) => {
					const out = await train(input);
					// A concurrent run registers and promotes another version right after Train.
					const c = await registry.loadArtifact("v0001");
					const e = await registry.loadEvaluation("v0001");
					const v1 = await registry.get("v0001");
					if (!v1) throw new Error("no v0001");
					const other = await registry.register({
						artifact: c,
						evaluation: e,
						gate: v1.gate,
						runId: "concurrent-run",
					});
					await registry.promote(other.version);
					return out;
				},
			},
		});
		expect(r.ok, JSON.stringify(r.record?.history)).toBe(true);
		const train2 = r.record?.stages.find((s) => s.stage === "Train")?.detail;
		expect(train2).toMatchObject({
			version: "v0002",
			status: "rejected",
			scoringVersion: "v0001",
			promotion: { champion: "v0001", margin: 1, passed: false },
		});
		expect(String(train2?.reason)).toMatch(
			/^does not beat champion v0001: PR-AUC [\d.]+ < [\d.]+ \+ 1 on the same test rows$/,
		);
		expect((await registry.get("v0002"))?.reason).toBe(train2?.reason);
		// Scored and drift-checked with the planned champion, not the one the concurrent run promoted.
		const detail = (stage: string) =>
			r.record?.stages.find((s) => s.stage === stage)?.detail;
		expect(detail("Score")).toMatchObject({ modelVersion: "v0001" });
		expect(detail("Drift")).toMatchObject({ modelVersion: "v0001" });
		const scored = await readParquetFile(
			lake.tablePath(r.runId, "scored", "scores"),
		);
		expect(new Set(scored.array("model_version") as string[])).toEqual(
			new Set(["v0001"]),
		);
		expect((await registry.champion())?.version).toBe("v0003");
		expect(detail("MarkSucceeded")).toMatchObject({
			promotion: { promoted: null },
		});
		const alerts = await readFile(join(root, "alerts.log"), "utf8").catch(
			() => "",
		);
		expect(alerts).toMatch(/model_rejected.*v0002 rejected: does not beat/);
		// The run succeeded: its site is live and latest names it.
		expect(await liveIndex()).toContain(r.runId);
		firstRun = r.runId;
		// The concurrent version is a copy of v0001; put the champion back for the next scenarios.
		await registry.promote("v0001");
	});

	it("a failure after PublishReport, inside MarkSucceeded after promoting and switching: champion, live site and latest stay", async () => {
		const before = await readLatest(new LocalObjectStore(root));
		expect(before?.runId).toBe(firstRun);
		const markSucceeded = stageHandler(MarkSucceeded, {
			platform: () =>
				patched({
					manifest: {
						succeed: async () => {
							throw new Error("DynamoDB is gone");
						},
					},
				}),
		});
		const r = await executeRun({
			...base(),
			mode: "train",
			gate: 0,
			// Any candidate passes: the run would promote it, were it to succeed.
			promotionMargin: -1,
			handlers: { MarkSucceeded: markSucceeded },
		});
		expect(r.ok).toBe(false);
		expect(r.record?.status).toBe("failed");
		const train = r.record?.stages.find((s) => s.stage === "Train")?.detail;
		expect(train).toMatchObject({ status: "approved" });
		// MarkSucceeded had promoted it and switched the site; MarkFailed put both back.
		expect((await registry.champion())?.version).toBe("v0001");
		expect(await liveIndex()).toContain(firstRun);
		expect(await readLatest(new LocalObjectStore(root))).toEqual(before);
		// The failed run's site exists under its own prefix, never live.
		expect(
			await readFile(
				join(lake.root, runSitePrefix(r.runId), "index.html"),
				"utf8",
			),
		).toContain(r.runId);
	});

	it("a failure in MarkSucceeded before it changes anything leaves everything as it was", async () => {
		const before = await readLatest(new LocalObjectStore(root));
		const r = await executeRun({
			...base(),
			mode: "train",
			gate: 0,
			promotionMargin: -1,
			handlers: {
				MarkSucceeded: async () => {
					throw new Error("lambda timed out");
				},
			},
		});
		expect(r.ok).toBe(false);
		expect(r.record?.status).toBe("failed");
		expect((await registry.champion())?.version).toBe("v0001");
		expect(await liveIndex()).toContain(firstRun);
		expect(await readLatest(new LocalObjectStore(root))).toEqual(before);
	});

	it("MarkFailed whose alert cannot be raised: the run still ends failed", async () => {
		const markFailed = stageHandler(MarkFailed, {
			platform: () =>
				patched({
					alerts: {
						raise: async () => {
							throw new Error("SNS throttled");
						},
					},
				}),
		});
		const r = await executeRun({
			...base(),
			handlers: {
				Gold: async () => {
					throw new Error("disk on fire");
				},
				MarkFailed: markFailed,
			},
		});
		expect(r.ok).toBe(false);
		expect(r.record?.status).toBe("failed");
		expect(r.record?.history.at(-1)?.error?.message).toContain("disk on fire");
	});

	it("MarkFailed that cannot mark the run at all: the execution's failure marks it (never left started)", async () => {
		const r = await executeRun({
			...base(),
			handlers: {
				Gold: async () => {
					throw new Error("disk on fire");
				},
				MarkFailed: async () => {
					throw new Error("manifest unreachable");
				},
			},
		});
		expect(r.ok).toBe(false);
		expect(r.record?.status).toBe("failed");
		expect(r.record?.history.at(-1)?.error).toMatchObject({
			name: "ExecutionFailed",
		});
		// The batch is free again.
		const again = await executeRun({ ...base(), mode: "score" });
		expect(again.ok, JSON.stringify(again.record?.history)).toBe(true);
		expect(await liveIndex()).toContain(again.runId);
	});
});
