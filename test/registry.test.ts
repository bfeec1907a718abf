import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ModelInputError } from "../runtime/errors.ts";
import { gateDecision, LocalModelRegistry } from "../runtime/model/registry.ts";
import {
	registryCandidate,
	testMetricsWith,
} from "./support/registry-scenarios.ts";

describe("local model registry", () => {
	let root: string;
	beforeEach(async () => {
		root = await mkdtemp(join(tmpdir(), "registry-"));
	});
	afterEach(async () => {
		await rm(root, { recursive: true, force: true });
	});

	it("gate: PR-AUC at the minimum passes, below fails, minimum configurable", () => {
		expect(gateDecision(testMetricsWith(0.7)).passed).toBe(true);
		expect(gateDecision(testMetricsWith(0.6999)).passed).toBe(false);
		expect(gateDecision(testMetricsWith(0.6), 0.5)).toEqual({
			metric: "pr_auc",
			minimum: 0.5,
			value: 0.6,
			passed: true,
		});
	});

	it("starts empty", async () => {
		const reg = new LocalModelRegistry(root);
		expect(await reg.list()).toEqual([]);
		expect(await reg.champion()).toBeUndefined();
	});

	it("registers every candidate; only promote moves the champion, to an approved one", async () => {
		const reg = new LocalModelRegistry(root);
		const v1 = await reg.register(registryCandidate(0.62, "run-1"));
		expect(v1).toMatchObject({
			version: "v0001",
			status: "rejected",
			runId: "run-1",
		});
		expect(await reg.champion()).toBeUndefined();

		const v2 = await reg.register(registryCandidate(0.75, "run-2"));
		expect(v2.status).toBe("approved");
		expect(await reg.champion()).toBeUndefined();
		await reg.promote("v0002");
		expect((await reg.champion())?.version).toBe("v0002");

		// A rejected candidate leaves the champion scoring.
		const v3 = await reg.register(registryCandidate(0.5, "run-3"));
		expect(v3.status).toBe("rejected");
		expect((await reg.champion())?.version).toBe("v0002");

		const v4 = await reg.register(registryCandidate(0.8, "run-4"));
		expect((await reg.champion())?.version).toBe("v0002");
		await reg.promote(v4.version, { ifChampion: "v0002" });
		expect((await reg.champion())?.version).toBe(v4.version);

		const all = await reg.list();
		expect(all.map((v) => [v.version, v.status])).toEqual([
			["v0001", "rejected"],
			["v0002", "approved"],
			["v0003", "rejected"],
			["v0004", "approved"],
		]);
		// Each entry records what the issue asks for.
		expect(all[1]).toMatchObject({
			metrics: { pr_auc: 0.75 },
			features: ["tenure_months"],
			threshold: { threshold: 0.3 },
			calibration: { method: "platt", a: -3, b: 1 },
			runId: "run-2",
			gate: { minimum: 0.7, passed: true },
		});
	});

	it("promote rolls back to an approved version and refuses a rejected one", async () => {
		const reg = new LocalModelRegistry(root);
		await reg.register(registryCandidate(0.75, "a"));
		await reg.register(registryCandidate(0.4, "b"));
		await reg.register(registryCandidate(0.8, "c"));
		await reg.promote("v0003");
		await expect(reg.promote("v0002")).rejects.toThrow(
			/rejected \(below the gate/,
		);
		await expect(reg.promote("v0009")).rejects.toThrow(ModelInputError);
		expect((await reg.champion())?.version).toBe("v0003");
		await reg.promote("v0001");
		expect((await reg.champion())?.version).toBe("v0001");
	});

	it("persists artifacts and survives a new instance (another process)", async () => {
		const c = registryCandidate(0.9, "persist");
		await new LocalModelRegistry(root).register(c);
		await new LocalModelRegistry(root).promote("v0001");
		const reg = new LocalModelRegistry(root);
		expect((await reg.champion())?.version).toBe("v0001");
		expect(await reg.loadArtifact("v0001")).toEqual(c.artifact);
		expect(await reg.loadEvaluation("v0001")).toEqual(c.evaluation);
		const index = JSON.parse(
			await readFile(join(root, "models", "registry.json"), "utf8"),
		);
		expect(index.champion).toBe("v0001");
		await expect(reg.loadArtifact("v0002")).rejects.toThrow(
			/no model version v0002/,
		);
	});

	it("concurrent registrations get distinct versions", async () => {
		const reg = new LocalModelRegistry(root);
		const out = await Promise.all(
			[0.71, 0.72, 0.73, 0.1].map((p, i) =>
				reg.register(registryCandidate(p, `r${i}`)),
			),
		);
		expect(new Set(out.map((v) => v.version)).size).toBe(4);
		expect(await reg.list()).toHaveLength(4);
	});
});
