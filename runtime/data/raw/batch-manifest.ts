/**
 * The batch manifest, `raw/<batch>/_manifest.json`: the list of every file of
 * a batch with its size and SHA-256, written after the files and uploaded
 * last (docs/batch-manifest.md). Its arrival is what says "the batch is
 * complete": the trigger starts a run only when every listed file is there
 * with the listed size, ValidateRaw checks every listed checksum, and a file
 * the manifest does not list is not part of the batch.
 *
 * Kept free of the raw loader (the trigger Lambda imports it).
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { BatchIntegrityError, BatchManifestError } from "../../errors.ts";
import { writeFileAtomic } from "../../io/atomic.ts";
import { checkKey } from "../../io/object-store.ts";
import { BATCH_MANIFEST } from "../../pipeline/lifecycle-contract.ts";
import { sha256Files } from "../../util/sha256-files.ts";

export { BATCH_MANIFEST } from "../../pipeline/lifecycle-contract.ts";
/** Format tag of the manifest document (a new version gets a new tag). */
export const BATCH_MANIFEST_FORMAT = "spanishgas.batch-manifest/1";

export interface BatchManifestFile {
	/** "/"-separated path relative to the batch folder, e.g. `consumption_hourly_2024/part-000.parquet`. */
	path: string;
	bytes: number;
	/** Lower-case hex SHA-256 of the file's bytes. */
	sha256: string;
}

export interface BatchManifest {
	format: typeof BATCH_MANIFEST_FORMAT;
	/** When it was written (ISO 8601): information, not identity. */
	createdAt: string;
	files: BatchManifestFile[];
}

// Typed errors live with the others (runtime/errors.ts): their names cross the task boundary.
export { BatchIntegrityError, BatchManifestError };

const schema = z.object({
	format: z.literal(BATCH_MANIFEST_FORMAT),
	createdAt: z.string(),
	files: z
		.array(
			z.object({
				path: z.string().min(1),
				bytes: z.number().int().nonnegative(),
				sha256: z.string().regex(/^[0-9a-f]{64}$/, "64 lower-case hex digits"),
			}),
		)
		.min(1),
});

/** Parses and checks a manifest document; `where` names it in errors. */
export function parseBatchManifest(text: string, where: string): BatchManifest {
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch (e) {
		throw new BatchManifestError(
			`${where}: not JSON (${(e as Error).message})`,
		);
	}
	const parsed = schema.safeParse(json);
	if (!parsed.success)
		throw new BatchManifestError(
			`${where}: ${parsed.error.issues
				.map((i) => `${i.path.join(".") || "(document)"}: ${i.message}`)
				.join("; ")}`,
		);
	const seen = new Set<string>();
	for (const f of parsed.data.files) {
		try {
			checkKey(f.path);
		} catch (e) {
			throw new BatchManifestError(`${where}: ${(e as Error).message}`);
		}
		if (f.path === BATCH_MANIFEST)
			throw new BatchManifestError(`${where}: lists itself`);
		if (seen.has(f.path))
			throw new BatchManifestError(`${where}: lists ${f.path} twice`);
		seen.add(f.path);
	}
	return parsed.data as BatchManifest;
}

/** Temp files of atomic writes (the store's, the manifest's own), never part of a batch. */
const isTemp = (name: string) =>
	name.startsWith(".objtmp-") || name.startsWith(`${BATCH_MANIFEST}.tmp-`);

/** Every file under the folder (relative "/" paths, sorted), the manifest itself excluded. */
export async function batchFiles(folder: string): Promise<string[]> {
	const out: string[] = [];
	const walk = async (rel: string) => {
		const entries = await readdir(rel ? join(folder, rel) : folder, {
			withFileTypes: true,
		});
		for (const e of entries) {
			const path = rel ? `${rel}/${e.name}` : e.name;
			if (e.isDirectory()) await walk(path);
			else if (e.isFile() && !isTemp(e.name) && path !== BATCH_MANIFEST)
				out.push(path);
		}
	};
	await walk("");
	return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The manifest of a local batch folder: every file, its size and checksum. */
export async function buildBatchManifest(
	folder: string,
	now = new Date(),
): Promise<BatchManifest> {
	const paths = await batchFiles(folder);
	if (paths.length === 0)
		throw new BatchManifestError(`${folder}: no files to list`);
	const shas = await sha256Files(paths.map((path) => join(folder, path)));
	const files = await Promise.all(
		paths.map(
			async (path, i): Promise<BatchManifestFile> => ({
				path,
				bytes: (await stat(join(folder, path))).size,
				sha256: shas[i],
			}),
		),
	);
	files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
	return {
		format: BATCH_MANIFEST_FORMAT,
		createdAt: now.toISOString(),
		files,
	};
}

/** Writes `<folder>/_manifest.json` (atomically) for the files now in the folder. */
export async function writeBatchManifest(
	folder: string,
	now = new Date(),
): Promise<{ path: string; manifest: BatchManifest }> {
	const manifest = await buildBatchManifest(folder, now);
	const path = join(folder, BATCH_MANIFEST);
	await writeFileAtomic(path, `${JSON.stringify(manifest, null, 2)}\n`);
	return { path, manifest };
}

export interface ListingCheck {
	/** Listed files that are not there. */
	missing: string[];
	/** Listed files there with another size. */
	wrongSize: Array<{ path: string; listed: number; found: number }>;
	/** Files there that the manifest does not list (not part of the batch). */
	unlisted: string[];
}

/**
 * The manifest against what is in the batch folder (path → size, the
 * manifest excluded): what the trigger checks with one listing.
 */
export function compareListing(
	manifest: BatchManifest,
	found: ReadonlyMap<string, number>,
): ListingCheck {
	const listed = new Set(manifest.files.map((f) => f.path));
	const check: ListingCheck = { missing: [], wrongSize: [], unlisted: [] };
	for (const f of manifest.files) {
		const size = found.get(f.path);
		if (size === undefined) check.missing.push(f.path);
		else if (size !== f.bytes)
			check.wrongSize.push({ path: f.path, listed: f.bytes, found: size });
	}
	for (const path of found.keys())
		if (path !== BATCH_MANIFEST && !listed.has(path)) check.unlisted.push(path);
	return check;
}

/** A short list for messages: the first few names and how many more. */
export function someOf(names: readonly string[], max = 3): string {
	const head = names.slice(0, max).join(", ");
	return names.length > max ? `${head} (+${names.length - max} more)` : head;
}

/** The way out when a change was intended. */
const REWRITE =
	"; if it was changed on purpose, write the manifest again: npm run batch:manifest -- <batch folder>";

/**
 * Every listed file of a local folder has the listed size and SHA-256
 * (ValidateRaw, which reads every byte anyway). Throws BatchIntegrityError
 * naming the first file that differs (in manifest order). Sizes are checked
 * at once; the checksums on worker threads (runtime/util/sha256-files.ts),
 * so a caller can do other work meanwhile: `checksums` is the pending check.
 */
export async function verifyBatchFolder(
	manifest: BatchManifest,
	folder: string,
): Promise<void> {
	await (await verifyBatchSizes(manifest, folder)).checksums;
}

/** The size check now, and the checksum check as a promise (already guarded against unhandled rejection). */
export async function verifyBatchSizes(
	manifest: BatchManifest,
	folder: string,
): Promise<{ checksums: Promise<void> }> {
	for (const f of manifest.files) {
		const abs = join(folder, f.path);
		let size: number;
		try {
			size = (await stat(abs)).size;
		} catch {
			throw new BatchIntegrityError(
				`raw file ${f.path} is listed in ${BATCH_MANIFEST} but missing`,
			);
		}
		if (size !== f.bytes)
			throw new BatchIntegrityError(
				`raw file ${f.path} has ${size} bytes, ${BATCH_MANIFEST} lists ${f.bytes}${REWRITE.replace(";", " (")})`,
			);
	}
	const checksums = sha256Files(
		manifest.files.map((f) => join(folder, f.path)),
	).then((shas) => {
		const i = manifest.files.findIndex((f, k) => shas[k] !== f.sha256);
		if (i < 0) return;
		const f = manifest.files[i];
		throw new BatchIntegrityError(
			`raw file ${f.path}: SHA-256 ${shas[i]} differs from ${BATCH_MANIFEST}'s ${f.sha256} (corrupted or changed after the manifest was written${REWRITE})`,
		);
	});
	checksums.catch(() => {});
	return { checksums };
}
