/**
 * Model registry (DATA_SPEC §6, models issue item 6): every candidate is
 * registered — version, metrics, features, threshold, calibration, training
 * run id, approved/rejected — and a champion pointer that only an approved
 * model moves. A rejected candidate leaves the champion in place.
 *
 * The interface is async and storage-agnostic; LocalModelRegistry keeps it in
 * a folder (the AWS one — DynamoDB + S3 — implements the same interface):
 *
 *   <root>/models/registry.json             versions + champion pointer
 *   <root>/models/<version>/model.json      the artifact
 *   <root>/models/<version>/evaluation.json metrics, curves, calibration check
 */
import { join, resolve } from "node:path";
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

export type ModelStatus = "approved" | "rejected";

/** The promotion gate's verdict on one candidate. */
export interface GateDecision {
	metric: "pr_auc";
	/** Minimum required (default 0.70). */
	minimum: number;
	value: number;
	passed: boolean;
}

export interface RegistryCandidate {
	artifact: ModelArtifact;
	evaluation: Evaluation;
	gate: GateDecision;
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
}

export interface ModelRegistry {
	/** Store the candidate; approved (gate passed) ones become champion. */
	register(candidate: RegistryCandidate): Promise<ModelVersion>;
	get(version: string): Promise<ModelVersion | undefined>;
	/** Every version, oldest first. */
	list(): Promise<ModelVersion[]>;
	champion(): Promise<ModelVersion | undefined>;
	/** Move the champion to an earlier approved version (rollback); refuses rejected ones. */
	promote(version: string): Promise<ModelVersion>;
	loadArtifact(version: string): Promise<ModelArtifact>;
	loadEvaluation(version: string): Promise<Evaluation>;
}

/** Gate decision: the candidate's test PR-AUC against the configured minimum. */
export function gateDecision(
	metrics: TestMetrics,
	minimum = 0.7,
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

/** The registry entry of a candidate: approved exactly when it passed the gate. */
export function versionEntry(
	version: string,
	candidate: RegistryCandidate,
): ModelVersion {
	const { artifact, evaluation, gate, runId } = candidate;
	return {
		version,
		registeredAt: new Date().toISOString(),
		runId,
		status: gate.passed ? "approved" : "rejected",
		experiment: artifact.experiment,
		algorithm: artifact.algorithm,
		metrics: evaluation.metrics,
		features: [...artifact.features],
		threshold: artifact.threshold,
		calibration: artifact.calibration,
		gate,
	};
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
				champion: entry.status === "approved" ? version : index.champion,
				versions: [...index.versions, entry],
			} satisfies RegistryFile);
			return entry;
		});
	}

	async get(version: string): Promise<ModelVersion | undefined> {
		return (await this.read()).versions.find((v) => v.version === version);
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

	promote(version: string): Promise<ModelVersion> {
		return this.exclusive(async () => {
			const index = await this.read();
			const entry = index.versions.find((v) => v.version === version);
			if (!entry)
				throw new ModelInputError(`registry: no model version ${version}`);
			if (entry.status !== "approved")
				throw new ModelInputError(
					`registry: ${version} was ${entry.status} by the gate and cannot become champion`,
				);
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
