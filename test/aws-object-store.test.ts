/**
 * One behavioural suite for both ObjectStore implementations: the local
 * folder and S3 (against s3rver on loopback), plus the S3 error mapping.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TransientIOError } from "../runtime/errors.ts";
import { lakeObjectTags } from "../runtime/io/lake.ts";
import {
	checkKey,
	InvalidObjectKeyError,
	LocalObjectStore,
	ObjectNotFoundError,
	type ObjectStore,
} from "../runtime/io/object-store.ts";
import {
	isTransientAwsError,
	S3ObjectStore,
} from "../runtime/io/s3-object-store.ts";
import {
	closedPort,
	type S3Peer,
	startErrorPeer,
	startS3Peer,
} from "./support/peers.ts";

let s3: S3Peer;
let scratch: string;
let bucketCount = 0;

beforeAll(async () => {
	s3 = await startS3Peer();
	scratch = await mkdtemp(join(tmpdir(), "objstore-"));
});
afterAll(async () => {
	await s3?.stop();
	await rm(scratch, { recursive: true, force: true });
});

interface Impl {
	name: string;
	/** A fresh, empty store; pageSize only matters to S3. */
	make(pageSize?: number): Promise<ObjectStore>;
}

const impls: Impl[] = [
	{
		name: "LocalObjectStore",
		make: async () =>
			new LocalObjectStore(await mkdtemp(join(scratch, "lake-"))),
	},
	{
		name: "S3ObjectStore (s3rver)",
		make: async (pageSize) => {
			const bucket = `lake-test-${++bucketCount}`;
			await s3.createBucket(bucket);
			return new S3ObjectStore({
				bucket,
				prefix: "env/dev",
				client: s3.client,
				pageSize,
			});
		},
	},
];

describe.each(impls)("$name", (impl) => {
	it("round-trips bytes and text, and a put replaces the object", async () => {
		const store = await impl.make();
		const bytes = Uint8Array.from([0, 1, 2, 250, 255]);
		await store.put("runs/r1/gold/t.parquet", bytes);
		expect(await store.get("runs/r1/gold/t.parquet")).toEqual(bytes);
		await store.put("runs/r1/run_report.json", '{"ñ":"€"}', {
			contentType: "application/json",
		});
		expect(await store.getText("runs/r1/run_report.json")).toBe('{"ñ":"€"}');
		await store.put("runs/r1/run_report.json", "second");
		expect(await store.getText("runs/r1/run_report.json")).toBe("second");
		await store.put("empty.txt", "");
		expect(await store.get("empty.txt")).toEqual(new Uint8Array());
		expect(await store.exists("runs/r1/run_report.json")).toBe(true);
		expect(await store.exists("runs/r1/nope.json")).toBe(false);
		// A "folder" is not an object.
		expect(await store.exists("runs/r1")).toBe(false);
	});

	it("lists by string prefix, sorted, and nothing outside it", async () => {
		const store = await impl.make();
		const keys = [
			"raw/b1/churn_label.csv",
			"raw/b1/consumption_hourly_2024/part-1.parquet",
			"raw/b10/x.csv",
			"raw/b2/y.csv",
			"top.json",
		];
		for (const k of [...keys].reverse()) await store.put(k, k);
		expect(await store.list("raw/b1/")).toEqual([
			"raw/b1/churn_label.csv",
			"raw/b1/consumption_hourly_2024/part-1.parquet",
		]);
		expect(await store.list("raw/b1")).toEqual([
			"raw/b1/churn_label.csv",
			"raw/b1/consumption_hourly_2024/part-1.parquet",
			"raw/b10/x.csv",
		]);
		expect(await store.list("")).toEqual([...keys].sort());
		expect(await store.list("raw/b3/")).toEqual([]);
		expect(await store.list("nothing")).toEqual([]);
	});

	it("lists every key across pages", async () => {
		// 3 keys a page on S3 → 9 pages for 25 keys (ListObjectsV2 continuation tokens).
		const store = await impl.make(3);
		const keys = Array.from(
			{ length: 25 },
			(_, i) => `monitoring/drift/f${String(i).padStart(2, "0")}.json`,
		);
		await Promise.all(keys.map((k) => store.put(k, "{}")));
		await store.put("monitoring/other.json", "{}");
		expect(await store.list("monitoring/drift/")).toEqual(keys);
	});

	it("maps a missing key to ObjectNotFoundError for get, getText and download", async () => {
		const store = await impl.make();
		await store.put("a/b.json", "1");
		for (const call of [
			() => store.get("a/missing.json"),
			() => store.getText("nothing/here"),
			() => store.download("a/missing.json", join(scratch, "never.json")),
		]) {
			const error = await call().then(
				() => undefined,
				(e: unknown) => e,
			);
			expect(error).toBeInstanceOf(ObjectNotFoundError);
			expect((error as ObjectNotFoundError).name).toBe("ObjectNotFoundError");
		}
		const e = (await store
			.get("a/missing.json")
			.catch((x: unknown) => x)) as ObjectNotFoundError;
		expect(e.key).toBe("a/missing.json");
		expect(e.message).toContain('no object "a/missing.json"');
	});

	it("downloads to a local file, creating its folder and replacing an old file", async () => {
		const store = await impl.make();
		const body = new Uint8Array(300_000).map((_, i) => i % 251);
		await store.put("models/v0001/model.json", body);
		const target = join(
			await mkdtemp(join(scratch, "dl-")),
			"deep",
			"folder",
			"model.json",
		);
		await store.download("models/v0001/model.json", target);
		// Buffer.compare: toEqual on 300,000 elements is needlessly slow.
		expect(Buffer.compare(await readFile(target), body)).toBe(0);
		await store.put("models/v0001/model.json", "v2");
		await store.download("models/v0001/model.json", target);
		expect(await readFile(target, "utf8")).toBe("v2");
		// No temp file left beside it.
		expect(await readdir(join(target, ".."))).toEqual(["model.json"]);
	});

	it("deletes, and deleting a missing key is not an error", async () => {
		const store = await impl.make();
		await store.put("x/y.txt", "y");
		await store.delete("x/y.txt");
		expect(await store.exists("x/y.txt")).toBe(false);
		await expect(store.delete("x/y.txt")).resolves.toBeUndefined();
		expect(await store.list("x/")).toEqual([]);
	});

	it("refuses keys that escape or alias the store root", async () => {
		const store = await impl.make();
		for (const key of [
			"../x",
			"a/../../x",
			"/etc/passwd",
			"a//b",
			"./a",
			"a\\b",
			"",
			"a/",
		]) {
			await expect(store.put(key, "no"), key).rejects.toThrow(
				InvalidObjectKeyError,
			);
			await expect(store.get(key), key).rejects.toThrow(InvalidObjectKeyError);
		}
		await expect(store.list("../")).rejects.toThrow(InvalidObjectKeyError);
	});
});

describe("LocalObjectStore specifics", () => {
	it("keeps objects inside its folder and never lists temp files", async () => {
		const root = await mkdtemp(join(scratch, "local-"));
		const store = new LocalObjectStore(root);
		await store.put("a/b.txt", "b");
		expect(await readFile(join(root, "a", "b.txt"), "utf8")).toBe("b");
		// An in-flight temp file of a concurrent put is invisible to list().
		await store.put("a/c.txt", "c");
		const { writeFile } = await import("node:fs/promises");
		await writeFile(join(root, "a", ".objtmp-123-abc"), "partial");
		expect(await store.list("a/")).toEqual(["a/b.txt", "a/c.txt"]);
	});

	it("checkKey accepts ordinary lake keys", () => {
		expect(
			checkKey("raw/2024-12/consumption_hourly_2024/part-0001.parquet"),
		).toBe("raw/2024-12/consumption_hourly_2024/part-0001.parquet");
		expect(checkKey("a..b/c")).toBe("a..b/c");
	});
});

describe("S3ObjectStore specifics", () => {
	it("stores keys under its prefix, invisible to a store with another prefix", async () => {
		await s3.createBucket("lake-prefixes");
		const dev = new S3ObjectStore({
			bucket: "lake-prefixes",
			prefix: "/dev/",
			client: s3.client,
		});
		const prod = new S3ObjectStore({
			bucket: "lake-prefixes",
			prefix: "prod",
			client: s3.client,
		});
		const root = new S3ObjectStore({
			bucket: "lake-prefixes",
			client: s3.client,
		});
		await dev.put("raw/b1/churn_label.csv", "x");
		expect(await root.list("")).toEqual(["dev/raw/b1/churn_label.csv"]);
		expect(await dev.list("raw/")).toEqual(["raw/b1/churn_label.csv"]);
		expect(await prod.list("")).toEqual([]);
		expect(await prod.exists("raw/b1/churn_label.csv")).toBe(false);
		expect(dev.location).toBe("s3://lake-prefixes/dev/");
	});

	it("tags run outputs by layer, for the lake's lifecycle rules", async () => {
		// s3rver stores PutObject's x-amz-tagging header nowhere (it implements only
		// PutObjectTagging), so this checks the header each put sends to the peer.
		await s3.createBucket("lake-tags");
		const client = new S3Client({
			endpoint: s3.endpoint,
			region: "eu-west-1",
			credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
			forcePathStyle: true,
		});
		const sent: Record<string, string | undefined> = {};
		client.middlewareStack.add(
			(next) => async (args) => {
				const req = args.request as {
					path?: string;
					headers?: Record<string, string>;
				};
				const input = args.input as { Key?: string };
				if (input.Key) sent[input.Key] = req.headers?.["x-amz-tagging"];
				return next(args);
			},
			{ step: "finalizeRequest", name: "captureTagging" },
		);
		const store = new S3ObjectStore({
			bucket: "lake-tags",
			client,
			tagsFor: lakeObjectTags,
		});
		await store.put("runs/r1/bronze/bronze_customer.parquet", "b");
		await store.put("runs/r1/scored/scores.parquet", "s");
		await store.put("runs/r1/gold/gold_customer.parquet", "g");
		await store.put("raw/b1/churn_label.csv", "r");
		expect(sent).toEqual({
			"runs/r1/bronze/bronze_customer.parquet": "layer=bronze",
			"runs/r1/scored/scores.parquet": "layer=scored",
			"runs/r1/gold/gold_customer.parquet": undefined,
			"raw/b1/churn_label.csv": undefined,
		});
		expect(await store.getText("runs/r1/scored/scores.parquet")).toBe("s");
		client.destroy();
	});

	it("maps a network failure to TransientIOError", async () => {
		const client = new S3Client({
			endpoint: `http://127.0.0.1:${await closedPort()}`,
			region: "eu-west-1",
			credentials: { accessKeyId: "x", secretAccessKey: "x" },
			forcePathStyle: true,
			maxAttempts: 1,
		});
		const store = new S3ObjectStore({ bucket: "lake-x", client });
		const e = await store.get("a.txt").catch((x: unknown) => x);
		expect(e).toBeInstanceOf(TransientIOError);
		expect((e as Error).name).toBe("TransientIOError");
		expect((e as Error).message).toContain("GetObject s3://lake-x/a.txt");
		await expect(store.list("")).rejects.toThrow(TransientIOError);
		client.destroy();
	});

	it("maps throttling (503 SlowDown) and 500 to TransientIOError", async () => {
		for (const [status, code] of [
			[503, "SlowDown"],
			[500, "InternalError"],
		] as const) {
			const peer = await startErrorPeer(
				status,
				`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>try later</Message></Error>`,
			);
			const client = new S3Client({
				endpoint: peer.endpoint,
				region: "eu-west-1",
				credentials: { accessKeyId: "x", secretAccessKey: "x" },
				forcePathStyle: true,
				maxAttempts: 1,
			});
			const store = new S3ObjectStore({ bucket: "lake-x", client });
			await expect(store.put("a.txt", "a"), code).rejects.toThrow(
				TransientIOError,
			);
			await expect(store.exists("a.txt"), code).rejects.toThrow(
				TransientIOError,
			);
			client.destroy();
			await peer.stop();
		}
	});

	it("passes permanent errors through unchanged (NoSuchBucket is not retried)", async () => {
		const store = new S3ObjectStore({
			bucket: "lake-never-created",
			client: s3.client,
		});
		const e = await store.put("a.txt", "a").catch((x: unknown) => x);
		expect((e as Error).name).toBe("NoSuchBucket");
		expect(e).not.toBeInstanceOf(TransientIOError);
	});

	it("classifies AWS errors by name, status and socket code", () => {
		const meta = (httpStatusCode: number) => ({
			$metadata: { httpStatusCode },
		});
		expect(
			isTransientAwsError({ name: "ThrottlingException", ...meta(400) }),
		).toBe(true);
		expect(
			isTransientAwsError({
				name: "ProvisionedThroughputExceededException",
				...meta(400),
			}),
		).toBe(true);
		expect(isTransientAwsError({ name: "Whatever", ...meta(502) })).toBe(true);
		expect(isTransientAwsError({ name: "Whatever", ...meta(429) })).toBe(true);
		expect(
			isTransientAwsError(
				Object.assign(new Error("x"), { code: "ECONNRESET" }),
			),
		).toBe(true);
		expect(isTransientAwsError({ name: "AccessDenied", ...meta(403) })).toBe(
			false,
		);
		expect(
			isTransientAwsError({
				name: "ConditionalCheckFailedException",
				...meta(400),
			}),
		).toBe(false);
		expect(isTransientAwsError({ name: "NoSuchKey", ...meta(404) })).toBe(
			false,
		);
		expect(isTransientAwsError("boom")).toBe(false);
	});
});
