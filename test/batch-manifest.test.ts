/**
 * The batch manifest (runtime/data/raw/batch-manifest.ts): written from a
 * folder written by hand, parsed strictly, compared with a listing, verified
 * byte for byte; the generator and the CLI write it last.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	BATCH_MANIFEST,
	BATCH_MANIFEST_FORMAT,
	BatchIntegrityError,
	BatchManifestError,
	buildBatchManifest,
	compareListing,
	parseBatchManifest,
	verifyBatchFolder,
	writeBatchManifest,
} from "../runtime/data/raw/batch-manifest.ts";
import { generateBatch } from "../runtime/synth/generate.ts";

let scratch: string;
beforeAll(async () => {
	scratch = await mkdtemp(join(tmpdir(), "batch-manifest-"));
});
afterAll(async () => {
	await rm(scratch, { recursive: true, force: true });
});

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

async function folder(files: Record<string, string>): Promise<string> {
	const dir = await mkdtemp(join(scratch, "b-"));
	for (const [path, body] of Object.entries(files)) {
		await mkdir(join(dir, path, ".."), { recursive: true });
		await writeFile(join(dir, path), body);
	}
	return dir;
}

describe("batch manifest", () => {
	it("lists every file of the folder (nested parts too) with its size and SHA-256, itself excluded", async () => {
		const dir = await folder({
			"churn_label.csv": "customer_id,churn\nC1,0\n",
			"consumption_hourly_2024/part-001.parquet": "PAR1-b",
			"consumption_hourly_2024/part-000.parquet": "PAR1-a",
			"consumption_hourly_2024/_SUCCESS": "",
		});
		const { path, manifest } = await writeBatchManifest(dir);
		expect(path).toBe(join(dir, BATCH_MANIFEST));
		expect(manifest.format).toBe(BATCH_MANIFEST_FORMAT);
		expect(manifest.files).toEqual([
			{
				path: "churn_label.csv",
				bytes: 23,
				sha256: sha("customer_id,churn\nC1,0\n"),
			},
			{ path: "consumption_hourly_2024/_SUCCESS", bytes: 0, sha256: sha("") },
			{
				path: "consumption_hourly_2024/part-000.parquet",
				bytes: 6,
				sha256: sha("PAR1-a"),
			},
			{
				path: "consumption_hourly_2024/part-001.parquet",
				bytes: 6,
				sha256: sha("PAR1-b"),
			},
		]);
		// Written again, it still does not list itself.
		const again = await buildBatchManifest(dir);
		expect(again.files.map((f) => f.path)).not.toContain(BATCH_MANIFEST);
		expect(
			parseBatchManifest(await readFile(path, "utf8"), path).files,
		).toEqual(manifest.files);
	});

	it("refuses a malformed manifest with a message naming it and the problem", () => {
		const ok = {
			format: BATCH_MANIFEST_FORMAT,
			createdAt: "2026-12-01T00:00:00Z",
			files: [{ path: "a.csv", bytes: 1, sha256: sha("a") }],
		};
		const bad = (doc: unknown) => () =>
			parseBatchManifest(JSON.stringify(doc), "raw/b/_manifest.json");
		expect(bad(ok)()).toEqual(ok);
		expect(() => parseBatchManifest("{", "m")).toThrow(/^m: not JSON/);
		expect(bad({ ...ok, format: "v0" })).toThrow(BatchManifestError);
		expect(bad({ ...ok, files: [] })).toThrow(/files/);
		expect(
			bad({ ...ok, files: [{ path: "a.csv", bytes: -1, sha256: sha("a") }] }),
		).toThrow(/files\.0\.bytes/);
		expect(
			bad({ ...ok, files: [{ path: "a.csv", bytes: 1, sha256: "ABC" }] }),
		).toThrow(/64 lower-case hex digits/);
		expect(
			bad({ ...ok, files: [{ path: "../x", bytes: 1, sha256: sha("a") }] }),
		).toThrow(/raw\/b\/_manifest\.json: invalid object key "\.\.\/x"/);
		expect(bad({ ...ok, files: [...ok.files, ...ok.files] })).toThrow(
			/lists a\.csv twice/,
		);
		expect(
			bad({
				...ok,
				files: [{ path: BATCH_MANIFEST, bytes: 1, sha256: sha("a") }],
			}),
		).toThrow(/lists itself/);
	});

	it("compareListing: missing, other size, unlisted", () => {
		const manifest = parseBatchManifest(
			JSON.stringify({
				format: BATCH_MANIFEST_FORMAT,
				createdAt: "x",
				files: [
					{ path: "a", bytes: 1, sha256: sha("a") },
					{ path: "b", bytes: 2, sha256: sha("bb") },
					{ path: "c", bytes: 3, sha256: sha("ccc") },
				],
			}),
			"m",
		);
		expect(
			compareListing(
				manifest,
				new Map([
					["a", 1],
					["b", 1],
					["late", 9],
					[BATCH_MANIFEST, 100],
				]),
			),
		).toEqual({
			missing: ["c"],
			wrongSize: [{ path: "b", listed: 2, found: 1 }],
			unlisted: ["late"],
		});
	});

	it("verifyBatchFolder names the file whose size or checksum differs", async () => {
		const dir = await folder({ "a.csv": "alpha", "b.csv": "beta" });
		const { manifest } = await writeBatchManifest(dir);
		await expect(verifyBatchFolder(manifest, dir)).resolves.toBeUndefined();
		// Same size, other bytes: only the checksum tells.
		await writeFile(join(dir, "b.csv"), "BETA");
		await expect(verifyBatchFolder(manifest, dir)).rejects.toThrow(
			/^raw file b\.csv: SHA-256 [0-9a-f]{64} differs from _manifest\.json's/,
		);
		await writeFile(join(dir, "b.csv"), "be");
		await expect(verifyBatchFolder(manifest, dir)).rejects.toThrow(
			"raw file b.csv has 2 bytes, _manifest.json lists 4",
		);
		await rm(join(dir, "a.csv"));
		await expect(verifyBatchFolder(manifest, dir)).rejects.toBeInstanceOf(
			BatchIntegrityError,
		);
	});

	it("the synthetic generator writes the manifest last, and it verifies", async () => {
		const out = join(scratch, "synth");
		await generateBatch({ customers: 30, seed: 3, outDir: out, hourly: false });
		const manifest = parseBatchManifest(
			await readFile(join(out, BATCH_MANIFEST), "utf8"),
			"synth",
		);
		expect(manifest.files.map((f) => f.path).sort()).toEqual(
			[
				"churn_label.csv",
				"costs_by_province_month.csv",
				"customer_attributes.csv",
				"customer_contracts.csv",
				"customer_interactions.json",
				"price_history.csv",
			].sort(),
		);
		await verifyBatchFolder(manifest, out);
	});

	it("`cli.ts manifest <folder>` writes it and says how to upload", async () => {
		const dir = await folder({ "x.csv": "1,2\n" });
		const { stdout } = await promisify(execFile)(
			process.execPath,
			["--import", "tsx", "runtime/cli.ts", "manifest", dir],
			{ cwd: join(import.meta.dirname, "..") },
		);
		expect(stdout).toContain(`${join(dir, BATCH_MANIFEST)}: 1 files, 4 bytes`);
		expect(stdout).toMatch(/aws s3 sync .* --exclude _manifest\.json/);
		expect(stdout).toMatch(/aws s3 cp .*_manifest\.json s3:\/\/<lake>\/raw\//);
		const m = parseBatchManifest(
			await readFile(join(dir, BATCH_MANIFEST), "utf8"),
			"cli",
		);
		expect(m.files).toEqual([
			{ path: "x.csv", bytes: 4, sha256: sha("1,2\n") },
		]);
	}, 60_000);
});
