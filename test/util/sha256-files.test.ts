import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sha256Files } from "../../runtime/util/sha256-files.ts";

const root = await mkdtemp(join(tmpdir(), "sha-"));
afterAll(() => rm(root, { recursive: true, force: true }));

describe("sha256Files", () => {
	it("hashes each file on worker threads, in the order given, as node:crypto does", async () => {
		// Sizes around the 1 MiB read chunk, an empty file, more files than workers.
		const sizes = [0, 1, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3_000_001];
		const files = await Promise.all(
			sizes.map(async (n, i) => {
				const bytes = Buffer.alloc(n, i + 1);
				const path = join(root, `f${i}.bin`);
				await writeFile(path, bytes);
				return { path, sha: createHash("sha256").update(bytes).digest("hex") };
			}),
		);
		const shas = await sha256Files(
			files.map((f) => f.path),
			{ workers: 2 },
		);
		expect(shas).toEqual(files.map((f) => f.sha));
		expect(await sha256Files([])).toEqual([]);
	});

	it("rejects with the read error's code for a missing file", async () => {
		await expect(
			sha256Files([join(root, "f0.bin"), join(root, "missing.bin")]),
		).rejects.toMatchObject({ code: "ENOENT" });
	});
});
