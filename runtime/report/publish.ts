/**
 * publishReport: the PublishReport stage's work — export the run's report
 * tables, build the Evidence site offline and upload it into the site store
 * under the run's own prefix, reports/runs/<runId>/site/ (locally a
 * LocalObjectStore on data/; in AWS the private report bucket behind
 * CloudFront). switchLiveSite, in MarkSucceeded, then makes that copy the
 * live site (docs/run-lifecycle.md, "Promotion and publication"): a run that
 * fails after PublishReport leaves the previous run's site live.
 */
import { lstat, mkdir, readFile, rename, rm, symlink } from "node:fs/promises";
import { dirname, extname, join, relative } from "node:path";
import type { ObjectStore } from "../io/object-store.ts";
import { mapPool } from "../util/pool.ts";
import { buildReportSite, siteStats } from "./build.ts";
import { exportReportData, type ReportDeps } from "./export.ts";

/** Where the live site is served from in the lake (local) — the site bucket's root in AWS. */
export const DEFAULT_SITE_PREFIX = "reports/site/";

/** Where a run's site is built to before MarkSucceeded makes it live. */
export function runSitePrefix(runId: string): string {
	return `reports/runs/${runId}/site/`;
}

export interface PublishDeps extends ReportDeps {
	/** A local folder for the export and the build (emptied of what this call writes). */
	scratchDir: string;
	/** Where the built site goes. */
	siteStore: ObjectStore;
	/** Key prefix of the site in siteStore (default "reports/site/"). */
	sitePrefix?: string;
	/** Strict build (default true): a failing query fails the stage. */
	strict?: boolean;
	onOutput?: (line: string) => void;
}

export interface PublishResult {
	seconds: number;
	files: number;
	bytes: number;
	/** Key of the site's entry page in siteStore. */
	siteKey: string;
	/** Seconds of the Evidence build alone. */
	buildSeconds: number;
	/** Stale objects of an earlier site removed from the prefix. */
	removed: number;
}

const CONTENT_TYPES: Record<string, string> = {
	".html": "text/html; charset=utf-8",
	".js": "text/javascript; charset=utf-8",
	".mjs": "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".json": "application/json",
	".webmanifest": "application/manifest+json",
	".svg": "image/svg+xml",
	".png": "image/png",
	".ico": "image/x-icon",
	".woff": "font/woff",
	".woff2": "font/woff2",
	".wasm": "application/wasm",
	".arrow": "application/vnd.apache.arrow.stream",
	".parquet": "application/vnd.apache.parquet",
	".txt": "text/plain; charset=utf-8",
};

export function contentTypeOf(path: string): string {
	return (
		CONTENT_TYPES[extname(path).toLowerCase()] ?? "application/octet-stream"
	);
}

/** Run `work` over items with at most `limit` in flight (the one pool, runtime/util/pool.ts). */
async function pool<T>(
	items: T[],
	limit: number,
	work: (item: T) => Promise<void>,
): Promise<void> {
	await mapPool(items, (item) => work(item), { concurrency: limit });
}

export async function publishReport(deps: PublishDeps): Promise<PublishResult> {
	const started = performance.now();
	const prefix = normalisePrefix(deps.sitePrefix ?? DEFAULT_SITE_PREFIX);
	const base = join(deps.scratchDir, "report", deps.runId);
	const dataDir = join(base, "report-data");
	const siteDir = join(base, "site");
	await rm(base, { recursive: true, force: true });
	await mkdir(base, { recursive: true });
	try {
		await exportReportData(deps, dataDir);
		const built = await buildReportSite({
			dataDir,
			outDir: siteDir,
			strict: deps.strict ?? true,
			workRoot: base,
			onOutput: deps.onOutput,
		});
		const { paths, bytes } = await siteStats(siteDir);
		// Assets first, HTML pages last: a reader never gets a page whose assets are not there yet.
		const ordered = [
			...paths.filter((p) => !p.endsWith(".html")),
			...paths.filter((p) => p.endsWith(".html")),
		];
		const assets = ordered.filter((p) => !p.endsWith(".html"));
		const pages = ordered.filter((p) => p.endsWith(".html"));
		const upload = async (p: string) =>
			deps.siteStore.put(
				`${prefix}${p}`,
				new Uint8Array(await readFile(join(siteDir, p))),
				{ contentType: contentTypeOf(p) },
			);
		await pool(assets, 16, upload);
		await pool(pages, 16, upload);
		// Objects of an earlier site that this one no longer has (hashed asset names change).
		const keep = new Set(paths.map((p) => `${prefix}${p}`));
		const stale = (await deps.siteStore.list(prefix)).filter(
			(k) => !keep.has(k),
		);
		await pool(stale, 16, (k) => deps.siteStore.delete(k));
		return {
			seconds: (performance.now() - started) / 1000,
			files: paths.length,
			bytes,
			siteKey: `${prefix}index.html`,
			buildSeconds: built.seconds,
			removed: stale.length,
		};
	} finally {
		await rm(base, { recursive: true, force: true });
	}
}

function normalisePrefix(prefix: string): string {
	if (prefix === "") return "";
	return prefix.endsWith("/") ? prefix : `${prefix}/`;
}

/** What the pipeline hands a stage: the storage interfaces and a scratch folder. */
export interface PublishPlatform {
	store: ObjectStore;
	manifest: ReportDeps["manifest"];
	registry: ReportDeps["registry"];
	scratchDir: string;
}

/**
 * The PublishReport stage's publisher (a `ReportPublisher` of
 * runtime/pipeline/handlers.ts): publishes the run's site into the lake
 * under its per-run prefix (runSitePrefix) unless another site store or
 * prefix is given; MarkSucceeded switches the live site to it.
 */
export function reportPublisher(
	o: {
		siteStore?: ObjectStore;
		sitePrefix?: string;
		strict?: boolean;
		onOutput?: (line: string) => void;
	} = {},
) {
	return async (
		p: PublishPlatform,
		run: { runId: string },
	): Promise<Record<string, unknown>> => {
		const r = await publishReport({
			store: p.store,
			manifest: p.manifest,
			registry: p.registry,
			runId: run.runId,
			scratchDir: p.scratchDir,
			siteStore: o.siteStore ?? p.store,
			sitePrefix: o.sitePrefix ?? runSitePrefix(run.runId),
			strict: o.strict,
			onOutput: o.onOutput,
		});
		return { ...r };
	};
}

export interface LiveSwitch {
	/** symlink: the live folder is a link swapped by one rename; copy: objects copied to the live prefix. */
	mode: "symlink" | "copy";
	/** Prefix of the live site in the site store. */
	live: string;
	/** The run's copy that is now live. */
	from: string;
	files: number;
	/** Stale objects removed from the live prefix (copy mode). */
	removed: number;
}

/**
 * Makes run `runId`'s site (runSitePrefix) the live one; undefined when the
 * run published none (no report publisher, --no-report). Idempotent: a
 * retried MarkSucceeded switches again to the same site.
 *
 * A local folder: the live folder is a symbolic link to the run's site,
 * replaced by rename(2) of a new link over it — atomic, so a reader sees
 * the old site or the new one. An object store (S3): the run's objects are
 * copied to the live prefix — assets first, HTML pages after, index.html
 * last — and then the live objects the new site does not have are deleted
 * (never the per-run copies under reports/runs/).
 */
export async function switchLiveSite(
	siteStore: ObjectStore,
	runId: string,
	livePrefix = DEFAULT_SITE_PREFIX,
): Promise<LiveSwitch | undefined> {
	const from = runSitePrefix(runId);
	if (!(await siteStore.exists(`${from}index.html`))) return undefined;
	const live = normalisePrefix(livePrefix);
	if (siteStore.localPath && live !== "") {
		const files = (await siteStore.list(from)).length;
		await swapLink(
			siteStore.localPath(`${live}index.html`),
			siteStore.localPath(`${from}index.html`),
		);
		return { mode: "symlink", live, from, files, removed: 0 };
	}
	const keys = await siteStore.list(from);
	const rel = keys.map((k) => k.slice(from.length));
	const copy = (p: string) =>
		siteStore
			.get(`${from}${p}`)
			.then((body) =>
				siteStore.put(`${live}${p}`, body, { contentType: contentTypeOf(p) }),
			);
	const isHtml = (p: string) => p.endsWith(".html");
	await pool(
		rel.filter((p) => !isHtml(p)),
		16,
		copy,
	);
	await pool(
		rel.filter((p) => isHtml(p) && p !== "index.html"),
		16,
		copy,
	);
	await copy("index.html");
	const keep = new Set(rel.map((p) => `${live}${p}`));
	const stale = (await siteStore.list(live)).filter(
		(k) => !keep.has(k) && !k.startsWith("reports/runs/"),
	);
	await pool(stale, 16, (k) => siteStore.delete(k));
	return { mode: "copy", live, from, files: rel.length, removed: stale.length };
}

/**
 * Points the live folder (the parent of `liveIndex`) at the run's site
 * folder (the parent of `runIndex`) with a relative link, swapped in by one
 * rename. A live folder that is a real directory (a site published before
 * per-run prefixes) is moved aside first and removed after.
 */
async function swapLink(liveIndex: string, runIndex: string): Promise<void> {
	const liveDir = dirname(liveIndex);
	const target = relative(dirname(liveDir), dirname(runIndex));
	await mkdir(dirname(liveDir), { recursive: true });
	const tmp = `${liveDir}.next-${process.pid}-${Date.now()}`;
	await symlink(target, tmp, "dir");
	let aside: string | undefined;
	try {
		const st = await lstat(liveDir).catch(() => undefined);
		if (st && !st.isSymbolicLink()) {
			aside = `${liveDir}.old-${process.pid}-${Date.now()}`;
			await rename(liveDir, aside);
		}
		await rename(tmp, liveDir);
	} catch (e) {
		await rm(tmp, { force: true });
		throw e;
	}
	if (aside) await rm(aside, { recursive: true, force: true });
}
