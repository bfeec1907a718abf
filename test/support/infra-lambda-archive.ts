/**
 * A Lambda archive as Pulumi uploads it, on disk, and invoked as Lambda
 * invokes it: the `code` AssetArchive of an `aws.lambda.CallbackFunction`
 * (the serialised `__index.js` plus the files and folders Pulumi adds) is
 * written to a folder, and the handler `__index.handler` is called in a fresh
 * Node process whose working directory is that folder, with the function's
 * deployed environment — one process per invocation, like a cold start.
 */
import { execFileSync, spawn } from "node:child_process";
import {
	copyFileSync,
	cpSync,
	mkdirSync,
	readdirSync,
	statSync,
	writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import * as pulumi from "@pulumi/pulumi";

export interface ArchiveEntry {
	/** Path in the archive. */
	path: string;
	kind: "string" | "file" | "dir";
	/** Source on disk (file and dir entries). */
	source?: string;
	/** Content (string entries). */
	text?: string;
}

/** The entries of a CallbackFunction's code archive. */
export async function archiveEntries(
	code: pulumi.Input<pulumi.asset.Archive>,
): Promise<ArchiveEntry[]> {
	const archive = (await new Promise<unknown>((resolve) =>
		(pulumi.output(code) as pulumi.Output<unknown>).apply((a: unknown) => {
			resolve(a);
			return a;
		}),
	)) as pulumi.asset.AssetArchive;
	const assets = (await archive.assets) as Record<string, unknown>;
	const out: ArchiveEntry[] = [];
	// Duck-typed: the test and @pulumi/aws may hold different copies of the SDK's classes.
	for (const [path, value] of Object.entries(assets)) {
		const a = value as {
			__pulumiAsset?: boolean;
			__pulumiArchive?: boolean;
			text?: Promise<string>;
			path?: Promise<string>;
		};
		if (a.__pulumiAsset && a.text !== undefined)
			out.push({ path, kind: "string", text: await a.text });
		else if (a.__pulumiAsset && a.path !== undefined)
			out.push({ path, kind: "file", source: await a.path });
		else if (a.__pulumiArchive && a.path !== undefined)
			out.push({ path, kind: "dir", source: await a.path });
		else
			throw new Error(
				`archive entry ${path}: unsupported ${JSON.stringify(Object.keys(a))}`,
			);
	}
	return out.sort((x, y) => x.path.localeCompare(y.path));
}

/** Writes the entries (except string assets) under a folder. */
export function materialize(entries: ArchiveEntry[], dir: string): void {
	mkdirSync(dir, { recursive: true });
	for (const e of entries) {
		const dest = join(dir, e.path);
		mkdirSync(dirname(dest), { recursive: true });
		if (e.kind === "string") writeFileSync(dest, e.text ?? "");
		else if (e.kind === "file") copyFileSync(e.source as string, dest);
		else
			cpSync(e.source as string, dest, { recursive: true, dereference: true });
	}
}

/** A copy of a folder made of hard links (same bytes, no extra disk). */
export function linkCopy(from: string, to: string): void {
	execFileSync("cp", ["-al", from, to]);
}

/** Total bytes of the files under a folder (the archive's unzipped size). */
export function treeBytes(dir: string): number {
	let total = 0;
	for (const e of readdirSync(dir, { withFileTypes: true })) {
		const p = join(dir, e.name);
		if (e.isDirectory()) total += treeBytes(p);
		else if (e.isFile()) total += statSync(p).size;
	}
	return total;
}

/** Files under a folder, relative paths. */
export function treeFiles(dir: string, prefix = ""): string[] {
	const out: string[] = [];
	for (const e of readdirSync(dir, { withFileTypes: true })) {
		const rel = prefix ? `${prefix}/${e.name}` : e.name;
		if (e.isDirectory()) out.push(...treeFiles(join(dir, e.name), rel));
		else out.push(rel);
	}
	return out;
}

const RUNNER = `
const taskRoot = process.cwd();
const { handler } = require(taskRoot + "/__index.js");
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", async () => {
  const context = {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    // One id per invocation, as Lambda gives (its async retries keep it: TEST_REQUEST_ID).
    awsRequestId: process.env.TEST_REQUEST_ID || require("node:crypto").randomUUID(),
    getRemainingTimeInMillis: () => 900000,
    callbackWaitsForEmptyEventLoop: true,
  };
  let result;
  try {
    result = { ok: true, value: await handler(JSON.parse(input), context) };
  } catch (e) {
    result = { ok: false, error: { name: e && e.name, message: e && e.message } };
  }
  process.stdout.write("\\n@@RESULT@@" + JSON.stringify(result === undefined ? null : result) + "\\n");
  process.exit(0);
});
`;

/** Lambda's function error: Step Functions matches its name in Retry/Catch. */
export class FunctionError extends Error {
	constructor(name: string, message: string) {
		super(message);
		this.name = name;
	}
}

/**
 * Invokes `__index.handler(event, context)` of the archive in `dir`, in a new
 * Node process (cwd = the archive root, as /var/task on Lambda), with exactly
 * the given environment (plus PATH). Resolves with the handler's result or
 * rejects with a FunctionError carrying the thrown error's name.
 */
export function invokeArchive(
	dir: string,
	event: unknown,
	env: Record<string, string>,
	onLog?: (stderr: string) => void,
): Promise<unknown> {
	const runner = join(dir, "..", "lambda-runner.cjs");
	writeFileSync(runner, RUNNER);
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [runner], {
			cwd: dir,
			env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
			stdio: ["pipe", "pipe", "pipe"],
		});
		let out = "";
		let err = "";
		child.stdout.on("data", (d) => (out += d));
		child.stderr.on("data", (d) => (err += d));
		child.on("error", reject);
		child.on("close", (code) => {
			onLog?.(`${out}\n${err}`);
			const marker = out.lastIndexOf("@@RESULT@@");
			if (marker < 0) {
				reject(
					new Error(
						`function process exited with ${code} without a result:\n${err.slice(-3000)}\n${out.slice(-3000)}`,
					),
				);
				return;
			}
			const r = JSON.parse(out.slice(marker + 10).split("\n")[0]) as {
				ok: boolean;
				value?: unknown;
				error?: { name: string; message: string };
			};
			if (r.ok) resolve(r.value);
			else
				reject(
					new FunctionError(
						r.error?.name ?? "Error",
						r.error?.message ?? "unknown",
					),
				);
		});
		child.stdin.end(JSON.stringify(event));
	});
}
