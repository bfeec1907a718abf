/** `npm run batch:manifest -- <folder>`: write a batch's _manifest.json before it is uploaded. */
import { stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import {
	BATCH_MANIFEST,
	writeBatchManifest,
} from "../data/raw/batch-manifest.ts";

export async function manifestCommand(folder: string): Promise<number> {
	const dir = resolve(folder);
	if (!(await stat(dir).catch(() => undefined))?.isDirectory()) {
		process.stderr.write(`${folder}: not a folder\n`);
		return 2;
	}
	const { path, manifest } = await writeBatchManifest(dir);
	const bytes = manifest.files.reduce((a, f) => a + f.bytes, 0);
	const batch = basename(dir);
	process.stdout.write(
		`${path}: ${manifest.files.length} files, ${bytes} bytes\n` +
			"Upload the files first and the manifest last, e.g.\n" +
			`  aws s3 sync ${folder} s3://<lake>/raw/${batch}/ --exclude ${BATCH_MANIFEST}\n` +
			`  aws s3 cp ${path} s3://<lake>/raw/${batch}/${BATCH_MANIFEST}\n`,
	);
	return 0;
}
