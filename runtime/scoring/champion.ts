/**
 * The champion from the registry, loaded and ready to score, and the
 * scoring + recommendation step the pipeline runs with it.
 */
import type { Table } from "../io/tables.ts";
import type { ModelArtifact } from "../model/artifact.ts";
import { loadModel } from "../model/learners/index.ts";
import type { ModelRegistry, ModelVersion } from "../model/registry.ts";
import type { FittedModel } from "../model/types.ts";
import { contributionsTable, explainCustomers } from "./explanations.ts";
import {
	type Recommendation,
	recommend,
	recommendationsTable,
} from "./recommendations.ts";
import { scoreCustomers, tierCounts } from "./score.ts";

export interface LoadedModel {
	version: ModelVersion;
	artifact: ModelArtifact;
	model: FittedModel;
}

/** The current champion, or undefined when no model has passed the gate yet. */
export async function loadChampion(
	registry: ModelRegistry,
): Promise<LoadedModel | undefined> {
	const version = await registry.champion();
	if (!version) return undefined;
	const artifact = await registry.loadArtifact(version.version);
	return { version, artifact, model: loadModel(artifact.model) };
}

/** A given version (the run's planned one), loaded; undefined when the registry has no such version. */
export async function loadVersion(
	registry: ModelRegistry,
	name: string,
): Promise<LoadedModel | undefined> {
	const version = await registry.get(name);
	if (!version) return undefined;
	const artifact = await registry.loadArtifact(version.version);
	return { version, artifact, model: loadModel(artifact.model) };
}

export interface ScoringResult {
	modelVersion: string;
	/** customer_id, churn_proba, churn_pred, risk_tier, expected_monthly_loss, model_version (+ top drivers for a tree model). */
	scored: Table;
	recommendations: Recommendation[];
	recommendationsTable: Table;
	tierCounts: Record<string, number>;
}

export function scoreAndRecommend(
	gold: Table,
	champion: LoadedModel,
): ScoringResult {
	const explanation = explainCustomers(gold, champion.artifact);
	const scored = scoreCustomers(gold, champion.artifact, champion.model, {
		modelVersion: champion.version.version,
		explanation,
	});
	const recommendations = recommend(
		scored,
		gold,
		explanation && contributionsTable(explanation),
	);
	return {
		modelVersion: champion.version.version,
		scored,
		recommendations,
		recommendationsTable: recommendationsTable(recommendations),
		tierCounts: tierCounts(scored),
	};
}
