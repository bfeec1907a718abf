/**
 * publishReport: the PublishReport stage's work — export the run's report
 * tables, build the Evidence site offline and upload it into the site store
 * (locally a LocalObjectStore on data/ under "reports/site/"; in AWS the
 * private report bucket behind CloudFront).
 */
import { mkdir, readFile, rm } from "node:fs/promises";
import { extname, join } from "node:path";
import type { ObjectStore } from "../io/object-store.ts";
import { buildReportSite, siteStats } from "./build.ts";
import { exportReportData, type ReportDeps } from "./export.ts";

export const DEFAULT_SITE_PREFIX = "reports/site/";

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

/** Run `work` over items with at most `limit` in flight. */
async function pool<T>(
	items: T[],
	limit: number,
	work: (item: T) => Promise<void>,
): Promise<void> {
	let next = 0;
	const lanes = Array.from(
		{ length: Math.min(limit, items.length) },
		async () => {
			while (next < items.length) await work(items[next++]);
		},
	);
	await Promise.all(lanes);
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
 * under "reports/site/" unless another site store or prefix is given.
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
			sitePrefix: o.sitePrefix ?? DEFAULT_SITE_PREFIX,
			strict: o.strict,
			onOutput: o.onOutput,
		});
		return { ...r };
	};
}
