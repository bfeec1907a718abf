/**
 * Object store: the data lake seen as keys → bytes, so that the same pipeline
 * code reads and writes a local folder or an S3 bucket. Keys are "/"-separated
 * relative paths (e.g. "raw/<batch>/churn_label.csv"), identical in both.
 *
 * LocalObjectStore is the embedded implementation: a folder, atomic puts
 * (temp file + rename), keys that cannot escape the folder.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Dirent } from "node:fs";
import {
	copyFile,
	mkdir,
	readdir,
	readFile,
	rename,
	rm,
	stat,
	writeFile,
} from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import {
	InvalidObjectKeyError,
	ObjectChangedError,
	ObjectNotFoundError,
} from "../errors.ts";
import { mapPool } from "../util/pool.ts";

// The store errors live with the other typed errors (one registry, runtime/errors.ts).
export { InvalidObjectKeyError, ObjectChangedError, ObjectNotFoundError };

/** An object's size and version, as a listing or a HEAD sees it. */
export interface ObjectInfo {
	key: string;
	bytes: number;
}

/**
 * A version of an object, to read exactly it later (a run pins its raw
 * files: docs/batch-manifest.md). Opaque: on S3 the VersionId (the ETag when
 * the bucket keeps no versions), locally size + modification time.
 */
export interface VersionedInfo extends ObjectInfo {
	version: string;
}

/** Read exactly this version; ObjectChangedError when it is no longer what the key holds (local) or is gone. */
export interface VersionOption {
	version?: string;
}

export interface ObjectStore {
	/** The object's bytes; ObjectNotFoundError when there is none. */
	get(key: string, opts?: VersionOption): Promise<Uint8Array>;
	/** The object as UTF-8 text; ObjectNotFoundError when there is none. */
	getText(key: string): Promise<string>;
	/** Create or replace an object; readers see either the old or the new body, never a partial one. */
	put(
		key: string,
		body: Uint8Array | string,
		opts?: { contentType?: string },
	): Promise<void>;
	exists(key: string): Promise<boolean>;
	/** Every key starting with `prefix` (a plain string prefix, as S3 lists), sorted. */
	list(prefix: string): Promise<string[]>;
	/** The same listing with each object's size (one S3 listing, no reads). */
	listObjects(prefix: string): Promise<ObjectInfo[]>;
	/** Size and current version of an object; undefined when there is none. */
	head(key: string): Promise<VersionedInfo | undefined>;
	/** Copy an object to a local file (parent folders created; file replaced atomically). */
	download(key: string, localPath: string, opts?: VersionOption): Promise<void>;
	/** Remove an object; removing a missing key is not an error (as in S3). */
	delete(key: string): Promise<void>;
	/**
	 * The object's own file when the store is a local folder, so native readers
	 * (DuckDB) read it in place instead of through a copy. Absent on S3.
	 */
	localPath?(key: string): string;
	/**
	 * Conditional replace (latest.json, docs/run-lifecycle.md "Promotion and
	 * publication"): the object and a tag of its current version (undefined:
	 * no object), then a put that succeeds only if the object is still at
	 * that tag (false: another writer changed it first). S3: the ETag and
	 * PutObject If-Match / If-None-Match; locally: a content hash checked
	 * under a lock file.
	 */
	getTagged?(
		key: string,
	): Promise<{ body: Uint8Array; tag: string } | undefined>;
	putIfUnchanged?(
		key: string,
		body: Uint8Array | string,
		tag: string | undefined,
		opts?: { contentType?: string },
	): Promise<boolean>;
}

/** How long a lock file of LocalObjectStore.putIfUnchanged may live before it counts as left by a dead process. */
const STALE_LOCK_MS = 30_000;

/**
 * A local file holding the object: the store's own file when it has one,
 * otherwise a download into `scratchDir` under the same key.
 */
export async function materialize(
	store: ObjectStore,
	key: string,
	scratchDir: string,
	opts: VersionOption = {},
): Promise<string> {
	if (store.localPath) {
		if (opts.version) await assertVersion(store, key, opts.version);
		return store.localPath(key);
	}
	const target = join(scratchDir, checkKey(key));
	await store.download(key, target, opts);
	return target;
}

/** ObjectChangedError unless the key still holds the pinned version (a reader that reads in place checks after, too). */
export async function assertVersion(
	store: ObjectStore,
	key: string,
	version: string,
): Promise<void> {
	const now = await store.head(key);
	if (now?.version !== version)
		throw new ObjectChangedError(
			key,
			version,
			now ? `it is now ${now.version}` : "it is gone",
		);
}

/**
 * A local folder holding every object under `prefix` (a "folder/" prefix):
 * the store's own folder when it is local, otherwise a download of each object.
 */
export async function materializePrefix(
	store: ObjectStore,
	prefix: string,
	scratchDir: string,
): Promise<string> {
	const folder = checkPrefix(prefix).replace(/\/+$/, "");
	if (store.localPath) return dirname(store.localPath(`${folder}/x`));
	const keys = await store.list(`${folder}/`);
	// A few downloads at a time: enough to fill the link, bounded for big batches.
	await mapPool(keys, (key) => materialize(store, key, scratchDir), {
		concurrency: 8,
	});
	return join(scratchDir, folder);
}

/**
 * Validate an object key the same way for every store, so that a key accepted
 * locally is accepted on S3 and means the same object.
 */
export function checkKey(key: string): string {
	if (key.length === 0) throw new InvalidObjectKeyError(key, "empty");
	if (key.startsWith("/"))
		throw new InvalidObjectKeyError(
			key,
			"absolute (must be relative to the store)",
		);
	if (key.includes("\\"))
		throw new InvalidObjectKeyError(key, 'contains "\\" (use "/")');
	if (key.includes("\0"))
		throw new InvalidObjectKeyError(key, "contains a NUL character");
	const parts = key.split("/");
	if (parts.some((p) => p === ".." || p === "."))
		throw new InvalidObjectKeyError(
			key,
			'has a "." or ".." segment (escapes or aliases the store root)',
		);
	if (parts.slice(0, -1).some((p) => p === ""))
		throw new InvalidObjectKeyError(key, "has an empty path segment");
	if (key.endsWith("/"))
		throw new InvalidObjectKeyError(
			key,
			'ends with "/" (a folder, not an object)',
		);
	return key;
}

/** List prefixes are validated like keys, except that they may be empty or end with "/". */
export function checkPrefix(prefix: string): string {
	if (prefix === "") return prefix;
	checkKey(prefix.endsWith("/") ? `${prefix}x` : prefix);
	return prefix;
}

/** Marks in-flight temp files, which list() never reports. */
const TEMP_MARK = ".objtmp-";

function tempPath(path: string): string {
	return join(
		dirname(path),
		`${TEMP_MARK}${process.pid}-${randomBytes(6).toString("hex")}`,
	);
}

function isMissing(e: unknown): boolean {
	const code = (e as NodeJS.ErrnoException).code;
	// ENOTDIR: a path component is a file; EISDIR: the key is a folder. Neither is an object.
	return code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR";
}

export class LocalObjectStore implements ObjectStore {
	readonly root: string;
	constructor(root: string) {
		this.root = resolve(root);
	}

	private path(key: string): string {
		const path = resolve(this.root, checkKey(key));
		// Belt and braces after checkKey: the resolved path must stay under the root.
		if (!path.startsWith(this.root + sep))
			throw new InvalidObjectKeyError(key, "escapes the store root");
		return path;
	}

	localPath(key: string): string {
		return this.path(key);
	}

	/** Size and modification time: what changes when a file is replaced. */
	private async token(key: string): Promise<VersionedInfo | undefined> {
		try {
			const st = await stat(this.path(key), { bigint: true });
			if (!st.isFile()) return undefined;
			return {
				key,
				bytes: Number(st.size),
				version: `local:${st.size}:${st.mtimeNs}:${st.ino}`,
			};
		} catch (e) {
			if (isMissing(e)) return undefined;
			throw e;
		}
	}

	private checkVersion(key: string, version: string): Promise<void> {
		return assertVersion(this, key, version);
	}

	async get(key: string, opts: VersionOption = {}): Promise<Uint8Array> {
		if (opts.version) await this.checkVersion(key, opts.version);
		let body: Uint8Array;
		try {
			body = new Uint8Array(await readFile(this.path(key)));
		} catch (e) {
			if (isMissing(e)) throw new ObjectNotFoundError(key, this.root);
			throw e;
		}
		// Replaced while it was read: the bytes may be of either version.
		if (opts.version) await this.checkVersion(key, opts.version);
		return body;
	}

	async head(key: string): Promise<VersionedInfo | undefined> {
		return this.token(key);
	}

	async listObjects(prefix: string): Promise<ObjectInfo[]> {
		const keys = await this.list(prefix);
		const out: ObjectInfo[] = [];
		for (const key of keys) {
			const info = await this.token(key);
			if (info) out.push({ key, bytes: info.bytes });
		}
		return out;
	}

	async getText(key: string): Promise<string> {
		return new TextDecoder().decode(await this.get(key));
	}

	async put(key: string, body: Uint8Array | string): Promise<void> {
		const path = this.path(key);
		await mkdir(dirname(path), { recursive: true });
		const tmp = tempPath(path);
		try {
			await writeFile(tmp, body);
			await rename(tmp, path);
		} catch (e) {
			await rm(tmp, { force: true });
			throw e;
		}
	}

	async getTagged(
		key: string,
	): Promise<{ body: Uint8Array; tag: string } | undefined> {
		try {
			const body = await this.get(key);
			return { body, tag: contentTag(body) };
		} catch (e) {
			if (e instanceof ObjectNotFoundError) return undefined;
			throw e;
		}
	}

	async putIfUnchanged(
		key: string,
		body: Uint8Array | string,
		tag: string | undefined,
	): Promise<boolean> {
		const lock = `${this.path(key)}.lock`;
		await mkdir(dirname(lock), { recursive: true });
		await acquireLock(lock);
		try {
			const now = await this.getTagged(key);
			if (now?.tag !== tag) return false;
			await this.put(key, body);
			return true;
		} finally {
			await rm(lock, { force: true });
		}
	}

	async exists(key: string): Promise<boolean> {
		try {
			return (await stat(this.path(key))).isFile();
		} catch (e) {
			if (isMissing(e)) return false;
			throw e;
		}
	}

	async list(prefix: string): Promise<string[]> {
		checkPrefix(prefix);
		// Walk only the deepest folder the prefix names, then filter by the string prefix.
		const folder = prefix.includes("/")
			? prefix.slice(0, prefix.lastIndexOf("/"))
			: "";
		const keys: string[] = [];
		const walk = async (rel: string): Promise<void> => {
			let entries: Dirent[];
			try {
				entries = await readdir(rel === "" ? this.root : join(this.root, rel), {
					withFileTypes: true,
				});
			} catch (e) {
				if (isMissing(e)) return;
				throw e;
			}
			for (const entry of entries) {
				const key = rel === "" ? entry.name : `${rel}/${entry.name}`;
				if (entry.isDirectory()) {
					if (key.startsWith(prefix) || prefix.startsWith(`${key}/`))
						await walk(key);
				} else if (
					entry.isFile() &&
					!entry.name.startsWith(TEMP_MARK) &&
					key.startsWith(prefix)
				) {
					keys.push(key);
				}
			}
		};
		await walk(folder);
		// Byte order, as S3 lists (UTF-8 binary order equals UTF-16 order for BMP keys).
		return keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
	}

	async download(
		key: string,
		localPath: string,
		opts: VersionOption = {},
	): Promise<void> {
		const source = this.path(key);
		await mkdir(dirname(resolve(localPath)), { recursive: true });
		const tmp = tempPath(resolve(localPath));
		try {
			if (opts.version) await this.checkVersion(key, opts.version);
			await copyFile(source, tmp);
			if (opts.version) await this.checkVersion(key, opts.version);
			await rename(tmp, localPath);
		} catch (e) {
			await rm(tmp, { force: true });
			if (isMissing(e) && !(await this.exists(key)))
				throw new ObjectNotFoundError(key, this.root);
			throw e;
		}
	}

	async delete(key: string): Promise<void> {
		try {
			await rm(this.path(key), { force: true });
		} catch (e) {
			// A folder is not an object: deleting it is a no-op, as for a missing key.
			if ((e as NodeJS.ErrnoException).code !== "ERR_FS_EISDIR") throw e;
		}
	}
}

/** The version tag of a local object: a hash of its bytes. */
function contentTag(body: Uint8Array): string {
	return createHash("sha256").update(body).digest("hex");
}

/** An exclusive lock file (O_EXCL), waited for; one older than STALE_LOCK_MS is taken over. */
async function acquireLock(path: string): Promise<void> {
	for (let attempt = 0; ; attempt++) {
		try {
			await writeFile(path, `${process.pid}\n`, { flag: "wx" });
			return;
		} catch (e) {
			if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
			const age = await stat(path).then(
				(s) => Date.now() - s.mtimeMs,
				() => 0,
			);
			if (age > STALE_LOCK_MS) await rm(path, { force: true });
			else
				await new Promise((r) =>
					setTimeout(r, Math.min(50 * 2 ** attempt, 500)),
				);
		}
	}
}
