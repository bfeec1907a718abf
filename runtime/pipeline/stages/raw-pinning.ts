/**
 * The raw batch as ValidateRaw pins it (docs/batch-manifest.md): exactly the
 * files the batch manifest lists, each at the version it had when the run
 * read it, checked against the listed size and SHA-256. The bronze stages
 * read those versions and no others, so a re-upload during the run never
 * mixes versions, and a file the manifest does not list (a part that arrived
 * after it) never joins the run.
 */
import { mkdir, rm, symlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { ConsumptionShard } from "../../data/bronze/consumption-shards.ts";
import {
	BATCH_MANIFEST,
	BatchIntegrityError,
	type BatchManifest,
	BatchManifestError,
	buildBatchManifest,
	compareListing,
	parseBatchManifest,
	someOf,
	verifyBatchSizes,
} from "../../data/raw/batch-manifest.ts";
import { lakeKeys } from "../../io/lake.ts";
import {
	assertVersion,
	ObjectNotFoundError,
	type ObjectStore,
} from "../../io/object-store.ts";
import { mapPool } from "../../util/pool.ts";

/** A listed raw file at the version the run pinned. */
export interface PinnedFile {
	/** Lake key, raw/<batch>/<path>. */
	key: string;
	bytes: number;
	sha256: string;
	/** The store's version token (S3 VersionId or ETag; locally size, mtime and inode). */
	version: string;
}

export interface PinnedBatch {
	/** A local folder holding exactly the listed files (the batch's own, links to it, or pinned downloads). */
	dir: string;
	files: PinnedFile[];
	/** Where the manifest came from: the batch's `_manifest.json`, or computed from a local folder that has none. */
	manifestSource: "uploaded" | "computed";
	/** Files in the batch folder the manifest does not list (ignored). */
	unlisted: string[];
	/**
	 * The checksum verification, still running on worker threads when
	 * pinRawBatch returns (sizes and versions are checked by then): the caller
	 * reads the files meanwhile and awaits this before using what it read.
	 * Rejects with BatchIntegrityError naming the file.
	 */
	checksums: Promise<void>;
}

/**
 * Reads the batch's manifest (a local folder without one gets one computed,
 * docs/batch-manifest.md "Batches without a manifest"), pins every listed
 * file's version, brings exactly those files to a local folder and verifies
 * their sizes and checksums. Throws BatchManifestError / BatchIntegrityError
 * naming the file.
 */
export async function pinRawBatch(
	store: ObjectStore,
	batchId: string,
	scratch: string,
): Promise<PinnedBatch> {
	const prefix = lakeKeys.rawPrefix(batchId);
	const manifestKey = `${prefix}${BATCH_MANIFEST}`;
	const local = store.localPath?.bind(store);
	let manifest: BatchManifest;
	let manifestSource: PinnedBatch["manifestSource"] = "uploaded";
	try {
		manifest = parseBatchManifest(
			await store.getText(manifestKey),
			manifestKey,
		);
	} catch (e) {
		if (!(e instanceof ObjectNotFoundError)) throw e;
		if (!local)
			throw new BatchManifestError(
				`${manifestKey}: the batch has no manifest; upload it last (docs/batch-manifest.md)`,
			);
		manifest = await buildBatchManifest(dirname(local(manifestKey)));
		manifestSource = "computed";
	}
	const listing = new Map(
		(await store.listObjects(prefix)).map((o) => [
			o.key.slice(prefix.length),
			o.bytes,
		]),
	);
	const check = compareListing(manifest, listing);
	if (check.missing.length > 0)
		throw new BatchIntegrityError(
			`raw file${check.missing.length > 1 ? "s" : ""} ${someOf(check.missing)} listed in ${manifestKey} but missing`,
		);
	// Pin: the version each listed file has now, with the listed size.
	const files: PinnedFile[] = [];
	for (const f of manifest.files) {
		const key = prefix + f.path;
		const head = await store.head(key);
		if (!head)
			throw new BatchIntegrityError(
				`raw file ${f.path} is listed in ${manifestKey} but missing`,
			);
		if (head.bytes !== f.bytes)
			throw new BatchIntegrityError(
				`raw file ${f.path} has ${head.bytes} bytes, ${BATCH_MANIFEST} lists ${f.bytes}`,
			);
		files.push({
			key,
			bytes: f.bytes,
			sha256: f.sha256,
			version: head.version,
		});
	}
	const dir = join(scratch, "raw-batch");
	await rm(dir, { recursive: true, force: true });
	if (local) {
		// In place when the folder is exactly the batch; else a folder of links to the listed files.
		if (check.unlisted.length === 0) {
			const dir = dirname(local(manifestKey));
			const { checksums } = await verifyBatchSizes(manifest, dir);
			await assertPinned(store, files);
			return { dir, files, manifestSource, unlisted: [], checksums };
		}
		for (const f of files) {
			const target = join(dir, f.key.slice(prefix.length));
			await mkdir(dirname(target), { recursive: true });
			await symlink(local(f.key), target);
		}
	} else {
		// Exactly the pinned versions, a few downloads at a time.
		await mapPool(
			files,
			(f) =>
				store.download(f.key, join(dir, f.key.slice(prefix.length)), {
					version: f.version,
				}),
			{ concurrency: 8 },
		);
	}
	const { checksums } = await verifyBatchSizes(manifest, dir);
	if (local) await assertPinned(store, files);
	return {
		dir,
		files,
		manifestSource,
		unlisted: check.unlisted,
		checksums,
	};
}

/** ObjectChangedError unless every file still has its pinned version (readers that read in place check after reading). */
export async function assertPinned(
	store: ObjectStore,
	files: ReadonlyArray<{ key: string; version?: string }>,
): Promise<void> {
	for (const f of files)
		if (f.version) await assertVersion(store, f.key, f.version);
}

/** The shard's pieces with the versions ValidateRaw pinned (pieces of run-owned staged files carry none). */
export function pinShards(
	shards: ConsumptionShard[],
	files: readonly PinnedFile[],
): ConsumptionShard[] {
	const versions = new Map(files.map((f) => [f.key, f.version]));
	return shards.map((sh) => ({
		...sh,
		pieces: sh.pieces.map((pc) => {
			const version = versions.get(pc.path);
			return version ? { ...pc, version } : pc;
		}),
	}));
}
