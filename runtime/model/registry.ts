/**
 * Model registry (docs/data-contract.md §6, docs/models.md): every candidate is
 * registered — version, metrics, features, threshold, calibration, training
 * run id, approved/rejected and why — and a champion pointer that only
 * `promote` moves, and only to an approved version (docs/models.md,
 * "Promotion"): registering never changes the champion; the pipeline's
 * MarkSucceeded promotes the run's approved candidate once the run has
 * succeeded. One version per training run: registering the same run id again
 * (a retried Train) returns the version already registered.
 *
 * The interface is async and storage-agnostic; LocalModelRegistry keeps it in
 * a folder (the AWS one — DynamoDB + S3 — implements the same interface):
 *
 *   <root>/models/registry.json             versions + champion pointer
 *   <root>/models/<version>/model.json      the artifact
 *   <root>/models/<version>/evaluation.json metrics, curves, calibration check
 */
import { join, resolve } from "node:path";
import { RUN_DEFAULTS } from "../contract.ts";
import { ModelInputError } from "../errors.ts";
import { readJson, writeJsonAtomic } from "../io/lake.ts";
import {
	type Evaluation,
	type ModelArtifact,
	readArtifact,
	type TestMetrics,
} from "./artifact.ts";
import type { PlattCalibration } from "./calibration.ts";
import type { ThresholdChoice } from "./threshold.ts";
import type { Algorithm } from "./types.ts";

/**
 * approved: passed the absolute gate and the comparison with the champion,
 * so it may become champion (pending until promoted); rejected: it may not.
 */
export type ModelStatus = "approved" | "rejected";

/** Default absolute gate on test PR-AUC (runtime/contract.ts; docs/models.md, "Promotion"). */
export const DEFAULT_GATE: number = RUN_DEFAULTS.gate;
/**
 * Default margin by which a candidate's test PR-AUC must beat the champion's
 * on the same test rows (runtime/contract.ts; docs/models.md, "Promotion").
 */
export const DEFAULT_PROMOTION_MARGIN: number = RUN_DEFAULTS.promotionMargin;

/** The promotion gate's verdict on one candidate. */
export interface GateDecision {
	metric: "pr_auc";
	/** Minimum required (default 0.70). */
	minimum: number;
	value: number;
	passed: boolean;
}

/**
 * The comparison with the current champion on the candidate's test rows
 * (docs/models.md, "Promotion").
 */
export interface PromotionDecision {
	metric: "pr_auc";
	/** The champion compared with (null: none was approved yet). */
	champion: string | null;
	/** The champion's PR-AUC on the candidate's test rows (null: no champion, or it could not score them). */
	championValue: number | null;
	candidateValue: number;
	/** The candidate must reach championValue + margin. */
	margin: number;
	passed: boolean;
	/** One sentence: why it passed or not. */
	reason: string;
}

export interface RegistryCandidate {
	artifact: ModelArtifact;
	evaluation: Evaluation;
	gate: GateDecision;
	/** Absent: no comparison was made (approved on the gate alone). */
	promotion?: PromotionDecision;
	runId: string;
}

export interface ModelVersion {
	version: string;
	registeredAt: string;
	runId: string;
	status: ModelStatus;
	experiment: string;
	algorithm: Algorithm;
	metrics: TestMetrics;
	features: string[];
	threshold: ThresholdChoice;
	calibration: PlattCalibration;
	gate: GateDecision;
	promotion?: PromotionDecision;
	/** Why it is approved or rejected (gate, then comparison). */
	reason: string;
}

/** What `promote` checks before it moves the pointer. */
export interface PromoteOptions {
	/**
	 * Compare-and-set: move only if the champion is still this one (null: no
	 * champion yet), the one the candidate was compared with. A champion
	 * already at `version` is a no-op (a retried MarkSucceeded).
	 */
	ifChampion?: string | null;
}

/** The champion moved since the candidate was compared with it: promoting would skip that comparison. */
export class ChampionMovedError extends Error {
	override readonly name = "ChampionMovedError";
}

export interface ModelRegistry {
	/**
	 * Store the candidate (approved or rejected); never moves the champion.
	 * Idempotent per run: a second call with the same runId returns the
	 * version that run already registered, artifact untouched.
	 */
	register(candidate: RegistryCandidate): Promise<ModelVersion>;
	get(version: string): Promise<ModelVersion | undefined>;
	/** The version a training run registered, if any. */
	forRun(runId: string): Promise<ModelVersion | undefined>;
	/** Every version, oldest first. */
	list(): Promise<ModelVersion[]>;
	champion(): Promise<ModelVersion | undefined>;
	/**
	 * Move the champion to an approved version (MarkSucceeded, or a rollback);
	 * refuses rejected ones, and with `ifChampion` throws ChampionMovedError
	 * when another writer moved the champion meanwhile.
	 */
	promote(version: string, options?: PromoteOptions): Promise<ModelVersion>;
	loadArtifact(version: string): Promise<ModelArtifact>;
	loadEvaluation(version: string): Promise<Evaluation>;
}

/** Gate decision: the candidate's test PR-AUC against the configured minimum. */
export function gateDecision(
	metrics: TestMetrics,
	minimum = DEFAULT_GATE,
): GateDecision {
	return {
		metric: "pr_auc",
		minimum,
		value: metrics.pr_auc,
		passed: metrics.pr_auc >= minimum,
	};
}

interface RegistryFile {
	champion: string | null;
	versions: ModelVersion[];
}

/** Version names: v0001, v0002, … (sortable). */
export function versionName(sequence: number): string {
	return `v${String(sequence).padStart(4, "0")}`;
}

/**
 * The comparison of a candidate with the champion on the same test rows.
 * `championValue` null with a champion: it could not score them (`why`);
 * the candidate then stands on the gate alone, and the reason says so.
 */
export function promotionDecision(
	candidateValue: number,
	champion: string | null,
	championValue: number | null,
	margin = DEFAULT_PROMOTION_MARGIN,
	why?: string,
): PromotionDecision {
	const base = { metric: "pr_auc" as const, champion, candidateValue, margin };
	const f = (v: number) => v.toFixed(4);
	if (champion === null)
		return {
			...base,
			championValue: null,
			passed: true,
			reason: "no champion yet: nothing to beat",
		};
	if (championValue === null)
		return {
			...base,
			championValue: null,
			passed: true,
			reason: `champion ${champion} could not score the candidate's test rows (${why ?? "unknown"}): judged on the gate alone`,
		};
	const passed = candidateValue >= championValue + margin;
	return {
		...base,
		championValue,
		passed,
		reason: passed
			? `beats champion ${champion}: PR-AUC ${f(candidateValue)} ≥ ${f(championValue)} + ${margin} on the same test rows`
			: `does not beat champion ${champion}: PR-AUC ${f(candidateValue)} < ${f(championValue)} + ${margin} on the same test rows`,
	};
}

/** approved or rejected, and why: the gate first, then the comparison. */
function verdict(
	c: RegistryCandidate,
): Pick<ModelVersion, "status" | "reason"> {
	const { gate, promotion } = c;
	if (!gate.passed)
		return {
			status: "rejected",
			reason: `below the gate: PR-AUC ${gate.value.toFixed(4)} < ${gate.minimum}`,
		};
	if (promotion && !promotion.passed)
		return { status: "rejected", reason: promotion.reason };
	return {
		status: "approved",
		reason: promotion
			? `passed the gate (≥ ${gate.minimum}); ${promotion.reason}`
			: `passed the gate (≥ ${gate.minimum})`,
	};
}

/** The registry entry of a candidate: approved exactly when it passed the gate and the comparison. */
export function versionEntry(
	version: string,
	candidate: RegistryCandidate,
): ModelVersion {
	const { artifact, evaluation, gate, runId } = candidate;
	return {
		version,
		registeredAt: new Date().toISOString(),
		runId,
		...verdict(candidate),
		experiment: artifact.experiment,
		algorithm: artifact.algorithm,
		metrics: evaluation.metrics,
		features: [...artifact.features],
		threshold: artifact.threshold,
		calibration: artifact.calibration,
		gate,
		...(candidate.promotion ? { promotion: candidate.promotion } : {}),
	};
}

/**
 * Refuses what `promote` must never do; returns the entry and whether the
 * champion is already `version` (nothing to write).
 */
export function checkPromotion(
	found: ModelVersion | undefined,
	version: string,
	current: string | null,
	options: PromoteOptions = {},
): { entry: ModelVersion; already: boolean } {
	const entry = found;
	if (!entry)
		throw new ModelInputError(`registry: no model version ${version}`);
	if (entry.status !== "approved")
		throw new ModelInputError(
			`registry: ${version} was ${entry.status} (${entry.reason ?? "by the gate"}) and cannot become champion`,
		);
	if (current === version) return { entry, already: true };
	if (options.ifChampion !== undefined && options.ifChampion !== current)
		throw new ChampionMovedError(
			`registry: the champion is ${current ?? "none"}, not ${options.ifChampion ?? "none"} as when ${version} was compared with it; not promoting ${version}`,
		);
	return { entry, already: false };
}

export class LocalModelRegistry implements ModelRegistry {
	readonly dir: string;
	/** Serialises writes within this process; one writer per lake is assumed across processes. */
	private queue: Promise<unknown> = Promise.resolve();

	constructor(root: string) {
		this.dir = join(resolve(root), "models");
	}

	private get indexPath(): string {
		return join(this.dir, "registry.json");
	}

	private async read(): Promise<RegistryFile> {
		try {
			return await readJson<RegistryFile>(this.indexPath);
		} catch (e) {
			if ((e as NodeJS.ErrnoException).code === "ENOENT")
				return { champion: null, versions: [] };
			throw e;
		}
	}

	private exclusive<T>(work: () => Promise<T>): Promise<T> {
		const next = this.queue.then(work, work);
		this.queue = next.catch(() => undefined);
		return next;
	}

	register(candidate: RegistryCandidate): Promise<ModelVersion> {
		return this.exclusive(async () => {
			const index = await this.read();
			// One version per training run: a retried Train gets the first one back.
			const prior = index.versions.find((v) => v.runId === candidate.runId);
			if (prior) return prior;
			const version = versionName(index.versions.length + 1);
			const { artifact, evaluation } = candidate;
			const entry = versionEntry(version, candidate);
			// Artifacts first, index last: a crash in between leaves an unreferenced folder, never a dangling entry.
			await writeJsonAtomic(join(this.dir, version, "model.json"), artifact);
			await writeJsonAtomic(
				join(this.dir, version, "evaluation.json"),
				evaluation,
			);
			await writeJsonAtomic(this.indexPath, {
				champion: index.champion,
				versions: [...index.versions, entry],
			} satisfies RegistryFile);
			return entry;
		});
	}

	async get(version: string): Promise<ModelVersion | undefined> {
		return (await this.read()).versions.find((v) => v.version === version);
	}

	async forRun(runId: string): Promise<ModelVersion | undefined> {
		return (await this.read()).versions.find((v) => v.runId === runId);
	}

	async list(): Promise<ModelVersion[]> {
		return (await this.read()).versions;
	}

	async champion(): Promise<ModelVersion | undefined> {
		const index = await this.read();
		return index.champion === null
			? undefined
			: index.versions.find((v) => v.version === index.champion);
	}

	promote(version: string, options?: PromoteOptions): Promise<ModelVersion> {
		return this.exclusive(async () => {
			const index = await this.read();
			const { entry, already } = checkPromotion(
				index.versions.find((v) => v.version === version),
				version,
				index.champion,
				options,
			);
			if (already) return entry;
			await writeJsonAtomic(this.indexPath, {
				...index,
				champion: version,
			} satisfies RegistryFile);
			return entry;
		});
	}

	async loadArtifact(version: string): Promise<ModelArtifact> {
		await this.mustExist(version);
		return readArtifact(join(this.dir, version, "model.json"));
	}

	async loadEvaluation(version: string): Promise<Evaluation> {
		await this.mustExist(version);
		return readJson<Evaluation>(join(this.dir, version, "evaluation.json"));
	}

	private async mustExist(version: string): Promise<void> {
		if (!(await this.get(version)))
			throw new ModelInputError(`registry: no model version ${version}`);
	}
}
