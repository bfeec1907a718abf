/**
 * Run manifest: one record per run with its status history. The same
 * interface has a DynamoDB implementation for AWS (conditional writes); this
 * is the embedded one, files under <root>/manifest/.
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { writeJsonAtomic } from "./lake.ts";
import {
	type FinishedStatus,
	type RunOwner,
	type RunStatus,
	transition,
} from "./run-lifecycle.ts";

export {
	type FinishedStatus,
	type RunOwner,
	type RunStatus,
	RunTransitionError,
	transition,
} from "./run-lifecycle.ts";

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
	/** Identity of the request that started the run (an S3 event, a Lambda request id): a retry of it resumes this run. */
	requestKey?: string;
	/** The local process running it. */
	owner?: RunOwner;
}

export interface StartOptions {
	rerun?: boolean;
	force?: boolean;
	requestKey?: string;
	owner?: RunOwner;
}

export interface RunManifest {
	/**
	 * Claims the batch for a new run. Returns false when the batch already has a
	 * run, unless `rerun` (allowed once that run has finished) or `force`
	 * (also over a run left "started", e.g. by a killed process).
	 */
	start(batchId: string, runId: string, opts?: StartOptions): Promise<boolean>;
	recordStage(runId: string, stage: StageRecord): Promise<void>;
	/** started → succeeded; a no-op when already succeeded; RunTransitionError over failed/aborted. */
	succeed(runId: string, summary: Record<string, unknown>): Promise<void>;
	/** started → failed; false (nothing changed) when the run had already finished. */
	fail(
		runId: string,
		error: { name: string; message: string },
	): Promise<boolean>;
	/** started → aborted (Ctrl-C, a killed process, an aborted execution); false when already finished. */
	abort(
		runId: string,
		error: { name: string; message: string },
	): Promise<boolean>;
	get(runId: string): Promise<RunRecord | undefined>;
	/** The run currently holding the batch's claim, if any. */
	claimOf(batchId: string): Promise<RunRecord | undefined>;
	list(): Promise<RunRecord[]>;
}

/**
 * Read-modify-writes of one run file, one at a time per process: parallel
 * shards record stages and a signal handler may abort while MarkFailed runs,
 * and each must see the other's write (module-level, because every stage
 * builds its own manifest object on the same folder).
 */
const runFileQueues = new Map<string, Promise<unknown>>();
function serialized<T>(path: string, f: () => Promise<T>): Promise<T> {
	const previous = runFileQueues.get(path) ?? Promise.resolve();
	const next = previous.then(f, f);
	const settled = next.catch(() => undefined);
	runFileQueues.set(path, settled);
	void settled.then(() => {
		if (runFileQueues.get(path) === settled) runFileQueues.delete(path);
	});
	return next;
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
			...(opts.requestKey ? { requestKey: opts.requestKey } : {}),
			...(opts.owner ? { owner: opts.owner } : {}),
		} satisfies RunRecord);
		return true;
	}

	private update(
		runId: string,
		f: (r: RunRecord) => boolean,
	): Promise<boolean> {
		return serialized(resolve(this.runPath(runId)), async () => {
			const r = await this.get(runId);
			if (!r) throw new Error(`run ${runId} is not in the manifest`);
			if (!f(r)) return false;
			await writeJsonAtomic(this.runPath(runId), r);
			return true;
		});
	}

	private finish(
		runId: string,
		status: FinishedStatus,
		extra: {
			summary?: Record<string, unknown>;
			error?: { name: string; message: string };
		},
	): Promise<boolean> {
		return this.update(runId, (r) => {
			if (transition(runId, r.status, status) === "noop") return false;
			const at = new Date().toISOString();
			r.status = status;
			r.finishedAt = at;
			if (extra.summary !== undefined) r.summary = extra.summary;
			r.history.push(
				extra.error ? { status, at, error: extra.error } : { status, at },
			);
			return true;
		});
	}

	async recordStage(runId: string, stage: StageRecord): Promise<void> {
		await this.update(runId, (r) => {
			r.stages = [...r.stages.filter((s) => s.stage !== stage.stage), stage];
			return true;
		});
	}
	async succeed(
		runId: string,
		summary: Record<string, unknown>,
	): Promise<void> {
		await this.finish(runId, "succeeded", { summary });
	}
	fail(
		runId: string,
		error: { name: string; message: string },
	): Promise<boolean> {
		return this.finish(runId, "failed", { error });
	}
	abort(
		runId: string,
		error: { name: string; message: string },
	): Promise<boolean> {
		return this.finish(runId, "aborted", { error });
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
