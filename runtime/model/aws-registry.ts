/**
 * ModelRegistry on AWS: versions and the champion pointer in DynamoDB,
 * artifacts and evaluations as objects (S3 through an ObjectStore) under the
 * same keys as the local registry: models/<version>/{model,evaluation}.json.
 * Behaviour is LocalModelRegistry's (see registry.ts).
 *
 * Items (table schema STATE_TABLE_KEYS; pk = "MODEL#<name>", default "churn"):
 *
 *   sk = "POINTER"          versionCount (atomic counter that numbers versions),
 *                           champion, approved (string set of approved versions)
 *   sk = "VERSION#v0001"    one registered version: seq, status, runId,
 *                           registeredAt and the ModelVersion as JSON text
 *   sk = "RUN#<runId>"      the version number a training run claimed
 *                           (written once, conditionally: one version per run)
 *
 * Registering never moves the champion (docs/models.md, "Promotion"): an
 * approved version joins `approved`; promote (MarkSucceeded, a rollback)
 * moves the pointer with a conditional write that requires the version to be
 * in `approved` (`contains(approved, :v)`), so a rejected version can never
 * become champion whatever a racing writer does, and with `ifChampion` that
 * the champion is still the one the candidate was compared with.
 *
 * A retried Train: the RUN# item names the version the first attempt
 * claimed; the retry writes the same version (its artifacts again if the
 * first attempt died before the VERSION item) or returns it as registered.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
	type DynamoDBDocumentClient,
	GetCommand,
	PutCommand,
	QueryCommand,
	UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { ModelInputError } from "../errors.ts";
import { documentClient, isConditionFailed } from "../io/dynamodb-manifest.ts";
import type { ObjectStore } from "../io/object-store.ts";
import { classifyAwsError } from "../io/s3-object-store.ts";
import {
	checkArtifact,
	type Evaluation,
	type ModelArtifact,
} from "./artifact.ts";
import {
	checkPromotion,
	type ModelRegistry,
	type ModelVersion,
	type PromoteOptions,
	type RegistryCandidate,
	versionEntry,
	versionName,
} from "./registry.ts";

interface PointerItem {
	versionCount?: number;
	champion?: string;
	approved?: Set<string>;
}

interface RunItem {
	version: string;
	seq: number;
}

interface VersionItem {
	pk: string;
	sk: string;
	version: string;
	seq: number;
	status: ModelVersion["status"];
	runId: string;
	registeredAt: string;
	doc: string;
}

export interface AwsModelRegistryOptions {
	table: string;
	/** Where artifacts live (an S3ObjectStore rooted at the lake). */
	store: ObjectStore;
	/** Defaults to a client configured from the environment. */
	client?: DynamoDBClient | DynamoDBDocumentClient;
	/** Registry name, so that several models can share a table (default "churn"). */
	name?: string;
	/** Key prefix of the artifacts in the store (default "models", as locally). */
	prefix?: string;
}

export class AwsModelRegistry implements ModelRegistry {
	readonly table: string;
	private readonly doc: DynamoDBDocumentClient;
	private readonly store: ObjectStore;
	private readonly pk: string;
	private readonly prefix: string;

	constructor(opts: AwsModelRegistryOptions) {
		this.table = opts.table;
		this.doc = documentClient(opts.client);
		this.store = opts.store;
		this.pk = `MODEL#${opts.name ?? "churn"}`;
		this.prefix = (opts.prefix ?? "models").replace(/\/+$/, "");
	}

	private async send<T>(what: string, call: () => Promise<T>): Promise<T> {
		try {
			return await call();
		} catch (e) {
			throw classifyAwsError(e, `DynamoDB ${what} on ${this.table}`);
		}
	}

	private get pointerKey() {
		return { pk: this.pk, sk: "POINTER" };
	}

	private artifactKey(
		version: string,
		file: "model.json" | "evaluation.json",
	): string {
		return `${this.prefix}/${version}/${file}`;
	}

	async register(candidate: RegistryCandidate): Promise<ModelVersion> {
		const { version, seq } = await this.claimVersion(candidate.runId);
		const registered = await this.get(version);
		if (registered) return registered;
		const { artifact, evaluation } = candidate;
		const entry = versionEntry(version, candidate);
		// Artifacts first, index last: a crash in between leaves unreferenced objects, never a dangling entry.
		await this.store.put(
			this.artifactKey(version, "model.json"),
			`${JSON.stringify(artifact, null, 2)}\n`,
			{
				contentType: "application/json",
			},
		);
		await this.store.put(
			this.artifactKey(version, "evaluation.json"),
			`${JSON.stringify(evaluation, null, 2)}\n`,
			{
				contentType: "application/json",
			},
		);
		const item: VersionItem = {
			pk: this.pk,
			sk: `VERSION#${version}`,
			version,
			seq,
			status: entry.status,
			runId: entry.runId,
			registeredAt: entry.registeredAt,
			doc: JSON.stringify(entry),
		};
		try {
			await this.send("PutItem", () =>
				this.doc.send(
					new PutCommand({
						TableName: this.table,
						Item: item,
						ConditionExpression: "attribute_not_exists(sk)",
					}),
				),
			);
		} catch (e) {
			// A concurrent attempt of the same run registered it first.
			if (!isConditionFailed(e)) throw e;
			const first = await this.get(version);
			if (first) return first;
			throw e;
		}
		if (entry.status === "approved") await this.recordApproved(version);
		return entry;
	}

	/**
	 * The version number of a run: the one its first attempt claimed, or a new
	 * one from the atomic counter (concurrent registrations get distinct,
	 * increasing numbers), claimed with a conditional put on RUN#<runId>.
	 */
	private async claimVersion(runId: string): Promise<RunItem> {
		const claimed = await this.runItem(runId);
		if (claimed) return claimed;
		const counter = await this.send("UpdateItem", () =>
			this.doc.send(
				new UpdateCommand({
					TableName: this.table,
					Key: this.pointerKey,
					UpdateExpression: "ADD versionCount :one",
					ExpressionAttributeValues: { ":one": 1 },
					ReturnValues: "UPDATED_NEW",
				}),
			),
		);
		const seq = (counter.Attributes as PointerItem | undefined)?.versionCount;
		if (typeof seq !== "number")
			throw new Error(
				`registry ${this.table}: version counter update returned no number`,
			);
		const mine: RunItem = { version: versionName(seq), seq };
		try {
			await this.send("PutItem", () =>
				this.doc.send(
					new PutCommand({
						TableName: this.table,
						Item: { pk: this.pk, sk: `RUN#${runId}`, ...mine },
						ConditionExpression: "attribute_not_exists(sk)",
					}),
				),
			);
			return mine;
		} catch (e) {
			// Another attempt of this run claimed first: its number wins (ours stays a gap).
			if (!isConditionFailed(e)) throw e;
			const other = await this.runItem(runId);
			if (!other) throw e;
			return other;
		}
	}

	private async runItem(runId: string): Promise<RunItem | undefined> {
		const out = await this.send("GetItem", () =>
			this.doc.send(
				new GetCommand({
					TableName: this.table,
					Key: { pk: this.pk, sk: `RUN#${runId}` },
					ConsistentRead: true,
				}),
			),
		);
		const item = out.Item as RunItem | undefined;
		return item ? { version: item.version, seq: item.seq } : undefined;
	}

	/** Adds to the approved set: the versions promote may move the champion to. */
	private async recordApproved(version: string): Promise<void> {
		await this.send("UpdateItem", () =>
			this.doc.send(
				new UpdateCommand({
					TableName: this.table,
					Key: this.pointerKey,
					UpdateExpression: "ADD approved :vs",
					ExpressionAttributeValues: { ":vs": new Set([version]) },
				}),
			),
		);
	}

	async forRun(runId: string): Promise<ModelVersion | undefined> {
		const claimed = await this.runItem(runId);
		return claimed ? this.get(claimed.version) : undefined;
	}

	async get(version: string): Promise<ModelVersion | undefined> {
		const out = await this.send("GetItem", () =>
			this.doc.send(
				new GetCommand({
					TableName: this.table,
					Key: { pk: this.pk, sk: `VERSION#${version}` },
					ConsistentRead: true,
				}),
			),
		);
		const item = out.Item as VersionItem | undefined;
		return item ? (JSON.parse(item.doc) as ModelVersion) : undefined;
	}

	async list(): Promise<ModelVersion[]> {
		const items: VersionItem[] = [];
		let startKey: Record<string, unknown> | undefined;
		do {
			const page = await this.send("Query", () =>
				this.doc.send(
					new QueryCommand({
						TableName: this.table,
						KeyConditionExpression: "pk = :pk AND begins_with(sk, :v)",
						ExpressionAttributeValues: { ":pk": this.pk, ":v": "VERSION#" },
						ConsistentRead: true,
						ExclusiveStartKey: startKey,
					}),
				),
			);
			items.push(...((page.Items ?? []) as VersionItem[]));
			startKey = page.LastEvaluatedKey;
		} while (startKey);
		// By number, not by key: "v10000" sorts before "v9999" as text.
		return items
			.sort((a, b) => a.seq - b.seq)
			.map((i) => JSON.parse(i.doc) as ModelVersion);
	}

	private async pointer(): Promise<PointerItem> {
		const out = await this.send("GetItem", () =>
			this.doc.send(
				new GetCommand({
					TableName: this.table,
					Key: this.pointerKey,
					ConsistentRead: true,
				}),
			),
		);
		return (out.Item as PointerItem | undefined) ?? {};
	}

	async champion(): Promise<ModelVersion | undefined> {
		const { champion } = await this.pointer();
		return champion === undefined ? undefined : this.get(champion);
	}

	async promote(
		version: string,
		options: PromoteOptions = {},
	): Promise<ModelVersion> {
		const found = await this.get(version);
		const { champion } = await this.pointer();
		const { entry, already } = checkPromotion(
			found,
			version,
			champion ?? null,
			options,
		);
		if (already) return entry;
		const expected = options.ifChampion;
		// The check above read the pointer; the condition makes it hold at the write.
		const guard =
			expected === undefined
				? ""
				: expected === null
					? " AND (attribute_not_exists(champion) OR champion = :v)"
					: " AND (champion = :expected OR champion = :v)";
		try {
			await this.send("UpdateItem", () =>
				this.doc.send(
					new UpdateCommand({
						TableName: this.table,
						Key: this.pointerKey,
						UpdateExpression: "SET champion = :v",
						ConditionExpression: `contains(approved, :v)${guard}`,
						ExpressionAttributeValues: {
							":v": version,
							...(typeof expected === "string"
								? { ":expected": expected }
								: {}),
						},
					}),
				),
			);
		} catch (e) {
			if (!isConditionFailed(e)) throw e;
			const now = (await this.pointer()).champion ?? null;
			// Either a racing promotion moved it, or the version is not approved here.
			if (checkPromotion(found, version, now, options).already) return entry;
			throw new ModelInputError(
				`registry: ${version} is not in the approved set of the champion pointer`,
			);
		}
		return entry;
	}

	async loadArtifact(version: string): Promise<ModelArtifact> {
		await this.mustExist(version);
		const key = this.artifactKey(version, "model.json");
		return checkArtifact(
			JSON.parse(await this.store.getText(key)) as Partial<ModelArtifact>,
			key,
		);
	}

	async loadEvaluation(version: string): Promise<Evaluation> {
		await this.mustExist(version);
		return JSON.parse(
			await this.store.getText(this.artifactKey(version, "evaluation.json")),
		) as Evaluation;
	}

	private async mustExist(version: string): Promise<void> {
		if (!(await this.get(version)))
			throw new ModelInputError(`registry: no model version ${version}`);
	}
}
