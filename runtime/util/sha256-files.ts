/**
 * SHA-256 of many files on worker threads: hashing runs off the main thread
 * (ValidateRaw parses the small datasets meanwhile) and on every core (a
 * 100 k-customer batch is 2.6 GB to hash). The worker is plain JavaScript
 * using only node: modules, so it runs the same under tsx, vitest and in a
 * bundled Lambda.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

const WORKER = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const { createReadStream } = require("node:fs");
parentPort.on("message", async ({ id, path }) => {
	try {
		const hash = createHash("sha256");
		for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk);
		parentPort.postMessage({ id, sha256: hash.digest("hex") });
	} catch (e) {
		parentPort.postMessage({ id, error: { message: String(e && e.message), code: e && e.code } });
	}
});`;

/** Hex SHA-256 of each file, in the order given; rejects with the first read error (its `code` kept). */
export async function sha256Files(
	paths: readonly string[],
	opts: { workers?: number } = {},
): Promise<string[]> {
	if (paths.length === 0) return [];
	const count = Math.max(
		1,
		Math.min(opts.workers ?? availableParallelism(), paths.length),
	);
	const workers = Array.from(
		{ length: count },
		() => new Worker(WORKER, { eval: true }),
	);
	const out = new Array<string>(paths.length);
	let next = 0;
	try {
		await Promise.all(
			workers.map(
				(w) =>
					new Promise<void>((resolve, reject) => {
						const send = () => {
							if (next >= paths.length) return resolve();
							const id = next++;
							w.postMessage({ id, path: paths[id] });
						};
						w.on(
							"message",
							(m: {
								id: number;
								sha256?: string;
								error?: { message: string; code?: string };
							}) => {
								if (m.error)
									return reject(
										Object.assign(new Error(m.error.message), {
											code: m.error.code,
										}),
									);
								out[m.id] = m.sha256 as string;
								send();
							},
						);
						w.on("error", reject);
						send();
					}),
			),
		);
	} finally {
		await Promise.all(workers.map((w) => w.terminate()));
	}
	return out;
}
