/**
 * ModelRegistry on AWS: versions and the champion pointer in DynamoDB,
 * artifacts and evaluations as objects (S3 through an ObjectStore) under the
 * same keys as the local registry: models/<version>/{model,evaluation}.json.
 * Behaviour is LocalModelRegistry's (see registry.ts).
 *
 * Items (table schema STATE_TABLE_KEYS; pk = "MODEL#<name>", default "churn"):
 *
 *   sk = "POINTER"          versionCount (atomic counter that numbers versions),
 *                           champion, approved (string set of approved versions),
 *                           lastApprovedSeq (number of the newest approved version)
 *   sk = "VERSION#v0001"    one registered version: seq, status, runId,
 *                           registeredAt and the ModelVersion as JSON text
 *
 * The champion only moves through conditional writes on POINTER:
 * registering an approved version sets it unless a newer approved version
 * already did (`lastApprovedSeq < :seq`); promote requires the version to be
 * in `approved` (`contains(approved, :v)`), so a rejected version can never
 * become champion, whatever a racing writer does.
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
	type ModelRegistry,
	type ModelVersion,
	type RegistryCandidate,
	versionEntry,
	versionName,
} from "./registry.ts";

interface PointerItem {
	versionCount?: number;
	champion?: string;
	approved?: Set<string>;
	lastApprovedSeq?: number;
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
		// The atomic counter gives concurrent registrations distinct, increasing numbers.
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
		const version = versionName(seq);
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
		await this.send("PutItem", () =>
			this.doc.send(
				new PutCommand({
					TableName: this.table,
					Item: item,
					ConditionExpression: "attribute_not_exists(sk)",
				}),
			),
		);
		if (entry.status === "approved") await this.recordApproved(version, seq);
		return entry;
	}

	/** Add to the approved set and make it champion unless a newer approved version already is. */
	private async recordApproved(version: string, seq: number): Promise<void> {
		try {
			await this.send("UpdateItem", () =>
				this.doc.send(
					new UpdateCommand({
						TableName: this.table,
						Key: this.pointerKey,
						UpdateExpression:
							"SET champion = :v, lastApprovedSeq = :seq ADD approved :vs",
						ConditionExpression:
							"attribute_not_exists(lastApprovedSeq) OR lastApprovedSeq < :seq",
						ExpressionAttributeValues: {
							":v": version,
							":seq": seq,
							":vs": new Set([version]),
						},
					}),
				),
			);
		} catch (e) {
			if (!isConditionFailed(e)) throw e;
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

	async promote(version: string): Promise<ModelVersion> {
		const entry = await this.get(version);
		if (!entry)
			throw new ModelInputError(`registry: no model version ${version}`);
		if (entry.status !== "approved")
			throw new ModelInputError(
				`registry: ${version} was ${entry.status} by the gate and cannot become champion`,
			);
		try {
			await this.send("UpdateItem", () =>
				this.doc.send(
					new UpdateCommand({
						TableName: this.table,
						Key: this.pointerKey,
						UpdateExpression: "SET champion = :v",
						ConditionExpression: "contains(approved, :v)",
						ExpressionAttributeValues: { ":v": version },
					}),
				),
			);
		} catch (e) {
			if (isConditionFailed(e))
				throw new ModelInputError(
					`registry: ${version} is not in the approved set of the champion pointer`,
				);
			throw e;
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
