/** The operator's first contact: bad options and a missing batch get clear errors and non-zero exits. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const dataDir = mkdtempSync(join(tmpdir(), "sg-cli-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function cli(...args: string[]) {
	const r = spawnSync(
		process.execPath,
		["--import", "tsx", "runtime/cli.ts", ...args],
		{ encoding: "utf8" },
	);
	return { code: r.status, err: r.stderr };
}

describe("CLI", () => {
	it("rejects a non-numeric customer count, naming the option", () => {
		const r = cli("run", "--customers", "abc", "--data", dataDir);
		expect(r.code).not.toBe(0);
		expect(r.err).toContain(
			'--customers must be a positive integer, got "abc"',
		);
	});

	it("names the folder it looked in when a batch does not exist", () => {
		const r = cli("run", "--batch", "nope", "--data", dataDir);
		expect(r.code).toBe(2);
		expect(r.err).toContain(
			`batch "nope" not found: expected the raw files in ${join(dataDir, "raw", "nope")}`,
		);
	});

	it("rejects an unknown mode", () => {
		const r = cli("run", "--mode", "foo", "--batch", "x", "--data", dataDir);
		expect(r.code).toBe(2);
		expect(r.err).toContain('--mode must be auto, train or score, got "foo"');
	});
});
