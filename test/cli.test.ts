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

	it("rejects a quality tolerance that is not a share, naming the option", () => {
		const r = cli("run", "--max-invalid-share", "1.5", "--data", dataDir);
		expect(r.code).not.toBe(0);
		expect(r.err).toContain(
			'--max-invalid-share must be a share between 0 and 1, got "1.5"',
		);
		const p = cli(
			"run",
			"--max-imputed-price-share",
			"lots",
			"--data",
			dataDir,
		);
		expect(p.code).not.toBe(0);
		expect(p.err).toContain(
			'--max-imputed-price-share must be a share between 0 and 1, got "lots"',
		);
	});

	it("documents the quality tolerances and their defaults in --help", () => {
		const r = spawnSync(
			process.execPath,
			["--import", "tsx", "runtime/cli.ts", "run", "--help"],
			{ encoding: "utf8" },
		);
		expect(r.stdout).toMatch(/--max-invalid-share <share>[\s\S]*default 0\.01/);
		expect(r.stdout).toMatch(
			/--max-imputed-price-share <share>[\s\S]*default 0\.1/,
		);
	});

	it("rejects an unknown mode", () => {
		const r = cli("run", "--mode", "foo", "--batch", "x", "--data", dataDir);
		expect(r.code).toBe(2);
		expect(r.err).toContain('--mode must be auto, train or score, got "foo"');
	});
});

describe("npm scripts", () => {
	it("run the CLI with the stage processes' V8 flags (the local run is one process for every stage)", async () => {
		const { readFile } = await import("node:fs/promises");
		const { STAGE_NODE_OPTIONS } = await import(
			"../runtime/pipeline/node-options.ts"
		);
		const pkg = JSON.parse(await readFile("package.json", "utf8")) as {
			scripts: Record<string, string>;
		};
		for (const name of ["start", "synth", "experiments", "report"])
			expect(pkg.scripts[name], name).toMatch(
				new RegExp(
					`^node ${STAGE_NODE_OPTIONS} --import tsx runtime/cli\\.ts `,
				),
			);
	});
});
