/**
 * The JavaScript that the stage Lambdas run. Lambda runs JavaScript, not the
 * runtime's TypeScript sources, so the Lambda entry point
 * (runtime/pipeline/lambda.ts) is bundled with esbuild into one CommonJS file
 * (plus the model-fit worker thread it starts) in a content-addressed folder
 * under `.build/`. Packages that ship native code or WebAssembly stay
 * external and come from node_modules, which `aws.lambda.CallbackFunction`
 * copies into the archive as production dependencies; every other
 * production dependency is already inside the bundle and is excluded from
 * the archive.
 *
 * Each function's inline callback then does
 * `require("./.build/lambda-<hash>/lambda.js")` inside its body, so Pulumi
 * serialises a three-line closure instead of the runtime's module graph.
 */
import { createHash } from "node:crypto";
import {
	existsSync,
	mkdirSync,
	readdirSync,
	readFileSync,
	renameSync,
	rmSync,
	statSync,
	writeFileSync,
} from "node:fs";
import { join, relative, resolve } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { buildSync } from "esbuild";

/** Packages loaded at run time from node_modules (native code, WebAssembly, createRequire). */
export const LAMBDA_EXTERNAL_PACKAGES = [
	"@duckdb/node-api",
	"parquet-wasm",
	"ml-xgboost",
	"vader-sentiment",
] as const;

export interface LambdaPackageArgs {
	/** Project root (where package.json and node_modules are). Default: the working directory, as Pulumi runs programs. */
	projectDir?: string;
	/** The Lambda entry module, relative to projectDir. Default `runtime/pipeline/lambda.ts`. */
	entry?: string;
	/** Extra entry points bundled beside it (name → source), e.g. worker threads. */
	extraEntries?: Record<string, string>;
	/** Packages kept out of the bundle. Default LAMBDA_EXTERNAL_PACKAGES. */
	external?: readonly string[];
	/** Folder (relative to projectDir) that receives the build folders. Default `.build`. */
	buildRoot?: string;
	/** Lambda CPU architecture; selects the DuckDB binding package. Default x86_64. */
	architecture?: "x86_64" | "arm64";
}

export interface LambdaPackage {
	/** Path the inline callbacks `require` (relative to `__index.js` at the archive root). */
	readonly requirePath: string;
	/** Folder of the bundle, relative to projectDir (as it appears in the archive). */
	readonly dir: string;
	/** What `CallbackFunction` should add to and leave out of the archive. */
	readonly codePathOptions: pulumi.runtime.CodePathOptions;
	/** Lambda architecture the native packages were chosen for. */
	readonly architecture: "x86_64" | "arm64";
	/** Size of the bundle folder in bytes. */
	readonly bundleBytes: number;
}

function dirBytes(dir: string): number {
	let total = 0;
	for (const e of readdirSync(dir, { withFileTypes: true })) {
		const p = join(dir, e.name);
		total += e.isDirectory() ? dirBytes(p) : statSync(p).size;
	}
	return total;
}

/** Removes builds of other contents older than a day (and abandoned temp folders), never the current one. */
function pruneOldBuilds(buildRoot: string, keep: string): void {
	const now = Date.now();
	for (const e of readdirSync(buildRoot, { withFileTypes: true })) {
		if (!e.isDirectory() || e.name === keep) continue;
		const age = now - statSync(join(buildRoot, e.name)).mtimeMs;
		if (
			(e.name.startsWith("lambda-") && age > 24 * 3600_000) ||
			(e.name.startsWith("tmp-") && age > 3600_000)
		)
			rmSync(join(buildRoot, e.name), { recursive: true, force: true });
	}
}

/**
 * Bundles the Lambda entry and returns how to ship it. Synchronous (esbuild's
 * buildSync), so component constructors can call it; a build takes about a
 * second. Safe to call from parallel processes: each builds in its own temp
 * folder, then renames it to `<buildRoot>/lambda-<content hash>`.
 */
export function buildLambdaPackage(
	args: LambdaPackageArgs = {},
): LambdaPackage {
	const projectDir = resolve(args.projectDir ?? process.cwd());
	if (projectDir !== resolve(process.cwd()))
		throw new Error(
			`LambdaPackage: projectDir must be the working directory (Pulumi resolves archive paths and node_modules from it): got ${projectDir}, cwd ${process.cwd()}`,
		);
	const entry = args.entry ?? "runtime/pipeline/lambda.ts";
	const architecture = args.architecture ?? "x86_64";
	const external = args.external ?? LAMBDA_EXTERNAL_PACKAGES;
	const extraEntries = args.extraEntries ?? {
		"fit-worker": "runtime/model/learners/fit-worker.ts",
	};
	const buildRoot = join(projectDir, args.buildRoot ?? ".build");
	if (!existsSync(join(projectDir, entry)))
		throw new Error(
			`LambdaPackage: entry "${entry}" does not exist under ${projectDir}`,
		);
	const duckdbBindings = `@duckdb/node-bindings-linux-${architecture === "arm64" ? "arm64" : "x64"}`;
	if (
		external.includes("@duckdb/node-api") &&
		!existsSync(join(projectDir, "node_modules", duckdbBindings))
	)
		throw new Error(
			`LambdaPackage: ${duckdbBindings} is not installed, so the Lambda archive would have no DuckDB binary for ${architecture}. ` +
				`Deploy from linux/${architecture === "arm64" ? "arm64" : "x64"} (e.g. the GitHub workflow) or run \`npm install --os=linux --cpu=${architecture === "arm64" ? "arm64" : "x64"}\` first.`,
		);

	mkdirSync(buildRoot, { recursive: true });
	const tmp = join(
		buildRoot,
		`tmp-${process.pid}-${Math.random().toString(36).slice(2)}`,
	);
	const result = buildSync({
		absWorkingDir: projectDir,
		entryPoints: {
			lambda: join(projectDir, entry),
			...Object.fromEntries(
				Object.entries(extraEntries).map(([k, v]) => [k, join(projectDir, v)]),
			),
		},
		outdir: tmp,
		bundle: true,
		platform: "node",
		target: "node22",
		format: "cjs",
		external: external.flatMap((p) => [p, `${p}/*`]),
		// ESM sources use import.meta.url (worker entry, createRequire): give CommonJS the equivalent.
		define: { "import.meta.url": "__importMetaUrl" },
		banner: {
			js: 'var __importMetaUrl = require("node:url").pathToFileURL(__filename).href;',
		},
		sourcemap: false,
		minify: false,
		legalComments: "none",
		logLevel: "silent",
		metafile: false,
	});
	if (result.errors.length > 0)
		throw new Error(
			`LambdaPackage: esbuild failed: ${result.errors.map((e) => e.text).join("; ")}`,
		);
	// The folder is CommonJS whatever the root package.json says (the worker is loaded by file name).
	writeFileSync(
		join(tmp, "package.json"),
		`${JSON.stringify({ type: "commonjs" })}\n`,
	);
	const hash = createHash("sha256");
	for (const f of readdirSync(tmp).sort()) {
		hash.update(f);
		hash.update(readFileSync(join(tmp, f)));
	}
	const dirName = `lambda-${hash.digest("hex").slice(0, 12)}`;
	const finalDir = join(buildRoot, dirName);
	if (existsSync(finalDir)) rmSync(tmp, { recursive: true, force: true });
	else {
		try {
			renameSync(tmp, finalDir);
		} catch (e) {
			// Another process won the rename with the same content.
			rmSync(tmp, { recursive: true, force: true });
			if (!existsSync(finalDir)) throw e;
		}
	}

	pruneOldBuilds(buildRoot, dirName);

	const rel = relative(projectDir, finalDir).split("\\").join("/");
	const pkg = JSON.parse(
		readFileSync(join(projectDir, "package.json"), "utf8"),
	) as { dependencies?: Record<string, string> };
	const bundled = Object.keys(pkg.dependencies ?? {}).filter(
		(d) => !external.includes(d) && !d.startsWith("@pulumi/"),
	);
	return {
		requirePath: `./${rel}/lambda.js`,
		dir: rel,
		architecture,
		bundleBytes: dirBytes(finalDir),
		codePathOptions: {
			extraIncludePaths: [rel],
			// An optional dependency of @duckdb/node-bindings, so the dependency walk would miss it.
			extraIncludePackages: external.includes("@duckdb/node-api")
				? [duckdbBindings]
				: [],
			extraExcludePackages: bundled,
		},
	};
}
