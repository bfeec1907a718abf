/**
 * The strongest infrastructure test: every Lambda of the dev stack, packaged
 * exactly as Pulumi would upload it (the CallbackFunction's `code` archive:
 * serialised `__index.js`, the esbuild bundle, the production node_modules
 * Pulumi adds), is written to its own folder and invoked the way Lambda
 * invokes it (`__index.handler(event, context)` in a fresh Node process, cwd
 * = the archive root, the function's deployed environment). Storage is real
 * protocol peers on loopback: s3rver for the lake, dynalite for the manifest
 * and registry tables, named as the stack names them.
 *
 * An upload event goes to the packaged trigger, whose StartExecution is
 * received by a minimal Step Functions endpoint; that execution input then
 * runs through the deployed definition (aws-local-stepfunctions) with every
 * Lambda task invoking its packaged function. The report build (a Fargate
 * container, PublishReport) has no local peer and is stubbed. The outputs
 * must equal the local run of the same batch, and every S3 request each
 * function makes must be allowed by its deployed role's policy.
 */
import "core-js/actual/promise/with-resolvers.js";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import {
	type ClientRequest,
	createServer,
	type IncomingMessage,
	request,
	type Server,
	type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { StateMachine as LocalStateMachine } from "aws-local-stepfunctions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	LAMBDA_STAGES,
	type PolicyDocument,
	STAGE_ACCESS,
} from "../components/access.ts";
import { loadPlatformArgs } from "../components/config.ts";
import { Platform } from "../components/platform.ts";
import { RETRAIN_REQUEST } from "../components/retrain-schedule.ts";
import {
	createStateTable,
	DynamoDbRunManifest,
} from "../runtime/io/dynamodb-manifest.ts";
import { Lake, lakeKeys, readLatest } from "../runtime/io/lake.ts";
import { S3ObjectStore } from "../runtime/io/s3-object-store.ts";
import { AwsModelRegistry } from "../runtime/model/aws-registry.ts";
import { TASK_STAGES } from "../runtime/pipeline/definition.ts";
import { executeRun } from "../runtime/pipeline/execute.ts";
import { runSitePrefix } from "../runtime/report/publish.ts";
import { generateBatch } from "../runtime/synth/generate.ts";
import { installMocks, type Json, resolved } from "./support/infra-harness.ts";
import {
	type ArchiveEntry,
	archiveEntries,
	invokeArchive,
	linkCopy,
	materialize,
	treeBytes,
	treeFiles,
} from "./support/infra-lambda-archive.ts";
import {
	type DynamoPeer,
	type S3Peer,
	startDynamoPeer,
	startS3Peer,
} from "./support/peers.ts";
import { expectSameOutputs } from "./support/same-outputs.ts";

const LIMIT = 250 * 1024 * 1024;
const CUSTOMERS = 400;
const SHARDS = 3;

interface Packaged {
	name: string;
	/** The function's ARN (what the deployed definition's Task states name). */
	arn: string;
	dir: string;
	env: Record<string, string>;
	entries: ArchiveEntry[];
	bytes: number;
	policy: PolicyDocument;
}

let s3: S3Peer;
let dynamo: DynamoPeer;
let work: string;
let root: string;
let store: S3ObjectStore;
let bucket: string;
/** The report site bucket: the stubbed report task builds into it, MarkSucceeded switches it. */
let siteStore: S3ObjectStore;
let stateMachineArn: string;
let definition: Record<string, unknown>;
const fns = new Map<string, Packaged>();
/** S3 requests through the audit proxy: which function made them. */
/** DynamoDB requests through the audit proxy: operation and table. */
const dynamoLog: Array<{
	fn: string;
	action: string;
	table?: string;
	/** The partition key the request names (dynamodb:LeadingKeys), if any. */
	leadingKey?: string;
}> = [];
const tableArns = new Map<string, string>();
const s3Log: Array<{
	fn: string;
	/** The bucket of the request (path-style: the first path segment). */
	bucket: string;
	method: string;
	key?: string;
	list?: string;
}> = [];
let currentFn = "";
const servers: Server[] = [];
const started: Array<{ stateMachineArn: string; name: string; input: string }> =
	[];

function listen(server: Server): Promise<string> {
	servers.push(server);
	return new Promise((resolve) =>
		server.listen(0, "127.0.0.1", () =>
			resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
		),
	);
}

/** Forwards to s3rver, recording method and key of each request. */
/** The upstream request of a proxied one; its answer is piped back to `res`. */
function forward(
	req: IncomingMessage,
	res: ServerResponse,
	target: URL,
): ClientRequest {
	const up = request(
		{
			host: target.hostname,
			port: target.port,
			method: req.method,
			path: req.url,
			headers: req.headers,
		},
		(r) => {
			res.writeHead(r.statusCode ?? 502, r.headers);
			r.pipe(res);
		},
	);
	up.on("error", (e) => {
		res.writeHead(502);
		res.end(String(e));
	});
	return up;
}

function s3AuditProxy(target: string): Server {
	const t = new URL(target);
	return createServer((req, res) => {
		const url = new URL(req.url ?? "/", "http://x");
		const [, b, ...key] = url.pathname.split("/");
		const k = decodeURIComponent(key.join("/"));
		s3Log.push({
			fn: currentFn,
			bucket: decodeURIComponent(b ?? ""),
			method: req.method ?? "",
			...(k
				? { key: k }
				: { list: url.searchParams.get("prefix") ?? undefined }),
		});
		req.pipe(forward(req, res, t));
	});
}

/** Forwards to dynalite, recording each request's operation and table. */
function dynamoAuditProxy(target: string): Server {
	const t = new URL(target);
	return createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on("data", (d: Buffer) => chunks.push(d));
		req.on("end", () => {
			const body = Buffer.concat(chunks);
			const op = String(req.headers["x-amz-target"] ?? "").split(".")[1] ?? "";
			let table: string | undefined;
			let leadingKey: string | undefined;
			try {
				const b = JSON.parse(body.toString("utf8"));
				table = b.TableName;
				// GetItem/UpdateItem/DeleteItem name Key, PutItem Item; a Query binds pk in its values.
				leadingKey =
					b.Key?.pk?.S ??
					b.Item?.pk?.S ??
					(op === "Query"
						? (
								Object.values(b.ExpressionAttributeValues ?? {}) as Array<{
									S?: string;
								}>
							).find((v) => v.S?.includes("#"))?.S
						: undefined);
			} catch {
				table = undefined;
			}
			dynamoLog.push({
				fn: currentFn,
				action: `dynamodb:${op}`,
				table,
				leadingKey,
			});
			forward(req, res, t).end(body);
		});
	});
}

/** StartExecution calls the fake endpoint refuses (throttled) before it answers again. */
let sfnFailures = 0;

/** The one Step Functions call the trigger makes (JSON 1.0 protocol). */
function stepFunctionsEndpoint(): Server {
	return createServer((req, res) => {
		let body = "";
		req.on("data", (d) => (body += d));
		req.on("end", () => {
			const target = String(req.headers["x-amz-target"] ?? "");
			if (target === "AWSStepFunctions.StartExecution" && sfnFailures > 0) {
				sfnFailures--;
				res.writeHead(400, { "content-type": "application/x-amz-json-1.0" });
				res.end(
					JSON.stringify({
						__type: "ThrottlingException",
						message: "Rate exceeded",
					}),
				);
				return;
			}
			if (target !== "AWSStepFunctions.StartExecution") {
				res.writeHead(400, { "content-type": "application/x-amz-json-1.0" });
				res.end(JSON.stringify({ __type: "UnknownOperationException" }));
				return;
			}
			const call = JSON.parse(body);
			started.push(call);
			res.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
			res.end(
				JSON.stringify({
					executionArn: `${call.stateMachineArn.replace(":stateMachine:", ":execution:")}:${call.name}`,
					startDate: Date.now() / 1000,
				}),
			);
		});
	});
}

async function uploadBatch(dir: string, prefix: string) {
	for (const entry of await readdir(dir, {
		recursive: true,
		withFileTypes: true,
	})) {
		if (!entry.isFile()) continue;
		const path = join(entry.parentPath, entry.name);
		await store.put(
			prefix + relative(dir, path).split("\\").join("/"),
			await readFile(path),
		);
	}
}

/** IAM's StringLike: `*` any run of characters, `?` one. */
function like(pattern: string, value: string): boolean {
	return new RegExp(
		`^${pattern
			.replace(/[.+^${}()|[\]\\]/g, "\\$&")
			.replace(/\*/g, ".*")
			.replace(/\?/g, ".")}$`,
	).test(value);
}

/**
 * The two condition forms the stack's policies use, as IAM evaluates them:
 * StringLike on a single-valued key, and ForAllValues:StringLike on a
 * multi-valued one (true when the request has no value). Any other operator
 * fails the audit, so a new condition cannot pass unexamined.
 */
function conditionHolds(
	condition: Record<string, Record<string, unknown>> | undefined,
	context: Record<string, string | undefined>,
): boolean {
	for (const [op, keys] of Object.entries(condition ?? {}))
		for (const [key, patterns] of Object.entries(keys)) {
			const ps = (Array.isArray(patterns) ? patterns : [patterns]).map(String);
			const v = context[key];
			if (op === "StringLike") {
				if (v === undefined || !ps.some((p) => like(p, v))) return false;
			} else if (op === "ForAllValues:StringLike") {
				if (v !== undefined && !ps.some((p) => like(p, v))) return false;
			} else return false;
		}
	return true;
}

let peerEnv: Record<string, string> = {};
/** What each function wrote to stderr (its CloudWatch log, on Lambda). */
const stderrOf = new Map<string, string>();

/**
 * One invocation at a time: the audit proxy attributes each request to the
 * function now running (currentFn), and Parallel branches (Train beside the
 * ladder) would otherwise overlap.
 */
let invocations: Promise<unknown> = Promise.resolve();
function invoke(
	fnName: string,
	event: unknown,
	requestId?: string,
): Promise<unknown> {
	const next = invocations.then(
		() => invokeOne(fnName, event, requestId),
		() => invokeOne(fnName, event, requestId),
	);
	invocations = next.catch(() => undefined);
	return next;
}

async function invokeOne(
	fnName: string,
	event: unknown,
	/** Lambda's request id (an async retry keeps it); a new one by default. */
	requestId?: string,
): Promise<unknown> {
	const fn = fns.get(fnName);
	if (!fn) throw new Error(`no packaged function ${fnName}`);
	currentFn = fnName;
	const scratch = join(work, "tmp", fnName);
	mkdirSync(scratch, { recursive: true });
	return invokeArchive(
		fn.dir,
		event,
		{
			...fn.env,
			...peerEnv,
			TMPDIR: scratch,
			AWS_LAMBDA_FUNCTION_NAME: fnName,
			LAMBDA_TASK_ROOT: fn.dir,
			...(requestId ? { TEST_REQUEST_ID: requestId } : {}),
		},
		(log) => stderrOf.set(fnName, (stderrOf.get(fnName) ?? "") + log),
	);
}

/** Report build invocations (the stubbed PublishReport task). */
const reportCalls: unknown[] = [];

/**
 * Runs the deployed definition on an execution input. Each Task state
 * invokes the packaged archive of the function whose ARN the state names, as
 * Step Functions would; PublishReport (ecs:runTask.sync, the Fargate report
 * build) has no local peer and is stubbed.
 */
async function runExecution(
	executionInput: Record<string, unknown>,
	/** Handlers that replace a packaged function for this execution (a fault injected). */
	faults: Record<string, (i: unknown) => Promise<unknown>> = {},
): Promise<Record<string, unknown>> {
	const byArn = new Map([...fns.values()].map((f) => [f.arn, f.name]));
	const states = definition.States as Json;
	const handlers: Record<string, (i: unknown) => Promise<unknown>> = {
		PublishReport: async (i) => {
			expect(states.PublishReport.Resource).toBe(
				"arn:aws:states:::ecs:runTask.sync",
			);
			reportCalls.push(i);
			// What the report task leaves: the run's site under its own prefix of the site bucket.
			const env = (
				i as {
					Overrides: {
						ContainerOverrides: Array<{
							Environment: Array<{ Name: string; Value: string }>;
						}>;
					};
				}
			).Overrides.ContainerOverrides[0].Environment;
			const runId = env.find((e) => e.Name === "RUN_ID")?.Value ?? "";
			const prefix = runSitePrefix(runId);
			await siteStore.put(`${prefix}_app/${runId}.js`, `// ${runId}`);
			await siteStore.put(`${prefix}index.html`, `<h1>${runId}</h1>`);
			return { stubbed: "report build task" };
		},
		...faults,
	};
	for (const stage of LAMBDA_STAGES) {
		const state = findTaskState(states, stage) ?? {};
		const fn = byArn.get(state.Resource);
		if (!fn)
			throw new Error(
				`${stage}: no packaged function has ARN ${state.Resource}`,
			);
		handlers[stage] ??= (i) => invoke(fn, i);
	}
	const machine = new LocalStateMachine(definition as never, {
		validationOptions: { checkArn: false, checkPaths: true },
	});
	const execution = machine.run(executionInput as never, {
		overrides: {
			taskResourceLocalHandlers: handlers as never,
			retryIntervalOverrides: Object.fromEntries(
				TASK_STAGES.map((s) => [s, 0]),
			),
		},
	});
	return (await execution.result) as Record<string, unknown>;
}

beforeAll(async () => {
	work = mkdtempSync(join(tmpdir(), "sg-infra-package-"));
	[s3, dynamo] = await Promise.all([startS3Peer(), startDynamoPeer()]);
	const s3Endpoint = await listen(s3AuditProxy(s3.endpoint));
	const dynamoEndpoint = await listen(dynamoAuditProxy(dynamo.endpoint));
	const sfnEndpoint = await listen(stepFunctionsEndpoint());

	// Declare the dev stack's platform under mocks, with a test gate of 0 so a
	// 400-customer model is promoted whatever its PR-AUC.
	await installMocks("dev", {
		overrides: {
			"spanishgas:promotionGate": "0",
			"spanishgas:shardCount": String(SHARDS),
		},
	});
	const platform = new Platform("spanishgas", loadPlatformArgs());
	const functions: Array<
		[
			string,
			(typeof platform.stages)[keyof typeof platform.stages]["function"],
			(typeof platform.stages)[keyof typeof platform.stages]["rolePolicy"],
		]
	> = [
		...LAMBDA_STAGES.map(
			(s) =>
				[s, platform.stages[s].function, platform.stages[s].rolePolicy] as [
					string,
					typeof platform.stages.Train.function,
					typeof platform.stages.Train.rolePolicy,
				],
		),
		[
			"Trigger",
			platform.trigger.handler.function,
			platform.trigger.handler.rolePolicy,
		],
		[
			"Reconciler",
			platform.reconciler.handler.function,
			platform.reconciler.handler.rolePolicy,
		],
	];
	bucket = await resolved(platform.lake.bucketName);
	stateMachineArn = await resolved(platform.stateMachine.arn);
	definition = JSON.parse(await resolved(platform.stateMachine.definition));

	// Write each archive: the shared files once, then a hard-linked copy per function with its own __index.js.
	const base = join(work, "archive-base");
	let baseEntries: ArchiveEntry[] | undefined;
	for (const [name, fn, rolePolicy] of functions) {
		const entries = await archiveEntries(fn.code);
		const shared = entries.filter((e) => e.path !== "__index.js");
		if (!baseEntries) {
			baseEntries = shared;
			materialize(shared, base);
		} else expect(shared, name).toEqual(baseEntries);
		const dir = join(work, "fn", name);
		mkdirSync(join(work, "fn"), { recursive: true });
		linkCopy(base, dir);
		materialize(
			entries.filter((e) => e.path === "__index.js"),
			dir,
		);
		const env = (await resolved(fn.environment))?.variables ?? {};
		fns.set(name, {
			name,
			arn: await resolved(fn.arn),
			dir,
			env: Object.fromEntries(
				Object.entries(env).filter(([k]) => k !== "ALERT_TOPIC_ARN"),
			) as Record<string, string>,
			entries,
			bytes: treeBytes(dir),
			policy: JSON.parse(await resolved(rolePolicy.policy)),
		});
	}

	await s3.createBucket(bucket);
	const siteBucket = fns.get("MarkSucceeded")?.env.SITE_BUCKET as string;
	await s3.createBucket(siteBucket);
	siteStore = new S3ObjectStore({ bucket: siteBucket, client: s3.client });
	for (const t of [platform.manifest, platform.registry]) {
		const name = await resolved(t.tableName);
		tableArns.set(name, await resolved(t.arn));
		await createStateTable(dynamo.client, name);
	}
	store = new S3ObjectStore({ bucket, client: s3.client });
	peerEnv = {
		AWS_ENDPOINT_URL_S3: s3Endpoint,
		AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
		AWS_ENDPOINT_URL_SFN: sfnEndpoint,
		S3_FORCE_PATH_STYLE: "true",
		AWS_REGION: "eu-west-1",
		AWS_ACCESS_KEY_ID: "S3RVER",
		AWS_SECRET_ACCESS_KEY: "S3RVER",
	};

	root = join(work, "local");
	await generateBatch({
		customers: CUSTOMERS,
		seed: 5,
		outDir: new Lake(root).rawDir("b1"),
		partCustomers: 100,
	});
	await uploadBatch(new Lake(root).rawDir("b1"), lakeKeys.rawPrefix("b1"));
}, 600_000);

afterAll(async () => {
	await Promise.all([
		s3?.stop(),
		dynamo?.stop(),
		...servers.map((s) => new Promise((r) => s.close(() => r(undefined)))),
	]);
	if (work) rmSync(work, { recursive: true, force: true });
});

describe("packaged Lambda archives (dev stack)", () => {
	it("are what Pulumi uploads: serialised handler, the JavaScript bundle, only the runtime's external packages", () => {
		const sizes: Record<string, string> = {};
		for (const [name, fn] of fns) {
			sizes[name] = `${(fn.bytes / 1024 / 1024).toFixed(1)} MB`;
			expect(fn.bytes, name).toBeLessThan(LIMIT);
			const index = fn.entries.find((e) => e.path === "__index.js")?.text ?? "";
			expect(index).toMatch(/exports\.handler = /);
			expect(index).toMatch(/require\(requirePath\)|require\("/);
			const files = treeFiles(fn.dir);
			// JavaScript only: no TypeScript sources of the runtime travel.
			expect(
				files.filter(
					(f) =>
						f.endsWith(".ts") &&
						!f.endsWith(".d.ts") &&
						!f.startsWith("node_modules/"),
				),
			).toEqual([]);
			expect(
				files.some((f) => /^\.build\/lambda-[0-9a-f]+\/lambda\.js$/.test(f)),
			).toBe(true);
			expect(
				files.some((f) =>
					/^\.build\/lambda-[0-9a-f]+\/fit-worker\.js$/.test(f),
				),
			).toBe(true);
			const packages = new Set(
				fn.entries
					.filter((e) => e.path.startsWith("node_modules/"))
					.map((e) => e.path.slice("node_modules/".length)),
			);
			for (const p of [
				"@duckdb/node-api",
				"@duckdb/node-bindings-linux-x64",
				"parquet-wasm",
				"ml-xgboost",
				"vader-sentiment",
			])
				expect(packages, `${name} ${p}`).toContain(p);
			for (const p of [
				"arquero",
				"apache-arrow",
				"@aws-sdk/client-s3",
				"zod",
				"esbuild",
				"vitest",
				"@pulumi/pulumi",
			])
				expect(packages, `${name} ${p}`).not.toContain(p);
		}
		console.log("[infra] Lambda archive unzipped sizes", JSON.stringify(sizes));
	});

	let input: Record<string, unknown> = {};

	it("the packaged trigger starts exactly one execution for the uploaded batch, with the stack's run settings", async () => {
		const first = (await invoke("Trigger", {
			Records: [
				{
					eventName: "ObjectCreated:Put",
					s3: {
						bucket: { name: bucket },
						object: { key: "raw/b1/churn_label.csv" },
					},
				},
			],
		})) as { started: string[] };
		expect(first.started).toHaveLength(1);
		const again = (await invoke("Trigger", {
			Records: [{ s3: { object: { key: "raw/b1/price_history.csv" } } }],
		})) as { started: string[]; skipped: unknown[] };
		expect(again.started).toEqual([]);
		expect(started).toHaveLength(1);
		expect(started[0].stateMachineArn).toBe(stateMachineArn);
		input = JSON.parse(started[0].input);
		expect(input).toMatchObject({
			runId: first.started[0],
			batchId: "b1",
			shardCount: SHARDS,
			gate: 0,
			seed: 42,
		});
	}, 120_000);

	it("the deployed definition runs the packaged stage functions to success, with the same outputs as the local run", async () => {
		expect(input.runId).toBeDefined();
		const out = await runExecution(input);
		expect(out.result).toEqual({ status: "succeeded" });
		expect(reportCalls).toHaveLength(1);
		// What ecs:runTask.sync receives: the task, and the run id in the container's environment.
		expect(reportCalls[0]).toMatchObject({
			LaunchType: "FARGATE",
			Overrides: {
				ContainerOverrides: [
					{
						Name: "report",
						Environment: [
							{ Name: "RUN_ID", Value: input.runId },
							{ Name: "BATCH_ID", Value: "b1" },
						],
					},
				],
			},
		});

		const runId = String(input.runId);
		const manifest = new DynamoDbRunManifest({
			table: fns.get("Train")?.env.STATE_TABLE as string,
			client: dynamo.client,
		});
		const record = await manifest.get(runId);
		expect(record?.status).toBe("succeeded");
		expect(await store.exists(lakeKeys.runReport(runId))).toBe(true);

		const local = await executeRun({
			dataRoot: root,
			batchId: "b1",
			shardCount: SHARDS,
			gate: 0,
		});
		expect(local.ok).toBe(true);
		await expectSameOutputs({ store, record }, { root, record: local.record }, [
			["bronze", "bronze_customer"],
			["bronze", "bronze_customer_month"],
			["silver", "silver_customer"],
			["gold", "gold_customer"],
			["scored", "scores"],
			["scored", "recommendations"],
		]);
		expect((await readLatest(store))?.runId).toBe(runId);
		// MarkSucceeded promoted the candidate and made the run's site live at the site bucket's root.
		expect(await siteStore.getText("index.html")).toContain(runId);
		// Train's two fits ran in the bundled worker threads, not the in-process fallback.
		expect(stderrOf.get("Train") ?? "").not.toMatch(/fit workers unavailable/);
		expect(stderrOf.get("Train") ?? "").toMatch(/stage succeeded/);
		console.log(
			"[infra] Train's log (first lines):",
			(stderrOf.get("Train") ?? "").split("\n").slice(0, 4).join("\n"),
		);
	}, 600_000);

	it("a rerun of the batch scores with the champion and checks drift; the weekly retrain request starts a train run", async () => {
		const rerun = (await invoke("Trigger", {
			rerun: true,
			batchId: "b1",
		})) as { started: string[] };
		expect(rerun.started).toHaveLength(1);
		const scoreInput = JSON.parse(started[started.length - 1].input);
		expect(scoreInput).toMatchObject({
			runId: rerun.started[0],
			batchId: "b1",
		});
		const out = await runExecution(scoreInput);
		expect(out.result).toEqual({ status: "succeeded" });
		expect(out.plan).toMatchObject({ action: "score", champion: "v0001" });
		expect(out.drift).toMatchObject({ modelVersion: "v0001", anyDrift: false });
		expect(
			await store.exists(lakeKeys.doc(rerun.started[0], "monitoring", "drift")),
		).toBe(true);
		expect((await readLatest(store))?.runId).toBe(rerun.started[0]);
		expect(await siteStore.getText("index.html")).toContain(rerun.started[0]);
		expect(await siteStore.exists(`_app/${String(input.runId)}.js`)).toBe(
			false,
		);

		// The schedule's payload, exactly as RetrainSchedule sends it.
		const retrain = (await invoke("Trigger", RETRAIN_REQUEST)) as {
			started: string[];
		};
		expect(retrain.started).toHaveLength(1);
		expect(JSON.parse(started[started.length - 1].input)).toMatchObject({
			runId: retrain.started[0],
			batchId: "b1",
			mode: "train",
		});
	}, 600_000);

	it("a packaged train run failing after PublishReport leaves the live site, latest and the champion", async () => {
		const retrainInput = JSON.parse(started[started.length - 1].input);
		expect(retrainInput).toMatchObject({ mode: "train" });
		const before = await readLatest(store);
		const liveBefore = await siteStore.getText("index.html");
		const registry = new AwsModelRegistry({
			table: fns.get("Train")?.env.REGISTRY_TABLE as string,
			store,
			client: dynamo.client,
		});
		const champion = (await registry.champion())?.version;
		await expect(
			runExecution(retrainInput, {
				MarkSucceeded: async () => {
					throw new Error("MarkSucceeded timed out");
				},
			}),
		).rejects.toThrow();
		const manifest = new DynamoDbRunManifest({
			table: fns.get("Train")?.env.STATE_TABLE as string,
			client: dynamo.client,
		});
		expect((await manifest.get(retrainInput.runId))?.status).toBe("failed");
		// The run trained and built its site, and none of it became visible.
		expect((await registry.forRun(retrainInput.runId))?.version).toBeDefined();
		expect((await registry.champion())?.version).toBe(champion);
		expect(
			await siteStore.exists(`${runSitePrefix(retrainInput.runId)}index.html`),
		).toBe(true);
		expect(await siteStore.getText("index.html")).toBe(liveBefore);
		expect(await readLatest(store)).toEqual(before);
	}, 600_000);

	it("the packaged MarkFailed records a failure in the manifest", async () => {
		const runId = "20991231T000000Z_failed";
		const table = fns.get("MarkFailed")?.env.STATE_TABLE as string;
		const manifest = new DynamoDbRunManifest({ table, client: dynamo.client });
		expect(await manifest.start("bfail", runId, {})).toBe(true);
		await invoke("MarkFailed", {
			runId,
			batchId: "bfail",
			error: { Error: "DataQualityError", Cause: "gold_customer: 3 errors" },
		});
		const record = await manifest.get(runId);
		expect(record?.status).toBe("failed");
		expect(JSON.stringify(record)).toMatch(/DataQualityError/);
		// A failed run has its run_report.json too (its role allows the write).
		expect(
			s3Log.some(
				(r) =>
					r.fn === "MarkFailed" &&
					r.method === "PUT" &&
					r.key === `runs/${runId}/run_report.json`,
			),
		).toBe(true);
	}, 120_000);

	it("fault, packaged: StartExecution throttled past the SDK's retries; Lambda's retry (same request id) resumes the run, and the reconciler closes it when its execution fails", async () => {
		// The retrain run above was only started (its execution never ran): take it over.
		const request = { rerun: true, batchId: "b1", force: true };
		sfnFailures = 3; // the SDK's own three attempts
		await expect(
			invoke("Trigger", request, "req-throttled"),
		).rejects.toMatchObject({ name: "ThrottlingException" });
		const table = fns.get("Trigger")?.env.STATE_TABLE as string;
		const manifest = new DynamoDbRunManifest({ table, client: dynamo.client });
		const held = await manifest.claimOf("b1");
		expect(held).toMatchObject({
			status: "started",
			requestKey: "lambda:req-throttled",
		});
		const before = started.length;
		const retry = (await invoke("Trigger", request, "req-throttled")) as {
			started: string[];
			resumed: string[];
		};
		expect(retry).toMatchObject({
			started: [held?.runId],
			resumed: [held?.runId],
		});
		expect(started.slice(before).map((c) => c.name)).toEqual([
			String(held?.runId).replace(/[^A-Za-z0-9_-]/g, "-"),
		]);
		const runId = String(held?.runId);
		// Its execution fails with an error MarkFailed never sees (States.Runtime).
		const event = {
			source: "aws.states",
			"detail-type": "Step Functions Execution Status Change",
			detail: {
				executionArn: `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${runId}`,
				stateMachineArn,
				name: runId,
				status: "FAILED",
				input: started.at(-1)?.input,
				error: "States.Runtime",
				cause: "An error occurred while executing the state 'Silver'",
			},
		};
		expect(await invoke("Reconciler", event)).toEqual([
			{
				runId,
				outcome: "marked_failed",
				detail:
					"States.Runtime: An error occurred while executing the state 'Silver'",
			},
		]);
		expect((await manifest.get(runId))?.status).toBe("failed");
		// The same event delivered again: the status is final.
		expect(await invoke("Reconciler", event)).toEqual([
			{ runId, outcome: "already_finished" },
		]);
		// The sweep finds nothing past its lease.
		const swept = (await invoke("Reconciler", { sweep: true })) as Array<{
			outcome: string;
		}>;
		expect(swept.filter((r) => r.outcome.startsWith("marked"))).toEqual([]);
		expect(stderrOf.get("Reconciler") ?? "").toMatch(/reconciler_closed/);
	}, 120_000);

	it("every S3 request of every function is allowed by that function's deployed role policy", () => {
		expect(s3Log.length).toBeGreaterThan(20);
		const allows = (fn: string, action: string, arn: string, prefix?: string) =>
			(
				(fns.get(fn)?.policy as PolicyDocument | undefined)?.Statement ?? []
			).some(
				(s) =>
					(Array.isArray(s.Action) ? s.Action : [s.Action]).includes(action) &&
					(Array.isArray(s.Resource) ? s.Resource : [s.Resource]).some((g) =>
						like(String(g), arn),
					) &&
					// The s3:prefix condition of a ListBucket grant, evaluated as IAM does.
					conditionHolds(s.Condition, { "s3:prefix": prefix ?? "" }),
			);
		const denied: string[] = [];
		const byFn: Record<string, number> = {};
		for (const r of s3Log) {
			byFn[r.fn] = (byFn[r.fn] ?? 0) + 1;
			const action =
				r.key === undefined
					? "s3:ListBucket"
					: r.method === "GET" || r.method === "HEAD"
						? "s3:GetObject"
						: r.method === "PUT" || r.method === "POST"
							? "s3:PutObject"
							: r.method === "DELETE"
								? "s3:DeleteObject"
								: `s3:${r.method}`;
			// The lake, or the site bucket (MarkSucceeded switches the live site there).
			const arn =
				r.key === undefined
					? `arn:aws:s3:::${r.bucket}`
					: `arn:aws:s3:::${r.bucket}/${r.key}`;
			if (!allows(r.fn, action, arn, r.list))
				denied.push(`${r.fn}: ${action} ${r.key ?? `list ${r.list}`}`);
		}
		console.log("[infra] S3 requests per function", JSON.stringify(byFn));
		const seen = new Set(
			s3Log.map(
				(r) =>
					`${r.fn} ${r.method} ${r.bucket === bucket ? "" : `${r.bucket}:`}${(r.key ?? `?prefix=${r.list}`).replace(String(input.runId), "<run>")}`,
			),
		);
		console.log(`[infra] S3 requests:\n${[...seen].join("\n")}`);
		expect(denied).toEqual([]);
		// Every stage granted lake access was exercised (MarkFailed runs in its own test).
		for (const stage of LAMBDA_STAGES.filter(
			(s) =>
				s !== "MarkFailed" &&
				STAGE_ACCESS[s].reads.length + STAGE_ACCESS[s].writes.length > 0,
		))
			expect(byFn[stage] ?? 0, stage).toBeGreaterThan(0);
	});

	it("every DynamoDB request of every function is allowed by that function's deployed role policy", () => {
		expect(dynamoLog.length).toBeGreaterThan(10);
		const denied: string[] = [];
		const seen = new Set<string>();
		for (const r of dynamoLog) {
			seen.add(
				`${r.fn} ${r.action} ${r.table} ${r.leadingKey?.replace(/#.*/, "#…") ?? ""}`,
			);
			const arn = r.table ? tableArns.get(r.table) : undefined;
			const policy = fns.get(r.fn)?.policy as PolicyDocument;
			const ok =
				arn !== undefined &&
				policy.Statement.some(
					(st) =>
						(Array.isArray(st.Action) ? st.Action : [st.Action]).includes(
							r.action,
						) &&
						(Array.isArray(st.Resource) ? st.Resource : [st.Resource]).includes(
							arn,
						) &&
						conditionHolds(st.Condition, {
							"dynamodb:LeadingKeys": r.leadingKey,
						}),
				);
			if (!ok)
				denied.push(
					`${r.fn}: ${r.action} on ${r.table} (key ${r.leadingKey ?? "none"})`,
				);
		}
		console.log(`[infra] DynamoDB requests:\n${[...seen].join("\n")}`);
		expect(denied).toEqual([]);
	});
});

/**
 * A Task state by name anywhere in a definition's States: top level, a Map's
 * ItemProcessor, a Parallel state's branches (Train and Ladder run in one).
 */
function findTaskState(states: Json, name: string): Json | undefined {
	if (states[name]) return states[name];
	for (const st of Object.values(states) as Json[]) {
		const inner = [
			...(st.ItemProcessor ? [st.ItemProcessor.States] : []),
			...((st.Branches ?? []) as Json[]).map((b) => b.States),
		];
		for (const s of inner) {
			const found = findTaskState(s, name);
			if (found) return found;
		}
	}
	return undefined;
}
