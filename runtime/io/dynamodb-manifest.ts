/**
 * RunManifest on DynamoDB (the AWS twin of LocalRunManifest, same semantics).
 *
 * One table with a string partition key `pk` and sort key `sk` (the same
 * schema as the model registry's table, see STATE_TABLE_KEYS):
 *
 *   pk = "RUN#<run_id>",   sk = "RUN"    the run: batchId, status, startedAt,
 *                                        finishedAt, history (list of maps),
 *                                        stages and summary (JSON text, so any
 *                                        JSON value survives, e.g. nested nulls)
 *   pk = "BATCH#<batch>",  sk = "CLAIM"  which run holds the batch: runId
 *
 * Claiming a batch is one conditional write on its CLAIM item: the first start
 * needs `attribute_not_exists(pk)`, a rerun/force needs `runId = <the run it
 * read>` (optimistic concurrency), so of two concurrent starts exactly one
 * wins. The RUN item is written before the claim, so a claim never points at
 * a run that does not exist yet (a concurrent rerun would take it as finished).
 * Status changes append to `history` with list_append in one update; stage
 * records are read-modify-written under a revision number (`stagesRev`).
 */
import {
	CreateTableCommand,
	DescribeTableCommand,
	DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import {
	DeleteCommand,
	DynamoDBDocumentClient,
	GetCommand,
	PutCommand,
	ScanCommand,
	UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { TransientIOError } from "../errors.ts";
import type {
	RunManifest,
	RunRecord,
	StageRecord,
	StartOptions,
} from "./manifest.ts";
import {
	type FinishedStatus,
	type RunOwner,
	type RunStatus,
	transition,
} from "./run-lifecycle.ts";
import { classifyAwsError } from "./s3-object-store.ts";

/** Key schema shared by the manifest and registry tables (for Pulumi and tests). */
export const STATE_TABLE_KEYS = {
	hashKey: "pk",
	rangeKey: "sk",
	attributes: [
		{ name: "pk", type: "S" },
		{ name: "sk", type: "S" },
	],
} as const;

type AnyDynamoClient = DynamoDBClient | DynamoDBDocumentClient;

/** A document client over the given (or a default) client; undefined attributes are dropped, as JSON drops them. */
export function documentClient(
	client?: AnyDynamoClient,
): DynamoDBDocumentClient {
	if (client instanceof DynamoDBDocumentClient) return client;
	return DynamoDBDocumentClient.from(client ?? new DynamoDBClient({}), {
		marshallOptions: { removeUndefinedValues: true },
	});
}

/** Create a pay-per-request table with STATE_TABLE_KEYS and wait until it is ACTIVE (tests, local tooling). */
export async function createStateTable(
	client: DynamoDBClient,
	table: string,
	timeoutMs = 30_000,
): Promise<void> {
	await client.send(
		new CreateTableCommand({
			TableName: table,
			BillingMode: "PAY_PER_REQUEST",
			AttributeDefinitions: STATE_TABLE_KEYS.attributes.map((a) => ({
				AttributeName: a.name,
				AttributeType: a.type,
			})),
			KeySchema: [
				{ AttributeName: STATE_TABLE_KEYS.hashKey, KeyType: "HASH" },
				{ AttributeName: STATE_TABLE_KEYS.rangeKey, KeyType: "RANGE" },
			],
		}),
	);
	const deadline = Date.now() + timeoutMs;
	// Short first polls for local peers, backing off to 1 s for real DynamoDB.
	for (let delay = 25; ; delay = Math.min(delay * 2, 1000)) {
		const d = await client.send(new DescribeTableCommand({ TableName: table }));
		if (d.Table?.TableStatus === "ACTIVE") return;
		if (Date.now() > deadline)
			throw new TransientIOError(
				`DynamoDB table ${table} not ACTIVE after ${timeoutMs} ms`,
			);
		await new Promise((r) => setTimeout(r, delay));
	}
}

export function isConditionFailed(error: unknown): boolean {
	return (
		(error as { name?: string } | undefined)?.name ===
		"ConditionalCheckFailedException"
	);
}

interface RunItem {
	pk: string;
	sk: "RUN";
	runId: string;
	batchId: string;
	status: RunStatus;
	history: RunRecord["history"];
	startedAt: string;
	finishedAt?: string;
	stages: string;
	stagesRev: number;
	summary?: string;
	requestKey?: string;
	owner?: RunOwner;
}

interface ClaimItem {
	pk: string;
	sk: "CLAIM";
	batchId: string;
	runId: string;
	claimedAt: string;
}

const runKey = (runId: string) => ({ pk: `RUN#${runId}`, sk: "RUN" });
const claimKey = (batchId: string) => ({ pk: `BATCH#${batchId}`, sk: "CLAIM" });

/** Optimistic stage updates give up after this many conflicting writers in a row. */
const MAX_STAGE_ATTEMPTS = 20;

export interface DynamoDbRunManifestOptions {
	table: string;
	/** Defaults to a client configured from the environment. */
	client?: AnyDynamoClient;
}

export class DynamoDbRunManifest implements RunManifest {
	readonly table: string;
	private readonly doc: DynamoDBDocumentClient;

	constructor(opts: DynamoDbRunManifestOptions) {
		this.table = opts.table;
		this.doc = documentClient(opts.client);
	}

	/** Send a command, turning throttling/5xx/network failures into TransientIOError. */
	private async send<T>(what: string, call: () => Promise<T>): Promise<T> {
		try {
			return await call();
		} catch (e) {
			throw classifyAwsError(e, `DynamoDB ${what} on ${this.table}`);
		}
	}

	async start(
		batchId: string,
		runId: string,
		opts: StartOptions = {},
	): Promise<boolean> {
		const now = new Date().toISOString();
		const run: RunItem = {
			...runKey(runId),
			sk: "RUN",
			runId,
			batchId,
			status: "started",
			history: [{ status: "started", at: now }],
			startedAt: now,
			stages: "[]",
			stagesRev: 0,
			...(opts.requestKey ? { requestKey: opts.requestKey } : {}),
			...(opts.owner ? { owner: opts.owner } : {}),
		};
		try {
			// A run id names one run: a start reusing one never overwrites it.
			await this.send("PutItem", () =>
				this.doc.send(
					new PutCommand({
						TableName: this.table,
						Item: run,
						ConditionExpression: "attribute_not_exists(pk)",
					}),
				),
			);
		} catch (e) {
			if (isConditionFailed(e)) return false;
			throw e;
		}
		const claim: ClaimItem = {
			...claimKey(batchId),
			sk: "CLAIM",
			batchId,
			runId,
			claimedAt: now,
		};
		let won = false;
		try {
			won = await this.claim(claim, opts);
			return won;
		} finally {
			// A start that did not win (or failed half-way) leaves no run behind.
			if (!won) await this.removeRun(runId);
		}
	}

	private async removeRun(runId: string): Promise<void> {
		await this.send("DeleteItem", () =>
			this.doc.send(
				new DeleteCommand({ TableName: this.table, Key: runKey(runId) }),
			),
		);
	}

	private async claim(claim: ClaimItem, opts: StartOptions): Promise<boolean> {
		try {
			await this.send("PutItem", () =>
				this.doc.send(
					new PutCommand({
						TableName: this.table,
						Item: claim,
						ConditionExpression: "attribute_not_exists(pk)",
					}),
				),
			);
			return true;
		} catch (e) {
			if (!isConditionFailed(e)) throw e;
		}
		const current = await this.getClaim(claim.batchId);
		if (!current) return false; // claims are never deleted: a vanished one means the table is being tampered with
		const previous = await this.get(current.runId);
		const canRerun =
			opts.force || (opts.rerun && previous?.status !== "started");
		if (!canRerun) return false;
		try {
			// Only over the claim we judged: a concurrent rerun that got there first wins.
			await this.send("PutItem", () =>
				this.doc.send(
					new PutCommand({
						TableName: this.table,
						Item: claim,
						ConditionExpression: "runId = :previous",
						ExpressionAttributeValues: { ":previous": current.runId },
					}),
				),
			);
			return true;
		} catch (e) {
			if (isConditionFailed(e)) return false;
			throw e;
		}
	}

	private async getClaim(batchId: string): Promise<ClaimItem | undefined> {
		const out = await this.send("GetItem", () =>
			this.doc.send(
				new GetCommand({
					TableName: this.table,
					Key: claimKey(batchId),
					ConsistentRead: true,
				}),
			),
		);
		return out.Item as ClaimItem | undefined;
	}

	async recordStage(runId: string, stage: StageRecord): Promise<void> {
		for (let attempt = 0; attempt < MAX_STAGE_ATTEMPTS; attempt++) {
			const item = await this.getItem(runId);
			if (!item) throw new Error(`run ${runId} is not in the manifest`);
			const stages = (JSON.parse(item.stages) as StageRecord[]).filter(
				(s) => s.stage !== stage.stage,
			);
			stages.push(stage);
			try {
				await this.send("UpdateItem", () =>
					this.doc.send(
						new UpdateCommand({
							TableName: this.table,
							Key: runKey(runId),
							UpdateExpression: "SET stages = :stages, stagesRev = :next",
							ConditionExpression: "stagesRev = :rev",
							ExpressionAttributeValues: {
								":stages": JSON.stringify(stages),
								":next": item.stagesRev + 1,
								":rev": item.stagesRev,
							},
						}),
					),
				);
				return;
			} catch (e) {
				if (!isConditionFailed(e)) throw e;
				// Another stage (e.g. a parallel shard) wrote first: read again.
			}
		}
		throw new TransientIOError(
			`run ${runId}: stage "${stage.stage}" lost ${MAX_STAGE_ATTEMPTS} write races in a row`,
		);
	}

	/**
	 * One conditional update `#status = started`: of a MarkFailed and a
	 * reconciler event racing, exactly one writes; the loser reads the item
	 * and applies the lifecycle rule (a no-op, or RunTransitionError).
	 */
	private async finish(
		runId: string,
		status: FinishedStatus,
		extra: {
			summary?: Record<string, unknown>;
			error?: { name: string; message: string };
		},
	): Promise<boolean> {
		const at = new Date().toISOString();
		const entry = extra.error
			? {
					status,
					at,
					error: { name: extra.error.name, message: extra.error.message },
				}
			: { status, at };
		const values: Record<string, unknown> = {
			":status": status,
			":started": "started",
			":at": at,
			":entry": [entry],
		};
		let set =
			"#status = :status, finishedAt = :at, history = list_append(history, :entry)";
		if (extra.summary !== undefined) {
			set += ", summary = :summary";
			values[":summary"] = JSON.stringify(extra.summary);
		}
		try {
			await this.send("UpdateItem", () =>
				this.doc.send(
					new UpdateCommand({
						TableName: this.table,
						Key: runKey(runId),
						UpdateExpression: `SET ${set}`,
						ConditionExpression: "attribute_exists(pk) AND #status = :started",
						ExpressionAttributeNames: { "#status": "status" },
						ExpressionAttributeValues: values,
					}),
				),
			);
			return true;
		} catch (e) {
			if (!isConditionFailed(e)) throw e;
		}
		const current = await this.getItem(runId);
		if (!current) throw new Error(`run ${runId} is not in the manifest`);
		transition(runId, current.status, status);
		return false;
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
		const claim = await this.getClaim(batchId);
		return claim ? this.get(claim.runId) : undefined;
	}

	private async getItem(runId: string): Promise<RunItem | undefined> {
		const out = await this.send("GetItem", () =>
			this.doc.send(
				new GetCommand({
					TableName: this.table,
					Key: runKey(runId),
					ConsistentRead: true,
				}),
			),
		);
		return out.Item as RunItem | undefined;
	}

	async get(runId: string): Promise<RunRecord | undefined> {
		const item = await this.getItem(runId);
		return item ? toRecord(item) : undefined;
	}

	async list(): Promise<RunRecord[]> {
		const runs: RunRecord[] = [];
		let startKey: Record<string, unknown> | undefined;
		do {
			const page = await this.send("Scan", () =>
				this.doc.send(
					new ScanCommand({
						TableName: this.table,
						FilterExpression: "sk = :run",
						ExpressionAttributeValues: { ":run": "RUN" },
						ConsistentRead: true,
						ExclusiveStartKey: startKey,
					}),
				),
			);
			for (const item of page.Items ?? []) runs.push(toRecord(item as RunItem));
			startKey = page.LastEvaluatedKey;
		} while (startKey);
		return runs.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
	}
}

function toRecord(item: RunItem): RunRecord {
	const record: RunRecord = {
		runId: item.runId,
		batchId: item.batchId,
		status: item.status,
		history: item.history,
		startedAt: item.startedAt,
		stages: JSON.parse(item.stages) as StageRecord[],
	};
	if (item.finishedAt !== undefined) record.finishedAt = item.finishedAt;
	if (item.summary !== undefined)
		record.summary = JSON.parse(item.summary) as Record<string, unknown>;
	if (item.requestKey !== undefined) record.requestKey = item.requestKey;
	if (item.owner !== undefined) record.owner = item.owner;
	return record;
}
