/**
 * The local run lifecycle (docs/runbook.md "Run lifecycle"): an interrupted
 * run is marked aborted with the stages it ran and frees its batch; a run
 * left started by a process that is gone is taken over with a line saying
 * so; a live one is not. Also through the CLI with a real SIGINT.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lake } from "../runtime/io/lake.ts";
import { LocalRunManifest } from "../runtime/io/manifest.ts";
import { executeRun, RunRefusedError } from "../runtime/pipeline/execute.ts";
import { generateBatch } from "../runtime/synth/generate.ts";

let root: string;
let lake: Lake;

beforeAll(async () => {
	root = await mkdtemp(join(tmpdir(), "sg-lifecycle-"));
	lake = new Lake(root);
	await generateBatch({
		customers: 60,
		seed: 3,
		outDir: lake.rawDir("b"),
		partCustomers: 30,
	});
});
afterAll(async () => {
	await rm(root, { recursive: true, force: true });
});

/** The pid of a process that has exited (so no process has it, barring reuse). */
function deadPid(): number {
	const r = spawnSync(process.execPath, [
		"-e",
		"process.stdout.write(String(process.pid))",
	]);
	return Number(r.stdout.toString());
}

describe("local run lifecycle", () => {
	it("an aborted run is marked aborted with the stages it ran and frees the batch", async () => {
		const controller = new AbortController();
		const r = await executeRun({
			dataRoot: root,
			batchId: "b",
			shardCount: 2,
			gate: 0,
			signal: controller.signal,
			handlers: {
				// Ctrl-C arrives while Silver computes.
				Silver: async () => {
					controller.abort("SIGINT");
					await new Promise((resolve) => setTimeout(resolve, 200));
					return {};
				},
			},
		});
		expect(r.aborted).toBe(true);
		expect(r.ok).toBe(false);
		expect(r.record?.status).toBe("aborted");
		const last = r.record?.history.at(-1);
		expect(last?.error?.name).toBe("RunAborted");
		expect(last?.error?.message).toMatch(
			/stopped by SIGINT; stages done: ValidateRaw, BronzeReduce$/,
		);
		// MarkFailed did not run over it, and the batch is free again.
		expect(r.record?.history.map((h) => h.status)).toEqual([
			"started",
			"aborted",
		]);
		const next = await executeRun({
			dataRoot: root,
			batchId: "b",
			shardCount: 2,
			handlers: {
				ValidateRaw: async () => {
					throw new Error("stop here");
				},
			},
		});
		expect(next.record?.status).toBe("failed");
	});

	it("takes over a run whose process is gone, and says so", async () => {
		const manifest = new LocalRunManifest(root);
		const pid = deadPid();
		expect(
			await manifest.start("b", "orphan", {
				rerun: true,
				owner: { host: hostname(), pid },
			}),
		).toBe(true);
		const lines: string[] = [];
		const r = await executeRun({
			dataRoot: root,
			batchId: "b",
			onTakeOver: (line) => lines.push(line),
			handlers: {
				ValidateRaw: async () => {
					throw new Error("stop here");
				},
			},
		});
		expect(lines).toEqual([
			`Run orphan of batch b was left started by process ${pid}, which is gone: marked it aborted and took the batch over.`,
		]);
		const orphan = await manifest.get("orphan");
		expect(orphan?.status).toBe("aborted");
		expect(orphan?.history.at(-1)?.error?.message).toContain(
			`taken over by run ${r.runId}`,
		);
		expect(r.record?.status).toBe("failed");
	});

	it("does not take over a run whose process is alive, or one of another host", async () => {
		const manifest = new LocalRunManifest(root);
		const live = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]);
		try {
			await manifest.start("b", "alive", {
				rerun: true,
				owner: { host: hostname(), pid: live.pid ?? 0 },
			});
			await expect(
				executeRun({ dataRoot: root, batchId: "b" }),
			).rejects.toThrow(RunRefusedError);
			await manifest.abort("alive", { name: "RunAborted", message: "test" });
			await manifest.start("b", "elsewhere", {
				rerun: true,
				owner: { host: `not-${hostname()}`, pid: deadPid() },
			});
			await expect(
				executeRun({ dataRoot: root, batchId: "b" }),
			).rejects.toThrow(
				/still marked started \(elsewhere, process \d+ on not-/,
			);
			await manifest.abort("elsewhere", {
				name: "RunAborted",
				message: "test",
			});
		} finally {
			live.kill();
		}
	});

	it("Ctrl-C on the CLI marks the run aborted, exits 130 and frees the batch", async () => {
		const child = spawn(
			process.execPath,
			[
				"--import",
				"tsx",
				"runtime/cli.ts",
				"run",
				"--data",
				root,
				"--batch",
				"b",
				"--shards",
				"2",
				"--no-report",
			],
			{ stdio: ["ignore", "pipe", "pipe"] },
		);
		let stdout = "";
		let stderr = "";
		child.stdout.on("data", (d) => {
			stdout += d;
		});
		child.stderr.on("data", (d) => {
			stderr += d;
		});
		const manifest = new LocalRunManifest(root);
		// Interrupt once the run has recorded its first stage.
		const deadline = Date.now() + 60_000;
		let runId: string | undefined;
		while (Date.now() < deadline) {
			runId = /Run (\S+) on batch b/.exec(stderr)?.[1];
			const record = runId ? await manifest.get(runId) : undefined;
			if (record && record.stages.length > 0) break;
			await new Promise((resolve) => setTimeout(resolve, 50));
		}
		expect(runId).toBeDefined();
		child.kill("SIGINT");
		const code = await new Promise<number | null>((resolve) =>
			child.on("exit", (c) => resolve(c)),
		);
		expect(code, stderr).toBe(130);
		expect(stderr).toContain(`SIGINT: stopping run ${runId}`);
		expect(stdout).toContain(`Run ${runId}: ABORTED`);
		const record = await manifest.get(runId ?? "");
		expect(record?.status).toBe("aborted");
		expect(record?.history.at(-1)?.error?.message).toMatch(
			/^stopped by SIGINT; stages done: ValidateRaw/,
		);
		expect((await manifest.claimOf("b"))?.runId).toBe(runId);
		expect(await manifest.start("b", "after", { rerun: true })).toBe(true);
	}, 120_000);
});
