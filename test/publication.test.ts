/**
 * The publication primitives of MarkSucceeded (docs/run-lifecycle.md,
 * "Promotion and publication"): the conditional latest.json (local lock and
 * content hash; S3 If-Match on the ETag) and the live site switch (local
 * symlink swap; S3 copy with index.html last, on s3rver).
 */
import {
	lstat,
	mkdir,
	mkdtemp,
	readFile,
	rm,
	writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
	GetObjectCommand,
	PutObjectCommand,
	S3Client,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	isNewerRun,
	type LatestPointer,
	readLatest,
	writeLatestIfNewer,
} from "../runtime/io/lake.ts";
import {
	LocalObjectStore,
	type ObjectStore,
} from "../runtime/io/object-store.ts";
import { S3ObjectStore } from "../runtime/io/s3-object-store.ts";
import { runSitePrefix, switchLiveSite } from "../runtime/report/publish.ts";
import { type S3Peer, startS3Peer } from "./support/peers.ts";

let scratch: string;
let s3: S3Peer;
beforeAll(async () => {
	scratch = await mkdtemp(join(tmpdir(), "publication-"));
	s3 = await startS3Peer();
});
afterAll(async () => {
	await s3?.stop();
	await rm(scratch, { recursive: true, force: true });
});

const pointer = (runId: string, startedAt: string): LatestPointer => ({
	runId,
	batchId: "b",
	startedAt,
	finishedAt: "2026-12-01T12:00:00.000Z",
});

describe("latest.json: written only by a newer run", () => {
	it("orders runs by start time, then run id", () => {
		expect(
			isNewerRun(
				pointer("a", "2026-12-01T10:00Z"),
				pointer("b", "2026-12-01T09:00Z"),
			),
		).toBe(true);
		expect(
			isNewerRun(
				pointer("a", "2026-12-01T09:00Z"),
				pointer("b", "2026-12-01T10:00Z"),
			),
		).toBe(false);
		expect(
			isNewerRun({ runId: "20261201T10_x" }, { runId: "20261201T09_x" }),
		).toBe(true);
	});

	it("locally: the older of two runs finishing last does not win, also when they race", async () => {
		const store = new LocalObjectStore(await mkdtemp(join(scratch, "lake-")));
		const newer = pointer("run-new", "2026-12-01T10:00:00Z");
		const older = pointer("run-old", "2026-12-01T09:00:00Z");
		expect(await writeLatestIfNewer(store, newer)).toEqual({ written: true });
		expect(await writeLatestIfNewer(store, older)).toEqual({
			written: false,
			current: newer,
		});
		expect((await readLatest(store))?.runId).toBe("run-new");
		// Ten runs finishing at once: the newest wins whatever the order of the writes.
		const runs = Array.from({ length: 10 }, (_, i) =>
			pointer(`run-${i}`, `2026-12-02T0${i}:00:00Z`),
		);
		await Promise.all(runs.reverse().map((r) => writeLatestIfNewer(store, r)));
		expect((await readLatest(store))?.runId).toBe("run-9");
		// A retried MarkSucceeded of the run it names: nothing to do.
		expect(await writeLatestIfNewer(store, runs[0])).toEqual({ written: true });
	});

	it("locally: a changed object fails the conditional put; a stale lock is taken over", async () => {
		const root = await mkdtemp(join(scratch, "lake-"));
		const store = new LocalObjectStore(root);
		await store.put("latest.json", "{}");
		const got = await store.getTagged("latest.json");
		await store.put("latest.json", '{"runId":"other"}');
		expect(await store.putIfUnchanged("latest.json", "x", got?.tag)).toBe(
			false,
		);
		expect(await store.putIfUnchanged("latest.json", "y", undefined)).toBe(
			false,
		);
		// A lock left by a dead process (older than 30 s) does not block for ever.
		const lock = join(root, "latest.json.lock");
		await writeFile(lock, "999999\n");
		const { utimes } = await import("node:fs/promises");
		const old = new Date(Date.now() - 60_000);
		await utimes(lock, old, old);
		const now = await store.getTagged("latest.json");
		expect(await store.putIfUnchanged("latest.json", "z", now?.tag)).toBe(true);
		expect(await readFile(join(root, "latest.json"), "utf8")).toBe("z");
		await expect(lstat(lock)).rejects.toThrow();
	});

	it("on S3: PutObject carries If-Match with the ETag read (If-None-Match when absent); a 412 means judge again", async () => {
		const client = new S3Client({ region: "eu-west-1" });
		const mock = mockClient(client);
		// The one method of the SDK's stream body the store calls.
		const body = (text: string) =>
			({
				transformToByteArray: async () => new TextEncoder().encode(text),
			}) as never;
		const older = pointer("run-old", "2026-12-01T09:00:00Z");
		const mine = pointer("run-mine", "2026-12-01T10:00:00Z");
		const racer = pointer("run-racer", "2026-12-01T11:00:00Z");
		mock
			.on(GetObjectCommand)
			.resolvesOnce({ Body: body(JSON.stringify(older)), ETag: '"e1"' })
			.resolvesOnce({ Body: body(JSON.stringify(racer)), ETag: '"e2"' });
		const precondition = Object.assign(new Error("PreconditionFailed"), {
			name: "PreconditionFailed",
			$metadata: { httpStatusCode: 412 },
		});
		mock.on(PutObjectCommand).rejectsOnce(precondition);
		const store = new S3ObjectStore({ bucket: "lake", client });
		// Read older (e1), put If-Match e1 → 412 (a newer run got in), read again: racer is newer, stop.
		expect(await writeLatestIfNewer(store, mine)).toEqual({
			written: false,
			current: racer,
		});
		const puts = mock.commandCalls(PutObjectCommand);
		expect(puts).toHaveLength(1);
		expect(puts[0].args[0].input).toMatchObject({
			Key: "latest.json",
			IfMatch: '"e1"',
		});
		mock.reset();
		mock.on(GetObjectCommand).rejects(
			Object.assign(new Error("NoSuchKey"), {
				name: "NoSuchKey",
				$metadata: { httpStatusCode: 404 },
			}),
		);
		mock.on(PutObjectCommand).resolves({});
		expect(await writeLatestIfNewer(store, mine)).toEqual({ written: true });
		expect(mock.commandCalls(PutObjectCommand)[0].args[0].input).toMatchObject({
			IfNoneMatch: "*",
		});
	});
});

/** A built site under the run's prefix: an asset, a nested page, index.html. */
async function publishFake(store: ObjectStore, runId: string, asset: string) {
	const p = runSitePrefix(runId);
	await store.put(`${p}_app/${asset}`, `// ${runId}`);
	await store.put(`${p}churn/index.html`, `<p>${runId} churn</p>`);
	await store.put(`${p}index.html`, `<h1>${runId}</h1>`);
}

describe("live site switch", () => {
	it("locally: the live folder becomes a link to the run's site, swapped atomically; an old real folder is replaced", async () => {
		const root = await mkdtemp(join(scratch, "lake-"));
		const store = new LocalObjectStore(root);
		// A site built before per-run prefixes: a real folder.
		await mkdir(join(root, "reports", "site"), { recursive: true });
		await writeFile(join(root, "reports", "site", "index.html"), "legacy");
		expect(await switchLiveSite(store, "run-0")).toBeUndefined();
		expect(await readFile(join(root, "reports/site/index.html"), "utf8")).toBe(
			"legacy",
		);
		await publishFake(store, "run-1", "a1.js");
		expect(await switchLiveSite(store, "run-1")).toMatchObject({
			mode: "symlink",
			files: 3,
		});
		expect((await lstat(join(root, "reports/site"))).isSymbolicLink()).toBe(
			true,
		);
		expect(
			await readFile(join(root, "reports/site/churn/index.html"), "utf8"),
		).toContain("run-1");
		await publishFake(store, "run-2", "a2.js");
		await switchLiveSite(store, "run-2");
		expect(
			await readFile(join(root, "reports/site/index.html"), "utf8"),
		).toContain("run-2");
		// The previous run's copy is intact (MarkFailed can switch back to it).
		await switchLiveSite(store, "run-1");
		expect(
			await readFile(join(root, "reports/site/index.html"), "utf8"),
		).toContain("run-1");
	});

	it("on S3 (s3rver): copied to the live prefix with index.html last, stale live objects removed, per-run copies kept", async () => {
		await s3.createBucket("site-switch");
		const store = new S3ObjectStore({
			bucket: "site-switch",
			client: s3.client,
		});
		await publishFake(store, "run-1", "a1.js");
		await switchLiveSite(store, "run-1", "");
		expect(await store.getText("index.html")).toContain("run-1");
		expect(await store.exists("_app/a1.js")).toBe(true);
		await publishFake(store, "run-2", "a2.js");
		// Record the order of the live writes.
		const order: string[] = [];
		const put = store.put.bind(store);
		store.put = async (k, b, o) => {
			if (!k.startsWith("reports/")) order.push(k);
			return put(k, b, o);
		};
		const r = await switchLiveSite(store, "run-2", "");
		expect(r).toMatchObject({ mode: "copy", files: 3, removed: 1 });
		expect(order).toEqual(["_app/a2.js", "churn/index.html", "index.html"]);
		expect(await store.getText("churn/index.html")).toContain("run-2");
		expect(await store.exists("_app/a1.js")).toBe(false);
		// Both runs' own copies stay.
		expect(await store.exists(`${runSitePrefix("run-1")}_app/a1.js`)).toBe(
			true,
		);
		expect(await store.exists(`${runSitePrefix("run-2")}index.html`)).toBe(
			true,
		);
	});
});
