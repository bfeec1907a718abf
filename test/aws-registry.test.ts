/**
 * One behavioural suite for both ModelRegistry implementations: the local
 * folder and AWS (DynamoDB on dynalite + artifacts on S3 via s3rver).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelInputError } from "../runtime/errors.ts";
import {
	createStateTable,
	documentClient,
} from "../runtime/io/dynamodb-manifest.ts";
import { S3ObjectStore } from "../runtime/io/s3-object-store.ts";
import type {
	Evaluation,
	ModelArtifact,
	TestMetrics,
} from "../runtime/model/artifact.ts";
import { AwsModelRegistry } from "../runtime/model/aws-registry.ts";
import {
	ChampionMovedError,
	gateDecision,
	LocalModelRegistry,
	type ModelRegistry,
	promotionDecision,
	type RegistryCandidate,
} from "../runtime/model/registry.ts";
import {
	type DynamoPeer,
	type S3Peer,
	startDynamoPeer,
	startS3Peer,
} from "./support/peers.ts";

let dynamo: DynamoPeer;
let s3: S3Peer;
let scratch: string;
let n = 0;

beforeAll(async () => {
	[dynamo, s3] = await Promise.all([startDynamoPeer(), startS3Peer()]);
	scratch = await mkdtemp(join(tmpdir(), "aws-registry-"));
});
afterAll(async () => {
	await Promise.all([dynamo?.stop(), s3?.stop()]);
	await rm(scratch, { recursive: true, force: true });
});

interface AwsSetup {
	registry: AwsModelRegistry;
	store: S3ObjectStore;
	table: string;
}

async function freshAws(): Promise<AwsSetup> {
	const id = ++n;
	const table = `spanishgas-registry-${id}`;
	await createStateTable(dynamo.client, table);
	await s3.createBucket(`lake-registry-${id}`);
	const store = new S3ObjectStore({
		bucket: `lake-registry-${id}`,
		client: s3.client,
	});
	return {
		registry: new AwsModelRegistry({ table, store, client: dynamo.client }),
		store,
		table,
	};
}

const impls: Array<{ name: string; make(): Promise<ModelRegistry> }> = [
	{
		name: "LocalModelRegistry",
		make: async () =>
			new LocalModelRegistry(await mkdtemp(join(scratch, "lake-"))),
	},
	{
		name: "AwsModelRegistry (dynalite + s3rver)",
		make: async () => (await freshAws()).registry,
	},
];

function metrics(pr_auc: number): TestMetrics {
	return {
		pr_auc,
		roc_auc: 0.9,
		precision: 0.5,
		recall: 0.7,
		f1: 0.58,
		accuracy: 0.9,
		threshold: 0.3,
		confusion: { tp: 7, fp: 7, tn: 83, fn: 3 },
	};
}

function candidate(prAuc: number, runId: string): RegistryCandidate {
	const m = metrics(prAuc);
	const artifact: ModelArtifact = {
		kind: "spanishgas-churn-model",
		format: 1,
		experiment: "E5_full",
		algorithm: "xgboost",
		features: ["tenure_months"],
		preprocessor: {
			format: 1,
			features: ["tenure_months"],
			standardize: false,
			numeric: [{ name: "tenure_months", median: 3 }],
			categorical: [],
			columns: ["tenure_months"],
		},
		model: {
			algorithm: "xgboost",
			format: 1,
			params: {},
			columns: ["tenure_months"],
			state: { runId },
		},
		calibration: { method: "platt", a: -3, b: 1 },
		threshold: {
			threshold: 0.3,
			rule: "precision_at_recall",
			minRecall: 0.7,
			precision: 0.5,
			recall: 0.7,
			f1: 0.58,
		},
		metadata: {
			runId,
			trainedAt: "2026-01-01T00:00:00Z",
			seed: 1,
			productionModel: "full_train",
			rows: { train: 80, subTrain: 60, holdout: 20, test: 20 },
			positiveRate: 0.1,
		},
	};
	const evaluation: Evaluation = {
		metrics: m,
		curves: {
			pr: { precision: [1, 0.5], recall: [0, 1], thresholds: [0.4] },
			roc: { fpr: [0], tpr: [0], thresholds: [] },
		},
		calibrationCheck: {
			holdout: { meanProba: 0.1, churnRate: 0.1 },
			test: { meanProba: 0.1, churnRate: 0.1, brier: 0.05 },
		},
	};
	return { artifact, evaluation, gate: gateDecision(m), runId };
}

describe.each(impls)("$name", (impl) => {
	it("starts empty", async () => {
		const reg = await impl.make();
		expect(await reg.list()).toEqual([]);
		expect(await reg.champion()).toBeUndefined();
		expect(await reg.get("v0001")).toBeUndefined();
	});

	it("registers every candidate approved or rejected with the reason; only promote moves the champion", async () => {
		const reg = await impl.make();
		const v1 = await reg.register(candidate(0.62, "run-1"));
		expect(v1).toMatchObject({
			version: "v0001",
			status: "rejected",
			runId: "run-1",
			reason: "below the gate: PR-AUC 0.6200 < 0.7",
		});
		expect(await reg.champion()).toBeUndefined();

		const v2 = await reg.register(candidate(0.75, "run-2"));
		expect(v2).toMatchObject({
			status: "approved",
			reason: "passed the gate (≥ 0.7)",
		});
		// Approved is pending: registering never moves the champion (MarkSucceeded promotes).
		expect(await reg.champion()).toBeUndefined();
		await reg.promote("v0002", { ifChampion: null });
		expect((await reg.champion())?.version).toBe("v0002");

		const v3 = await reg.register(candidate(0.5, "run-3"));
		expect(v3.status).toBe("rejected");
		expect((await reg.champion())?.version).toBe("v0002");

		await reg.register(candidate(0.8, "run-4"));
		expect((await reg.champion())?.version).toBe("v0002");
		await reg.promote("v0004", { ifChampion: "v0002" });
		expect((await reg.champion())?.version).toBe("v0004");

		const all = await reg.list();
		expect(all.map((v) => [v.version, v.status])).toEqual([
			["v0001", "rejected"],
			["v0002", "approved"],
			["v0003", "rejected"],
			["v0004", "approved"],
		]);
		expect(all[1]).toEqual(v2);
		expect(all[1]).toMatchObject({
			metrics: { pr_auc: 0.75 },
			features: ["tenure_months"],
			threshold: { threshold: 0.3 },
			calibration: { method: "platt", a: -3, b: 1 },
			runId: "run-2",
			gate: { metric: "pr_auc", minimum: 0.7, value: 0.75, passed: true },
			experiment: "E5_full",
			algorithm: "xgboost",
		});
		expect(await reg.get("v0003")).toEqual(v3);
	});

	it("promote rolls back to an approved version and refuses rejected or unknown ones", async () => {
		const reg = await impl.make();
		await reg.register(candidate(0.75, "a"));
		await reg.register(candidate(0.4, "b"));
		await reg.register(candidate(0.8, "c"));
		await reg.promote("v0003");
		await expect(reg.promote("v0002")).rejects.toThrow(
			/v0002 was rejected \(below the gate/,
		);
		await expect(reg.promote("v0002")).rejects.toBeInstanceOf(ModelInputError);
		await expect(reg.promote("v0009")).rejects.toThrow(
			/no model version v0009/,
		);
		expect((await reg.champion())?.version).toBe("v0003");
		expect((await reg.promote("v0001")).version).toBe("v0001");
		expect((await reg.champion())?.version).toBe("v0001");
		// A newer approved registration does not move it: only promote does.
		await reg.register(candidate(0.9, "d"));
		expect((await reg.champion())?.version).toBe("v0001");
	});

	it("a retried registration of the same run returns its first version and artifact", async () => {
		const reg = await impl.make();
		const first = await reg.register(candidate(0.75, "run-r"));
		// The retry trained again and came out different: the first version stands.
		const retry = candidate(0.9, "run-r");
		retry.artifact.threshold.threshold = 0.5;
		const again = await reg.register(retry);
		expect(again).toEqual(first);
		expect(await reg.list()).toHaveLength(1);
		expect((await reg.loadArtifact(first.version)).threshold.threshold).toBe(
			0.3,
		);
		expect(await reg.forRun("run-r")).toEqual(first);
		expect(await reg.forRun("run-other")).toBeUndefined();
		// Concurrent attempts of one run (a Lambda retry racing a slow first attempt): one version.
		const racing = await Promise.all(
			[0.8, 0.81, 0.82].map((p) => reg.register(candidate(p, "run-race"))),
		);
		expect(new Set(racing.map((v) => v.version)).size).toBe(1);
		expect(await reg.list()).toHaveLength(2);
	});

	it("promote with ifChampion refuses when another run moved the champion, and is a no-op when already there", async () => {
		const reg = await impl.make();
		await reg.register(candidate(0.75, "a"));
		await reg.register(candidate(0.8, "b"));
		await reg.register(candidate(0.85, "c"));
		await reg.promote("v0001", { ifChampion: null });
		// Run b compared with v0001; run c promoted meanwhile.
		await reg.promote("v0003", { ifChampion: "v0001" });
		await expect(
			reg.promote("v0002", { ifChampion: "v0001" }),
		).rejects.toBeInstanceOf(ChampionMovedError);
		await expect(reg.promote("v0002", { ifChampion: null })).rejects.toThrow(
			/champion is v0003, not none/,
		);
		expect((await reg.champion())?.version).toBe("v0003");
		// A retried MarkSucceeded of run c: already champion, nothing to do.
		expect((await reg.promote("v0003", { ifChampion: "v0001" })).version).toBe(
			"v0003",
		);
		expect((await reg.champion())?.version).toBe("v0003");
	});

	it("records the comparison with the champion; losing it rejects the candidate with the reason", async () => {
		const reg = await impl.make();
		const lost = {
			...candidate(0.75, "weekly"),
			promotion: promotionDecision(0.75, "v0007", 0.8, 0.005),
		};
		const v = await reg.register(lost);
		expect(v).toMatchObject({
			status: "rejected",
			reason:
				"does not beat champion v0007: PR-AUC 0.7500 < 0.8000 + 0.005 on the same test rows",
			promotion: { champion: "v0007", championValue: 0.8, passed: false },
		});
		await expect(reg.promote(v.version)).rejects.toThrow(/does not beat/);
		const won = {
			...candidate(0.81, "weekly-2"),
			promotion: promotionDecision(0.81, "v0007", 0.8, 0.005),
		};
		expect((await reg.register(won)).status).toBe("approved");
	});

	it("round-trips artifacts and evaluations", async () => {
		const reg = await impl.make();
		const c = candidate(0.9, "persist");
		const rejected = candidate(0.1, "low");
		await reg.register(c);
		await reg.register(rejected);
		expect(await reg.loadArtifact("v0001")).toEqual(c.artifact);
		expect(await reg.loadEvaluation("v0001")).toEqual(c.evaluation);
		// Rejected candidates keep their artifacts too (for the report and audits).
		expect(await reg.loadArtifact("v0002")).toEqual(rejected.artifact);
		await expect(reg.loadArtifact("v0003")).rejects.toThrow(
			/no model version v0003/,
		);
		await expect(reg.loadEvaluation("v0003")).rejects.toThrow(ModelInputError);
	});

	it("concurrent registrations get distinct versions", async () => {
		const reg = await impl.make();
		const out = await Promise.all(
			[0.71, 0.72, 0.73, 0.1].map((p, i) =>
				reg.register(candidate(p, `r${i}`)),
			),
		);
		expect(out.map((v) => v.version).sort()).toEqual([
			"v0001",
			"v0002",
			"v0003",
			"v0004",
		]);
		expect(await reg.list()).toHaveLength(4);
		// Registering moves no champion, whatever order the writes landed in.
		expect(await reg.champion()).toBeUndefined();
	});
});

describe("AwsModelRegistry specifics", () => {
	it("keeps artifacts in S3 under models/<version>/ and survives a new instance", async () => {
		const { registry, store, table } = await freshAws();
		const c = candidate(0.77, "r");
		await registry.register(c);
		expect(await store.list("models/")).toEqual([
			"models/v0001/evaluation.json",
			"models/v0001/model.json",
		]);
		expect(JSON.parse(await store.getText("models/v0001/model.json"))).toEqual(
			c.artifact,
		);
		await registry.promote("v0001");
		const again = new AwsModelRegistry({ table, store, client: dynamo.client });
		expect((await again.champion())?.version).toBe("v0001");
		expect(await again.loadArtifact("v0001")).toEqual(c.artifact);
	});

	it("the champion write itself refuses a version the pointer does not hold as approved", async () => {
		const { registry, table } = await freshAws();
		await registry.register(candidate(0.8, "real"));
		await registry.promote("v0001");
		// A forged version item claiming "approved" (e.g. written by a buggy tool) is not in the
		// pointer's approved set: the conditional write refuses it and the champion stays.
		const forged = { ...(await registry.get("v0001")), version: "v0099" };
		await documentClient(dynamo.client).send(
			new PutCommand({
				TableName: table,
				Item: {
					pk: "MODEL#churn",
					sk: "VERSION#v0099",
					version: "v0099",
					seq: 99,
					status: "approved",
					runId: "forged",
					registeredAt: "2026-01-01T00:00:00Z",
					doc: JSON.stringify(forged),
				},
			}),
		);
		await expect(registry.promote("v0099")).rejects.toThrow(
			/not in the approved set/,
		);
		expect((await registry.champion())?.version).toBe("v0001");
	});

	it("separate registry names in one table do not see each other", async () => {
		const { store, table } = await freshAws();
		const churn = new AwsModelRegistry({ table, store, client: dynamo.client });
		const other = new AwsModelRegistry({
			table,
			store,
			client: dynamo.client,
			name: "other",
			prefix: "models-other",
		});
		await churn.register(candidate(0.8, "a"));
		expect(await other.list()).toEqual([]);
		expect(await other.champion()).toBeUndefined();
	});
});
