/**
 * buildReportSite: run the Evidence build of reports/ offline on a folder of
 * exported tables (export.ts) and put the static site in `outDir`.
 *
 * The build runs in a scratch copy of the Evidence project (pages, sources,
 * config; node_modules linked to reports/node_modules), so concurrent builds
 * (a test, `npm run report`, the pipeline's PublishReport) never share
 * Evidence's working folders (.evidence/, build/). The exported tables are
 * copied to <copy>/report-data/, which the source `lake` reads.
 *
 * Offline: reports/patches/ (applied by reports' postinstall) replace
 * Evidence's DuckDB-WASM Parquet paths, which fetch an extension from the
 * internet, with Arrow IPC files — see reports/README.md.
 */
import { spawn } from "node:child_process";
import { createWriteStream, existsSync } from "node:fs";
import {
	cp,
	mkdir,
	mkdtemp,
	readdir,
	readFile,
	rm,
	stat,
	symlink,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { REPORT_DATA_FOLDER, REPORT_TABLE_NAMES } from "./contract.ts";

/** reports/ of this repository (the Evidence project). */
export const REPORTS_DIR = resolve(
	dirname(fileURLToPath(import.meta.url)),
	"../../reports",
);

export interface BuildOptions {
	/** Folder with the exported tables (<table>.parquet for every table of the contract). */
	dataDir: string;
	/** Where the static site goes (replaced). */
	outDir: string;
	/** `evidence build:strict` (a failing query fails the build); default true. */
	strict?: boolean;
	/** The Evidence project (default: reports/ of this repository). */
	projectDir?: string;
	/** Parent of the scratch copy (default: the OS temp folder). */
	workRoot?: string;
	/** Keep the scratch copy (for debugging). */
	keepWorkDir?: boolean;
	/** Receives the build's output lines (default: collected, shown on failure). */
	onOutput?: (line: string) => void;
}

export interface BuildResult {
	outDir: string;
	seconds: number;
	files: number;
	bytes: number;
	/** The Evidence build log (sources + build). */
	logPath: string;
	/** Seconds of each step: `evidence sources`, `evidence build`. */
	steps: { sources: number; build: number };
}

export class ReportBuildError extends Error {
	override readonly name = "ReportBuildError";
	constructor(
		message: string,
		readonly logTail: string,
	) {
		super(
			`${message}\n--- last lines of the Evidence build log ---\n${logTail}`,
		);
	}
}

/** The project files a build needs (everything else — node_modules — is linked). */
const PROJECT_FILES = [
	"pages",
	"sources",
	"evidence.config.yaml",
	"evidence.settings.json",
	"package.json",
];

export async function siteStats(
	dir: string,
): Promise<{ files: number; bytes: number; paths: string[] }> {
	const paths: string[] = [];
	let bytes = 0;
	const walk = async (d: string): Promise<void> => {
		for (const e of await readdir(d, { withFileTypes: true })) {
			const p = join(d, e.name);
			if (e.isDirectory()) await walk(p);
			else if (e.isFile()) {
				paths.push(relative(dir, p).split("\\").join("/"));
				bytes += (await stat(p)).size;
			}
		}
	};
	await walk(dir);
	return { files: paths.length, bytes, paths: paths.sort() };
}

function run(
	args: string[],
	cwd: string,
	env: NodeJS.ProcessEnv,
	log: NodeJS.WritableStream,
	onOutput?: (line: string) => void,
): Promise<number> {
	return new Promise((resolvePromise, reject) => {
		const child = spawn(process.execPath, args, {
			cwd,
			env,
			stdio: ["ignore", "pipe", "pipe"],
		});
		const forward = (chunk: Buffer) => {
			log.write(chunk);
			if (onOutput)
				for (const line of chunk.toString("utf8").split("\n"))
					if (line.trim()) onOutput(line);
		};
		child.stdout.on("data", forward);
		child.stderr.on("data", forward);
		child.on("error", reject);
		child.on("close", (code) => resolvePromise(code ?? 1));
	});
}

async function tail(path: string, lines = 40): Promise<string> {
	const text = await readFile(path, "utf8").catch(() => "");
	return text.split("\n").slice(-lines).join("\n");
}

export async function buildReportSite(o: BuildOptions): Promise<BuildResult> {
	const started = performance.now();
	const projectDir = resolve(o.projectDir ?? REPORTS_DIR);
	const cli = join(projectDir, "node_modules/@evidence-dev/evidence/cli.js");
	if (!existsSync(cli))
		throw new ReportBuildError(
			`the Evidence project ${projectDir} has no dependencies installed: run \`npm ci --prefix reports\` (the root \`npm install\` / \`npm ci\` does it in its postinstall)`,
			"",
		);
	for (const t of REPORT_TABLE_NAMES)
		if (!existsSync(join(o.dataDir, `${t}.parquet`)))
			throw new ReportBuildError(
				`report data ${o.dataDir} lacks ${t}.parquet (write it with exportReportData)`,
				"",
			);

	const workRoot = o.workRoot ?? tmpdir();
	await mkdir(workRoot, { recursive: true });
	const work = await mkdtemp(join(workRoot, "sg-report-build-"));
	const logPath = join(work, "evidence-build.log");
	const log = createWriteStream(logPath);
	try {
		for (const f of PROJECT_FILES)
			await cp(join(projectDir, f), join(work, f), { recursive: true });
		await symlink(
			join(projectDir, "node_modules"),
			join(work, "node_modules"),
			"dir",
		);
		await cp(o.dataDir, join(work, REPORT_DATA_FOLDER), { recursive: true });

		const env: NodeJS.ProcessEnv = {
			...process.env,
			// Telemetry off (evidence.settings.json says so too).
			send_anonymous_usage_stats: "no",
			// `npx vite` inside Evidence must find the local binary, never the registry.
			PATH: `${join(projectDir, "node_modules/.bin")}:${process.env.PATH ?? ""}`,
			npm_config_offline: "true",
			NODE_ENV: "production",
			// Evidence adds its own heap limit only when NODE_OPTIONS has none, so
			// keep one; a larger young generation cuts Rollup's GC time (≈ 10 %).
			NODE_OPTIONS:
				`${process.env.NODE_OPTIONS ?? ""} --max-old-space-size=4096 --max-semi-space-size=64`.trim(),
		};
		const strict = o.strict ?? true;
		const steps: string[][] = [
			[cli, "sources", ...(strict ? ["--strict"] : [])],
			[cli, strict ? "build:strict" : "build"],
		];
		const stepSeconds: number[] = [];
		for (const args of steps) {
			log.write(`\n$ evidence ${args.slice(1).join(" ")}\n`);
			const stepStarted = performance.now();
			const code = await run(args, work, env, log, o.onOutput);
			stepSeconds.push((performance.now() - stepStarted) / 1000);
			if (code !== 0) {
				await new Promise((r) => log.end(r));
				// The scratch copy is removed; its log is kept beside it.
				await cp(logPath, `${work}.log`);
				throw new ReportBuildError(
					`evidence ${args.slice(1).join(" ")} failed (exit ${code}); full log: ${work}.log`,
					await tail(logPath),
				);
			}
		}
		const built = join(work, "build");
		if (!existsSync(join(built, "index.html")))
			throw new ReportBuildError(
				`the Evidence build wrote no ${join(built, "index.html")}`,
				await tail(logPath),
			);
		await rm(o.outDir, { recursive: true, force: true });
		await mkdir(dirname(resolve(o.outDir)), { recursive: true });
		await cp(built, o.outDir, { recursive: true });
		const stats = await siteStats(o.outDir);
		await new Promise((r) => log.end(r));
		const keptLog = join(dirname(resolve(o.outDir)), "evidence-build.log");
		await cp(logPath, keptLog);
		return {
			outDir: o.outDir,
			seconds: (performance.now() - started) / 1000,
			files: stats.files,
			bytes: stats.bytes,
			logPath: keptLog,
			steps: { sources: stepSeconds[0], build: stepSeconds[1] },
		};
	} finally {
		if (!log.closed) await new Promise((r) => log.end(r));
		if (!o.keepWorkDir) await rm(work, { recursive: true, force: true });
	}
}
