/**
 * Run manifest: one record per run with its status history. The same
 * interface has a DynamoDB implementation for AWS (conditional writes); this
 * is the embedded one, files under <root>/manifest/.
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeJsonAtomic } from "./lake.ts";

export type RunStatus = "started" | "succeeded" | "failed";

export interface StageRecord {
	stage: string;
	seconds: number;
	/** Absent on records written before failed stages were recorded: those succeeded. */
	outcome?: "succeeded" | "failed";
	/** Why a failed stage failed. */
	error?: { name: string; message: string };
	rows?: Record<string, number>;
	faults?: Record<string, number>;
	detail?: Record<string, unknown>;
}

export interface RunRecord {
	runId: string;
	batchId: string;
	status: RunStatus;
	history: Array<{
		status: RunStatus;
		at: string;
		error?: { name: string; message: string };
	}>;
	startedAt: string;
	finishedAt?: string;
	stages: StageRecord[];
	summary?: Record<string, unknown>;
}

export interface StartOptions {
	rerun?: boolean;
	force?: boolean;
}

export interface RunManifest {
	/**
	 * Claims the batch for a new run. Returns false when the batch already has a
	 * run, unless `rerun` (allowed once that run has finished) or `force`
	 * (also over a run left "started", e.g. by a killed process).
	 */
	start(batchId: string, runId: string, opts?: StartOptions): Promise<boolean>;
	recordStage(runId: string, stage: StageRecord): Promise<void>;
	succeed(runId: string, summary: Record<string, unknown>): Promise<void>;
	fail(runId: string, error: { name: string; message: string }): Promise<void>;
	get(runId: string): Promise<RunRecord | undefined>;
	/** The run currently holding the batch's claim, if any. */
	claimOf(batchId: string): Promise<RunRecord | undefined>;
	list(): Promise<RunRecord[]>;
}

export class LocalRunManifest implements RunManifest {
	private readonly dir: string;
	constructor(root: string) {
		this.dir = join(root, "manifest");
	}
	private runPath(runId: string) {
		return join(this.dir, "runs", `${runId}.json`);
	}
	private claimsDir(batchId: string) {
		return join(this.dir, "batches", batchId);
	}
	/** Claims of a batch, oldest first: claim-000001.json, claim-000002.json, … */
	private async claims(batchId: string): Promise<string[]> {
		try {
			return (await readdir(this.claimsDir(batchId)))
				.filter((f) => /^claim-\d{6}\.json$/.test(f))
				.sort();
		} catch (e) {
			if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
			throw e;
		}
	}

	async start(
		batchId: string,
		runId: string,
		opts: StartOptions = {},
	): Promise<boolean> {
		const claims = await this.claims(batchId);
		if (claims.length > 0) {
			const prev = await this.claimOf(batchId);
			const canRerun =
				opts.force ||
				(opts.rerun && prev !== undefined && prev.status !== "started");
			if (!canRerun) return false;
		}
		await mkdir(this.claimsDir(batchId), { recursive: true });
		const next = `claim-${String(claims.length + 1).padStart(6, "0")}.json`;
		try {
			// Exclusive create of the next claim number: of concurrent starts
			// (first runs or re-runs alike), exactly one wins.
			await writeFile(
				join(this.claimsDir(batchId), next),
				JSON.stringify({ batchId, runId }),
				{ flag: "wx" },
			);
		} catch (e) {
			if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
			throw e;
		}
		const now = new Date().toISOString();
		await writeJsonAtomic(this.runPath(runId), {
			runId,
			batchId,
			status: "started",
			history: [{ status: "started", at: now }],
			startedAt: now,
			stages: [],
		} satisfies RunRecord);
		return true;
	}

	private async update(
		runId: string,
		f: (r: RunRecord) => void,
	): Promise<void> {
		const r = await this.get(runId);
		if (!r) throw new Error(`run ${runId} is not in the manifest`);
		f(r);
		await writeJsonAtomic(this.runPath(runId), r);
	}

	recordStage(runId: string, stage: StageRecord): Promise<void> {
		return this.update(runId, (r) => {
			r.stages = [...r.stages.filter((s) => s.stage !== stage.stage), stage];
		});
	}
	succeed(runId: string, summary: Record<string, unknown>): Promise<void> {
		return this.update(runId, (r) => {
			const at = new Date().toISOString();
			r.status = "succeeded";
			r.finishedAt = at;
			r.summary = summary;
			r.history.push({ status: "succeeded", at });
		});
	}
	fail(runId: string, error: { name: string; message: string }): Promise<void> {
		return this.update(runId, (r) => {
			const at = new Date().toISOString();
			r.status = "failed";
			r.finishedAt = at;
			r.history.push({ status: "failed", at, error });
		});
	}
	/** The run that holds the batch's claim, if any. */
	async claimOf(batchId: string): Promise<RunRecord | undefined> {
		const last = (await this.claims(batchId)).at(-1);
		if (!last) return undefined;
		const { runId } = JSON.parse(
			await readFile(join(this.claimsDir(batchId), last), "utf8"),
		) as { runId: string };
		return this.get(runId);
	}
	async get(runId: string): Promise<RunRecord | undefined> {
		try {
			return JSON.parse(
				await readFile(this.runPath(runId), "utf8"),
			) as RunRecord;
		} catch (e) {
			if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
			throw e;
		}
	}
	async list(): Promise<RunRecord[]> {
		let files: string[] = [];
		try {
			files = await readdir(join(this.dir, "runs"));
		} catch {
			return [];
		}
		const runs = await Promise.all(
			files
				.filter((f) => f.endsWith(".json"))
				.map((f) => this.get(f.replace(/\.json$/, ""))),
		);
		return runs
			.filter((r): r is RunRecord => r !== undefined)
			.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
	}
}
