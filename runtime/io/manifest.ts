/**
 * Run manifest: one record per run with its status history. The same
 * interface has a DynamoDB implementation for AWS (conditional writes); this
 * is the embedded one, files under <root>/manifest/.
 */
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeJsonAtomic } from "./lake.ts";

export type RunStatus = "started" | "succeeded" | "failed";

export interface StageRecord {
	stage: string;
	seconds: number;
	rows?: Record<string, number>;
	faults?: Record<string, number>;
	detail?: Record<string, unknown>;
}

export interface RunRecord {
	runId: string;
	batchId: string;
	status: RunStatus;
	history: Array<{ status: RunStatus; at: string; error?: { name: string; message: string } }>;
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
	private batchPath(batchId: string) {
		return join(this.dir, "batches", `${batchId}.json`);
	}

	async start(batchId: string, runId: string, opts: StartOptions = {}): Promise<boolean> {
		await mkdir(join(this.dir, "batches"), { recursive: true });
		const claim = JSON.stringify({ batchId, runId });
		try {
			// Exclusive create: of two concurrent starts for one batch, exactly one wins.
			await writeFile(this.batchPath(batchId), claim, { flag: "wx" });
		} catch (e) {
			if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
			const previous = JSON.parse(await readFile(this.batchPath(batchId), "utf8")) as { runId: string };
			const prev = await this.get(previous.runId);
			const canRerun = opts.force || (opts.rerun && prev?.status !== "started");
			if (!canRerun) return false;
			await writeJsonAtomic(this.batchPath(batchId), { batchId, runId });
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

	private async update(runId: string, f: (r: RunRecord) => void): Promise<void> {
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
		try {
			const { runId } = JSON.parse(await readFile(this.batchPath(batchId), "utf8")) as { runId: string };
			return this.get(runId);
		} catch {
			return undefined;
		}
	}
	async get(runId: string): Promise<RunRecord | undefined> {
		try {
			return JSON.parse(await readFile(this.runPath(runId), "utf8")) as RunRecord;
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
			files.filter((f) => f.endsWith(".json")).map((f) => this.get(f.replace(/\.json$/, ""))),
		);
		return runs.filter((r): r is RunRecord => r !== undefined).sort((a, b) => a.startedAt.localeCompare(b.startedAt));
	}
}
