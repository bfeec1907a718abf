import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LocalRunManifest } from "../runtime/io/manifest.ts";

const dirs: string[] = [];
const fresh = async () => {
	const d = await mkdtemp(join(tmpdir(), "sg-manifest-"));
	dirs.push(d);
	return new LocalRunManifest(d);
};
afterAll(async () => {
	for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("LocalRunManifest claims", () => {
	it("of concurrent first starts for one batch exactly one wins", async () => {
		const m = await fresh();
		const wins = await Promise.all(
			["a", "b", "c", "d"].map((r) => m.start("batch", r)),
		);
		expect(wins.filter(Boolean)).toHaveLength(1);
		expect((await m.claimOf("batch"))?.runId).toBe(
			["a", "b", "c", "d"][wins.indexOf(true)],
		);
	});

	it("of concurrent reruns of a finished batch exactly one wins; none while a run is started", async () => {
		const m = await fresh();
		await m.start("b", "first");
		expect(await m.start("b", "early", { rerun: true })).toBe(false);
		await m.fail("first", { name: "DataQualityError", message: "bad" });
		const wins = await Promise.all(
			["x", "y", "z"].map((r) => m.start("b", r, { rerun: true })),
		);
		expect(wins.filter(Boolean)).toHaveLength(1);
		const holder = await m.claimOf("b");
		expect(holder?.status).toBe("started");
		expect(await m.start("b", "forced", { force: true })).toBe(true);
		expect((await m.claimOf("b"))?.runId).toBe("forced");
	});
});
