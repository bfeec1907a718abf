/**
 * Version-pinned reads of the object stores (a run pins its raw files:
 * docs/batch-manifest.md): head gives size and version, a read of a pinned
 * version that was replaced fails with ObjectChangedError — on a local
 * folder and on S3 (s3rver, which keeps no versions: the ETag is the pin,
 * read back with If-Match). The VersionId form of the pin is checked on the
 * request the SDK sends.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	LocalObjectStore,
	materialize,
	ObjectChangedError,
	type ObjectStore,
} from "../runtime/io/object-store.ts";
import { S3ObjectStore } from "../runtime/io/s3-object-store.ts";
import { type S3Peer, startS3Peer } from "./support/peers.ts";

let s3: S3Peer;
let scratch: string;
beforeAll(async () => {
	s3 = await startS3Peer();
	await s3.createBucket("versions");
	scratch = await mkdtemp(join(tmpdir(), "versions-"));
});
afterAll(async () => {
	await s3?.stop();
	await rm(scratch, { recursive: true, force: true });
});

const stores: Array<{ name: string; make(): Promise<ObjectStore> }> = [
	{
		name: "local folder",
		make: async () => new LocalObjectStore(await mkdtemp(join(scratch, "l-"))),
	},
	{
		name: "S3 (s3rver)",
		make: async () =>
			new S3ObjectStore({
				bucket: "versions",
				prefix: `p${Math.random().toString(36).slice(2)}`,
				client: s3.client,
			}),
	},
];

describe.each(stores)("pinned reads on $name", (def) => {
	it("head gives size and a version that changes on a re-upload; a pinned read of a replaced object fails", async () => {
		const store = await def.make();
		const key = "raw/b/part-000.parquet";
		await store.put(key, "first");
		const pinned = await store.head(key);
		expect(pinned).toMatchObject({ key, bytes: 5 });
		const version = pinned?.version ?? "";
		expect(new TextDecoder().decode(await store.get(key, { version }))).toBe(
			"first",
		);
		expect(await store.head("raw/b/none")).toBeUndefined();
		expect(await store.listObjects("raw/b/")).toEqual([{ key, bytes: 5 }]);

		// A re-upload of the same size mid-run.
		await new Promise((r) => setTimeout(r, 5));
		await store.put(key, "FIRST");
		expect((await store.head(key))?.version).not.toBe(version);
		await expect(store.get(key, { version })).rejects.toBeInstanceOf(
			ObjectChangedError,
		);
		await expect(store.get(key, { version })).rejects.toThrow(
			/^raw file changed during the run: raw\/b\/part-000\.parquet is no longer the version ValidateRaw pinned/,
		);
		await expect(
			materialize(store, key, join(scratch, "m"), { version }),
		).rejects.toBeInstanceOf(ObjectChangedError);
		// Unpinned reads see the new bytes.
		expect(new TextDecoder().decode(await store.get(key))).toBe("FIRST");
	});
});

it("a VersionId pin reads that version (GetObject VersionId)", async () => {
	const sent: Array<Record<string, unknown>> = [];
	const client = new S3Client({
		region: "eu-west-1",
		endpoint: s3.endpoint,
		forcePathStyle: true,
		credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
		maxAttempts: 1,
	});
	client.middlewareStack.add(
		(next) => async (args) => {
			sent.push({ ...(args.input as Record<string, unknown>) });
			return next(args);
		},
		{ step: "initialize" },
	);
	const store = new S3ObjectStore({ bucket: "versions", client });
	await store
		.get("raw/b/x", { version: "id:3HL4kqtJlcpXroDTDmjVBH40Nrjfkd" })
		.catch(() => undefined);
	expect(sent.at(-1)).toMatchObject({
		Key: "raw/b/x",
		VersionId: "3HL4kqtJlcpXroDTDmjVBH40Nrjfkd",
	});
	expect(sent.at(-1)?.IfMatch).toBeUndefined();
	expect(GetObjectCommand).toBeDefined();
	client.destroy();
});
