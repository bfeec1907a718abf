/**
 * Real AWS protocol peers on loopback, started in-process for the adapter
 * tests: s3rver (S3, objects in a temp folder) and dynalite (DynamoDB, in
 * memory). Both listen on a free port chosen by the OS; the SDK clients point
 * at them with dummy credentials in eu-west-1.
 */
import type { BinaryLike, CipherKey } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";

const REGION = "eu-west-1";
/** s3rver checks request signatures against this fixed key pair; dynalite accepts any. */
const credentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export interface S3Peer {
	endpoint: string;
	client: S3Client;
	/** Create a bucket through the S3 API (so its name is validated as AWS would). */
	createBucket(name: string): Promise<void>;
	stop(): Promise<void>;
}

/**
 * s3rver 3.7 encrypts ListObjectsV2 continuation tokens with single DES, which
 * OpenSSL 3 (Node ≥ 17) only offers in its legacy provider, so any truncated
 * listing fails with a 500. Triple DES with K1 = K2 = K3 is DES bit for bit:
 * map "des" to it, for this test process only, so the peer's pagination works.
 */
function allowS3rverTokenCipher(): void {
	const crypto = createRequire(import.meta.url)(
		"node:crypto",
	) as typeof import("node:crypto") & { __desShim?: true };
	if (crypto.__desShim) return;
	try {
		crypto.createCipheriv("des", Buffer.alloc(8), Buffer.alloc(8));
		return; // DES available (legacy provider loaded): nothing to do
	} catch {
		// fall through and install the mapping
	}
	const triple = (key: CipherKey) => {
		const k = Buffer.from(key as Uint8Array);
		return Buffer.concat([k, k, k]);
	};
	const { createCipheriv, createDecipheriv } = crypto;
	const patched = crypto as unknown as Record<string, unknown>;
	patched.createCipheriv = (
		alg: string,
		key: CipherKey,
		iv: BinaryLike | null,
		opts?: unknown,
	) =>
		alg === "des"
			? createCipheriv("des-ede3-cbc", triple(key), iv)
			: (createCipheriv as (...a: unknown[]) => unknown)(alg, key, iv, opts);
	patched.createDecipheriv = (
		alg: string,
		key: CipherKey,
		iv: BinaryLike | null,
		opts?: unknown,
	) =>
		alg === "des"
			? createDecipheriv("des-ede3-cbc", triple(key), iv)
			: (createDecipheriv as (...a: unknown[]) => unknown)(alg, key, iv, opts);
	crypto.__desShim = true;
}

export async function startS3Peer(): Promise<S3Peer> {
	allowS3rverTokenCipher();
	const directory = await mkdtemp(join(tmpdir(), "s3rver-"));
	const server = new S3rver({
		address: "127.0.0.1",
		port: 0,
		directory,
		silent: true,
	});
	const { port } = await server.run();
	const endpoint = `http://127.0.0.1:${port}`;
	const client = new S3Client({
		endpoint,
		region: REGION,
		credentials,
		forcePathStyle: true,
		maxAttempts: 1,
	});
	return {
		endpoint,
		client,
		async createBucket(name) {
			await client.send(new CreateBucketCommand({ Bucket: name }));
		},
		async stop() {
			client.destroy();
			await server.close();
			await rm(directory, { recursive: true, force: true });
		},
	};
}

/** dynalite ships no types: the part of its API used here. */
type Dynalite = (opts: {
	createTableMs?: number;
	deleteTableMs?: number;
	updateTableMs?: number;
}) => Server;

export interface DynamoPeer {
	endpoint: string;
	client: DynamoDBClient;
	stop(): Promise<void>;
}

export async function startDynamoPeer(): Promise<DynamoPeer> {
	const dynalite = createRequire(import.meta.url)("dynalite") as Dynalite;
	// No artificial CREATING delay: tests create their tables up front.
	const server = dynalite({
		createTableMs: 0,
		deleteTableMs: 0,
		updateTableMs: 0,
	});
	await new Promise<void>((resolve, reject) => {
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => resolve());
	});
	const { port } = server.address() as AddressInfo;
	const endpoint = `http://127.0.0.1:${port}`;
	const client = new DynamoDBClient({
		endpoint,
		region: REGION,
		credentials,
		maxAttempts: 1,
	});
	return {
		endpoint,
		client,
		async stop() {
			client.destroy();
			await new Promise<void>((resolve, reject) =>
				server.close((e) => (e ? reject(e) : resolve())),
			);
		},
	};
}

/** A loopback port with nothing listening on it (for network-failure tests). */
export async function closedPort(): Promise<number> {
	const { createServer } = await import("node:net");
	const s = createServer();
	await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
	const { port } = s.address() as AddressInfo;
	await new Promise<void>((r) => s.close(() => r()));
	return port;
}

/** An HTTP server on loopback that answers every request with one fixed error (throttling, 5xx…). */
export async function startErrorPeer(
	status: number,
	body: string,
	contentType = "application/xml",
): Promise<{ endpoint: string; stop(): Promise<void> }> {
	const { createServer } = await import("node:http");
	const server = createServer((req, res) => {
		req.resume();
		req.on("end", () => {
			res.writeHead(status, { "content-type": contentType });
			res.end(body);
		});
	});
	await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
	const { port } = server.address() as AddressInfo;
	return {
		endpoint: `http://127.0.0.1:${port}`,
		stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
}
