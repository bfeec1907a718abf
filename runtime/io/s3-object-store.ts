/**
 * ObjectStore on Amazon S3. Keys are the same relative keys as the local
 * store, placed under an optional prefix of the bucket. Errors are mapped so
 * the state machine can act on them: a missing key is ObjectNotFoundError
 * (permanent), throttling / 5xx / network failures are TransientIOError
 * (retried), anything else (AccessDenied, NoSuchBucket…) is passed on as is.
 */
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
	DeleteObjectCommand,
	GetObjectCommand,
	HeadObjectCommand,
	ListObjectsV2Command,
	type ListObjectsV2CommandOutput,
	PutObjectCommand,
	S3Client,
} from "@aws-sdk/client-s3";
import { TransientIOError } from "../errors.ts";
import {
	checkKey,
	checkPrefix,
	ObjectChangedError,
	type ObjectInfo,
	ObjectNotFoundError,
	type ObjectStore,
	type VersionedInfo,
	type VersionOption,
} from "./object-store.ts";

/**
 * Version tokens: `id:<VersionId>` on a versioned bucket (the lake is), else
 * `etag:<ETag>` (read back with If-Match, which fails once it is replaced).
 */
function versionToken(versionId?: string, etag?: string): string {
	if (versionId && versionId !== "null") return `id:${versionId}`;
	// Without its quotes: the token travels in the execution state, and a
	// quote there is one more thing to escape (the local runner's
	// States.JsonToString does not).
	return `etag:${(etag ?? "").replace(/^"|"$/g, "")}`;
}

/** GetObject parameters that read exactly a pinned version. */
function pinned(version: string | undefined): {
	VersionId?: string;
	IfMatch?: string;
} {
	if (!version) return {};
	if (version.startsWith("id:")) return { VersionId: version.slice(3) };
	if (version.startsWith("etag:")) return { IfMatch: `"${version.slice(5)}"` };
	throw new TypeError(`not an S3 version token: ${JSON.stringify(version)}`);
}

/**
 * The response is of the pinned version: checked on our side too (an
 * If-Match the endpoint ignores, an S3-compatible store, must not let
 * another version through).
 */
function checkServed(
	key: string,
	version: string | undefined,
	out: { VersionId?: string; ETag?: string },
	body?: Readable,
): void {
	if (!version) return;
	const served = version.startsWith("id:")
		? versionToken(out.VersionId, undefined)
		: versionToken(undefined, out.ETag);
	if (
		(version.startsWith("id:") && out.VersionId === undefined) ||
		served === version
	)
		return;
	body?.destroy?.(); // not read: free the connection
	throw new ObjectChangedError(key, version, `S3 served ${served}`);
}

/** The pinned version is gone (NoSuchVersion, a bad version id) or replaced (If-Match failed). */
function isVersionGone(error: unknown): boolean {
	const e = error as AwsLikeError | undefined;
	return (
		e?.name === "PreconditionFailed" ||
		e?.name === "NoSuchVersion" ||
		e?.$metadata?.httpStatusCode === 412 ||
		(e?.name === "InvalidArgument" &&
			/version/i.test(String((e as Error).message)))
	);
}

/** AWS error names that mean "try again later" (S3, DynamoDB and the generic SDK ones). */
const TRANSIENT_NAMES = new Set([
	"SlowDown",
	"Throttling",
	"ThrottlingException",
	"ThrottledException",
	"RequestThrottled",
	"RequestThrottledException",
	"TooManyRequestsException",
	"RequestLimitExceeded",
	"ProvisionedThroughputExceededException",
	"TransactionInProgressException",
	"InternalError",
	"InternalServerError",
	"InternalFailure",
	"ServiceUnavailable",
	"RequestTimeout",
	"RequestTimeoutException",
	"TimeoutError",
]);

/** Socket-level failures worth a retry (the request may never have reached AWS). */
const NETWORK_CODES = new Set([
	"ECONNREFUSED",
	"ECONNRESET",
	"ECONNABORTED",
	"ETIMEDOUT",
	"EPIPE",
	"EAI_AGAIN",
	"ENETUNREACH",
	"EHOSTUNREACH",
	"ERR_SOCKET_CONNECTION_TIMEOUT",
]);

interface AwsLikeError {
	name?: string;
	code?: string;
	errors?: unknown[];
	$metadata?: { httpStatusCode?: number };
	$retryable?: unknown;
}

/** True for throttling, 5xx and network errors from an AWS SDK v3 call. */
export function isTransientAwsError(error: unknown): boolean {
	if (typeof error !== "object" || error === null) return false;
	const e = error as AwsLikeError;
	if (e.name && TRANSIENT_NAMES.has(e.name)) return true;
	if (e.code && NETWORK_CODES.has(e.code)) return true;
	// Node 20 reports a refused dual-stack connect as an AggregateError of socket errors.
	if (Array.isArray(e.errors) && e.errors.some(isTransientAwsError))
		return true;
	const status = e.$metadata?.httpStatusCode;
	if (status !== undefined && (status >= 500 || status === 429)) return true;
	return e.$retryable !== undefined && e.$retryable !== null;
}

/** Wrap a transient AWS failure as TransientIOError (what the state machine retries); return others unchanged. */
export function classifyAwsError(error: unknown, what: string): unknown {
	if (!isTransientAwsError(error)) return error;
	const e = error as Error & AwsLikeError;
	return new TransientIOError(
		`${what}: ${e.name ?? "Error"}${e.code ? ` (${e.code})` : ""}: ${e.message ?? String(e)}`,
		{
			cause: error,
		},
	);
}

function isNotFound(error: unknown): boolean {
	const name = (error as AwsLikeError | undefined)?.name;
	// GetObject says NoSuchKey; HeadObject has no body, so only "NotFound" (404).
	return name === "NoSuchKey" || name === "NotFound";
}

const CONTENT_TYPES: Record<string, string> = {
	".json": "application/json",
	".parquet": "application/vnd.apache.parquet",
	".csv": "text/csv",
	".html": "text/html; charset=utf-8",
	".txt": "text/plain; charset=utf-8",
	".gz": "application/gzip",
};

function guessContentType(key: string): string {
	const dot = key.lastIndexOf(".");
	return (
		(dot >= 0 && CONTENT_TYPES[key.slice(dot)]) || "application/octet-stream"
	);
}

/** Tags as the x-amz-tagging header wants them: URL query form. */
function tagging(tags: Record<string, string> | undefined): string | undefined {
	if (!tags || Object.keys(tags).length === 0) return undefined;
	return new URLSearchParams(tags).toString();
}

export interface S3ObjectStoreOptions {
	bucket: string;
	/** Folder of the bucket that acts as the store root, e.g. "lake" (no leading or trailing "/" needed). */
	prefix?: string;
	/** Defaults to a client configured from the environment (region, credentials). */
	client?: S3Client;
	/** Keys per ListObjectsV2 page (S3's maximum and default is 1,000). */
	pageSize?: number;
	/** Object tags to set on a put, by key (the lake tags run outputs by layer for its lifecycle rules). */
	tagsFor?: (key: string) => Record<string, string> | undefined;
}

export class S3ObjectStore implements ObjectStore {
	readonly bucket: string;
	/** "" or a prefix ending with "/". */
	readonly prefix: string;
	readonly client: S3Client;
	private readonly pageSize: number;
	private readonly tagsFor?: S3ObjectStoreOptions["tagsFor"];

	constructor(opts: S3ObjectStoreOptions) {
		this.tagsFor = opts.tagsFor;
		this.bucket = opts.bucket;
		const p = (opts.prefix ?? "").replace(/^\/+|\/+$/g, "");
		if (p !== "") checkKey(p);
		this.prefix = p === "" ? "" : `${p}/`;
		this.client = opts.client ?? new S3Client({});
		this.pageSize = opts.pageSize ?? 1000;
	}

	/** s3://bucket/prefix, for messages. */
	get location(): string {
		return `s3://${this.bucket}/${this.prefix}`;
	}

	private fullKey(key: string): string {
		return this.prefix + checkKey(key);
	}

	private fail(
		error: unknown,
		key: string,
		op: string,
		version?: string,
	): never {
		if (version && isVersionGone(error))
			throw new ObjectChangedError(
				key,
				version,
				`${(error as Error).name ?? "Error"} from S3`,
			);
		if (isNotFound(error)) throw new ObjectNotFoundError(key, this.location);
		throw classifyAwsError(error, `${op} ${this.location}${key}`);
	}

	async get(key: string, opts: VersionOption = {}): Promise<Uint8Array> {
		try {
			const out = await this.client.send(
				new GetObjectCommand({
					Bucket: this.bucket,
					Key: this.fullKey(key),
					...pinned(opts.version),
				}),
			);
			checkServed(key, opts.version, out, out.Body as Readable | undefined);
			if (!out.Body) return new Uint8Array();
			return await out.Body.transformToByteArray();
		} catch (e) {
			this.fail(e, key, "GetObject", opts.version);
		}
	}

	async head(key: string): Promise<VersionedInfo | undefined> {
		try {
			const out = await this.client.send(
				new HeadObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }),
			);
			return {
				key,
				bytes: out.ContentLength ?? 0,
				version: versionToken(out.VersionId, out.ETag),
			};
		} catch (e) {
			if (isNotFound(e)) return undefined;
			this.fail(e, key, "HeadObject");
		}
	}

	async getText(key: string): Promise<string> {
		return new TextDecoder().decode(await this.get(key));
	}

	async put(
		key: string,
		body: Uint8Array | string,
		opts: { contentType?: string } = {},
	): Promise<void> {
		try {
			await this.client.send(
				new PutObjectCommand({
					Bucket: this.bucket,
					Key: this.fullKey(key),
					Body: body,
					// Known length: the SDK otherwise treats an empty body as a stream of unknown length.
					ContentLength:
						typeof body === "string"
							? Buffer.byteLength(body)
							: body.byteLength,
					ContentType: opts.contentType ?? guessContentType(key),
					Tagging: tagging(this.tagsFor?.(key)),
				}),
			);
		} catch (e) {
			this.fail(e, key, "PutObject");
		}
	}

	async getTagged(
		key: string,
	): Promise<{ body: Uint8Array; tag: string } | undefined> {
		try {
			const out = await this.client.send(
				new GetObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }),
			);
			const body = out.Body
				? await out.Body.transformToByteArray()
				: new Uint8Array();
			if (!out.ETag) throw new Error(`GetObject ${key}: no ETag`);
			return { body, tag: out.ETag };
		} catch (e) {
			if (isNotFound(e)) return undefined;
			this.fail(e, key, "GetObject");
		}
	}

	async putIfUnchanged(
		key: string,
		body: Uint8Array | string,
		tag: string | undefined,
		opts: { contentType?: string } = {},
	): Promise<boolean> {
		try {
			await this.client.send(
				new PutObjectCommand({
					Bucket: this.bucket,
					Key: this.fullKey(key),
					Body: body,
					ContentLength:
						typeof body === "string"
							? Buffer.byteLength(body)
							: body.byteLength,
					ContentType: opts.contentType ?? guessContentType(key),
					Tagging: tagging(this.tagsFor?.(key)),
					// S3 conditional writes: replace only the version read, or create only if absent.
					...(tag === undefined ? { IfNoneMatch: "*" } : { IfMatch: tag }),
				}),
			);
			return true;
		} catch (e) {
			const status = (e as { $metadata?: { httpStatusCode?: number } })
				.$metadata?.httpStatusCode;
			// 412: changed meanwhile; 409: a concurrent conditional write is in flight.
			if (status === 412 || status === 409) return false;
			this.fail(e, key, "PutObject");
		}
	}

	async exists(key: string): Promise<boolean> {
		try {
			await this.client.send(
				new HeadObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }),
			);
			return true;
		} catch (e) {
			if (isNotFound(e)) return false;
			this.fail(e, key, "HeadObject");
		}
	}

	async list(prefix: string): Promise<string[]> {
		return (await this.listObjects(prefix)).map((o) => o.key);
	}

	async listObjects(prefix: string): Promise<ObjectInfo[]> {
		checkPrefix(prefix);
		const keys: ObjectInfo[] = [];
		let token: string | undefined;
		do {
			let page: ListObjectsV2CommandOutput;
			try {
				page = await this.client.send(
					new ListObjectsV2Command({
						Bucket: this.bucket,
						Prefix: this.prefix + prefix,
						MaxKeys: this.pageSize,
						ContinuationToken: token,
					}),
				);
			} catch (e) {
				throw classifyAwsError(e, `ListObjectsV2 ${this.location}${prefix}`);
			}
			for (const o of page.Contents ?? [])
				if (o.Key)
					keys.push({
						key: o.Key.slice(this.prefix.length),
						bytes: o.Size ?? 0,
					});
			token = page.IsTruncated ? page.NextContinuationToken : undefined;
		} while (token);
		return keys.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
	}

	async download(
		key: string,
		localPath: string,
		opts: VersionOption = {},
	): Promise<void> {
		const target = resolve(localPath);
		await mkdir(dirname(target), { recursive: true });
		const tmp = join(
			dirname(target),
			`.download-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
		);
		try {
			const out = await this.client.send(
				new GetObjectCommand({
					Bucket: this.bucket,
					Key: this.fullKey(key),
					...pinned(opts.version),
				}),
			);
			checkServed(key, opts.version, out, out.Body as Readable | undefined);
			// In Node the body is a Readable stream: copy it without holding the object in memory.
			await pipeline(out.Body as Readable, createWriteStream(tmp));
			await rename(tmp, target);
		} catch (e) {
			await rm(tmp, { force: true });
			this.fail(e, key, "GetObject", opts.version);
		}
	}

	async delete(key: string): Promise<void> {
		try {
			await this.client.send(
				new DeleteObjectCommand({
					Bucket: this.bucket,
					Key: this.fullKey(key),
				}),
			);
		} catch (e) {
			this.fail(e, key, "DeleteObject");
		}
	}
}
