/** Atomic file writes: readers see the old file or the new one, never half of one. */
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

export async function writeFileAtomic(
	path: string,
	data: Uint8Array | string,
): Promise<void> {
	await mkdir(dirname(path), { recursive: true });
	// Unique per write: concurrent writers in one process must not share a temp file.
	const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
	try {
		await writeFile(tmp, data);
		await rename(tmp, path);
	} catch (e) {
		await rm(tmp, { force: true });
		throw e;
	}
}
