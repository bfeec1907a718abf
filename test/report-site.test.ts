/**
 * The report site, end to end and offline: a small pipeline run, then
 * publishReport (export → strict Evidence build → upload into a site store),
 * served on loopback and opened page by page in headless Chromium. Every page
 * must load without console errors and without a request leaving loopback,
 * and the figures shown must be the pipeline's.
 *
 * Skipped (with the reason) only when /usr/bin/chromium is missing outside
 * CI; in CI .ci/run installs Chromium, so the test runs there.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lake, readLatest } from "../runtime/io/lake.ts";
import { LocalRunManifest } from "../runtime/io/manifest.ts";
import { LocalObjectStore } from "../runtime/io/object-store.ts";
import { readParquetFile } from "../runtime/io/tables.ts";
import { LocalModelRegistry } from "../runtime/model/registry.ts";
import type { DriftReport } from "../runtime/monitoring/drift.ts";
import type { RealizedPerformanceDoc } from "../runtime/monitoring/realized.ts";
import { executeRun } from "../runtime/pipeline/execute.ts";
import { REPORTS_DIR } from "../runtime/report/build.ts";
import {
	type PublishResult,
	publishReport,
} from "../runtime/report/publish.ts";
import { type SiteServer, serveSite } from "../runtime/report/serve.ts";
import { generateBatch } from "../runtime/synth/generate.ts";

const CHROMIUM = "/usr/bin/chromium";
const inCI = Boolean(process.env.CI);
const skipReason =
	!existsSync(CHROMIUM) && !inCI
		? `${CHROMIUM} is not installed (apt-get install -y chromium; CI installs it in .ci/run)`
		: undefined;
if (skipReason) console.warn(`report-site browser test skipped: ${skipReason}`);

/** Every page of the site (route → screenshot name). */
const PAGES = [
	["/", "overview"],
	["/churn-drivers/", "churn-drivers"],
	["/data-explorer/", "data-explorer"],
	["/model-performance/", "model-performance"],
	["/realized-performance/", "realized-performance"],
	["/experiment-ladder/", "experiment-ladder"],
	["/drift-monitor/", "drift-monitor"],
	["/customer-risk/", "customer-risk"],
	["/customer-lookup/", "customer-lookup"],
	["/recommendations/", "recommendations"],
	["/pipeline-status/", "pipeline-status"],
] as const;

/** Screenshots of every page (REPORT_SITE_SCREENSHOTS overrides, e.g. for the full-scale run's). */
const SCREENSHOT_DIR =
	process.env.REPORT_SITE_SCREENSHOTS ??
	join(REPORTS_DIR, "screenshots", "test");
const CUSTOMERS = 400;
/** Set to a lake where this test already built the site, to rerun only the browser part. */
const REUSE = process.env.REPORT_SITE_TEST_LAKE;

let root: string;
let runId = "";
let published: PublishResult;
let server: SiteServer;
let browser: Browser;
const problems = new Map<string, string[]>();
const bodies = new Map<string, string>();

/** The integer shown in a [data-figure] element (thousands separators removed). */
async function figure(
	page: Page,
	name: string,
	timeout = 30_000,
): Promise<string> {
	const el = page.locator(`[data-figure="${name}"]`).first();
	await el.waitFor({ state: "visible", timeout });
	// biome-ignore lint/performance/useDomNodeTextContent: the rendered text (with its line breaks) is what a reader sees
	const text = await el.innerText();
	// BigValue: "<title>\n\n<value>"; the value is the last non-empty line.
	return (
		text
			.split("\n")
			.map((l) => l.trim())
			.filter(Boolean)
			.at(-1) ?? ""
	);
}

async function openPage(route: string): Promise<Page> {
	const page = await browser.newPage({
		viewport: { width: 1280, height: 900 },
	});
	const found: string[] = [];
	problems.set(route, found);
	page.on("console", (m) => {
		if (m.type() === "error") found.push(`console error: ${m.text()}`);
	});
	page.on("pageerror", (e) => found.push(`page error: ${e.message}`));
	page.on("request", (r) => {
		const url = new URL(r.url());
		if (
			(url.protocol === "http:" || url.protocol === "https:") &&
			url.hostname !== "127.0.0.1"
		)
			found.push(`request left loopback: ${r.url()}`);
	});
	page.on("requestfailed", (r) => {
		const url = new URL(r.url());
		// Evidence aborts its own prerendered-result fetches once a page has its data;
		// only failures off loopback are failures of the offline guarantee.
		if (url.hostname !== "127.0.0.1")
			found.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
	});
	page.on("response", (r) => {
		if (r.status() >= 400) found.push(`HTTP ${r.status()}: ${r.url()}`);
	});
	await page.goto(new URL(route, server.url).href, {
		waitUntil: "networkidle",
	});
	return page;
}

describe.skipIf(skipReason !== undefined)(
	"report site in headless Chromium (offline)",
	() => {
		beforeAll(async () => {
			if (REUSE) {
				// Debugging: a lake where this beforeAll already ran (site built).
				root = REUSE;
				const latest = await readLatest(new LocalObjectStore(root));
				runId = latest?.runId ?? "";
				const keys = await new LocalObjectStore(root).list("reports/site/");
				published = {
					seconds: 0,
					files: keys.length,
					bytes: 0,
					siteKey: "reports/site/index.html",
					buildSeconds: 0,
					removed: 0,
				};
			} else {
				root = await mkdtemp(join(tmpdir(), "sg-report-site-"));
				const lake = new Lake(root);
				await generateBatch({
					customers: CUSTOMERS,
					seed: 8,
					outDir: lake.rawDir("site"),
					partCustomers: 200,
				});
				const r = await executeRun({
					dataRoot: root,
					batchId: "site",
					shardCount: 2,
					gate: 0,
				});
				expect(r.ok, JSON.stringify(r.record?.history)).toBe(true);
				runId = r.runId;
				// What the pipeline's PublishReport stage calls (here after the run: the
				// local state machine gives a Task 60 s unless the definition sets
				// TimeoutSeconds, and a build takes longer).
				const store = new LocalObjectStore(root);
				published = await publishReport({
					store,
					manifest: new LocalRunManifest(root),
					registry: new LocalModelRegistry(root),
					runId,
					scratchDir: join(root, ".scratch"),
					siteStore: store,
					sitePrefix: "reports/site/",
					strict: true,
				});
			}
			server = await serveSite(join(root, "reports", "site"));
			const { chromium } = await import("playwright-core");
			browser = await chromium.launch({
				executablePath: CHROMIUM,
				args: [
					"--headless",
					"--no-sandbox",
					"--disable-gpu",
					"--disable-background-networking",
					"--disable-component-update",
					"--disable-sync",
				],
			});
			await rm(SCREENSHOT_DIR, { recursive: true, force: true });
			await mkdir(SCREENSHOT_DIR, { recursive: true });
		}, 900_000);

		afterAll(async () => {
			await browser?.close();
			await server?.close();
			if (root && !REUSE) await rm(root, { recursive: true, force: true });
		});

		it("publishes the built site into the site store", async () => {
			expect(published.siteKey).toBe("reports/site/index.html");
			const store = new LocalObjectStore(root);
			expect(await store.exists(published.siteKey)).toBe(true);
			const keys = await store.list("reports/site/");
			expect(keys.length).toBe(published.files);
			for (const [route] of PAGES)
				expect(keys, route).toContain(`reports/site${route}index.html`);
			// The offline data path: each source table's Arrow IPC twin ships with the site.
			expect(keys.some((k) => k.endsWith("/customers.arrow"))).toBe(true);
			console.info(
				`report site: ${published.files} files, ${(published.bytes / 1048576).toFixed(1)} MB, build ${published.buildSeconds.toFixed(1)} s, publish ${published.seconds.toFixed(1)} s`,
			);
		});

		it.each(PAGES)(
			"%s loads offline without console errors",
			async (route, shot) => {
				const page = await openPage(route);
				try {
					// Wait until the page's data is in (Evidence shows "Loading…" placeholders until then).
					await page.locator("h1").first().waitFor({ timeout: 30_000 });
					await page.waitForTimeout(1_000);
					// biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a reader sees
					const body = await page.innerText("body");
					bodies.set(route, body);
					expect(body).not.toMatch(
						/Error in query|Query Error|Dataset is empty - query ran successfully/,
					);
					await page.screenshot({
						path: join(SCREENSHOT_DIR, `${shot}.png`),
						fullPage: true,
					});
					expect(problems.get(route)).toEqual([]);
				} finally {
					await page.close();
				}
			},
			120_000,
		);

		it("overview figures equal the pipeline's outputs", async () => {
			const lake = new Lake(root);
			const scores = (
				await readParquetFile(lake.tablePath(runId, "scored", "scores"))
			).objects() as { risk_tier: string }[];
			const atRisk = scores.filter(
				(s) => s.risk_tier === "High" || s.risk_tier === "Critical",
			).length;
			const champion = await new LocalModelRegistry(root).champion();
			const page = await openPage("/");
			try {
				expect(await figure(page, "customers")).toBe(
					scores.length.toLocaleString("en-US"),
				);
				expect(await figure(page, "at-risk")).toBe(
					atRisk.toLocaleString("en-US"),
				);
				expect(await figure(page, "pr-auc")).toBe(
					champion?.metrics.pr_auc.toFixed(3),
				);
				expect(problems.get("/")).toEqual([]);
			} finally {
				await page.close();
			}
			const model = await openPage("/model-performance/");
			try {
				expect(await figure(model, "model-pr-auc")).toBe(
					champion?.metrics.pr_auc.toFixed(3),
				);
			} finally {
				await model.close();
			}
		});

		it("the header and the title carry the platform's name and mark, not Evidence's", async () => {
			const page = await openPage("/churn-drivers/");
			try {
				expect(await page.title()).toBe(
					"Churn drivers · SpanishGas churn platform",
				);
				const logo = page.locator("header img").first();
				expect(await logo.getAttribute("src")).toMatch(
					/^data:image\/svg\+xml,.*SpanishGas%20churn%20platform/,
				);
				const html = await page.content();
				expect(html).not.toMatch(/wordmark-(black|white)/);
			} finally {
				await page.close();
			}
		});

		it("churn drivers, drift and realized performance equal the pipeline's outputs", async () => {
			const lake = new Lake(root);
			const gold = (
				await readParquetFile(lake.tablePath(runId, "gold", "gold_customer"))
			).objects() as { churn: number | null }[];
			const labelled = gold.filter((g) => g.churn === 0 || g.churn === 1);
			const drivers = await openPage("/churn-drivers/");
			try {
				expect(await figure(drivers, "drivers-labelled")).toBe(
					labelled.length.toLocaleString("en-US"),
				);
				expect(await figure(drivers, "drivers-churners")).toBe(
					labelled.filter((g) => g.churn === 1).length.toLocaleString("en-US"),
				);
			} finally {
				await drivers.close();
			}
			const drift = await openPage("/drift-monitor/");
			try {
				const driftPath = lake.docPath(runId, "monitoring", "drift");
				if (existsSync(driftPath)) {
					const report = JSON.parse(
						await readFile(driftPath, "utf8"),
					) as DriftReport;
					expect(await figure(drift, "drifted-features")).toBe(
						String(report.driftedFeatures.length),
					);
				} else {
					// No comparison yet: the champion's reference distributions are shown.
					const text = await drift
						.locator('[data-figure="reference-features"]')
						.textContent({ timeout: 30_000 });
					expect(text).toContain(gold.length.toLocaleString("en-US"));
				}
			} finally {
				await drift.close();
			}
			const realized = await openPage("/realized-performance/");
			try {
				const docPath = lake.docPath(
					runId,
					"monitoring",
					"realized_performance",
				);
				if (existsSync(docPath)) {
					const doc = JSON.parse(
						await readFile(docPath, "utf8"),
					) as RealizedPerformanceDoc;
					expect(await figure(realized, "realized-pr-auc")).toBe(
						doc.prAuc.toFixed(3),
					);
					expect(await figure(realized, "realized-customers")).toBe(
						doc.customers.toLocaleString("en-US"),
					);
				} else {
					await realized
						.locator('[data-figure="realized-none"]')
						.waitFor({ state: "visible", timeout: 30_000 });
				}
			} finally {
				await realized.close();
			}
		}, 240_000);

		it("customer lookup finds a customer in the browser (offline DuckDB) and shows the pipeline's tier", async () => {
			const lake = new Lake(root);
			const scores = (
				await readParquetFile(lake.tablePath(runId, "scored", "scores"))
			).objects() as { customer_id: string; risk_tier: string }[];
			// A customer outside the Low tier when there is one, so the tier is not the default guess.
			const target =
				scores.find((s) => s.risk_tier === "Critical") ??
				scores.find((s) => s.risk_tier !== "Low") ??
				scores[0];
			const page = await openPage("/customer-lookup/");
			try {
				// Before any search the customer with the highest expected loss is shown.
				await figure(page, "lookup-id", 90_000);
				const input = page.getByPlaceholder("C000123");
				let tries = 0;
				await expect
					.poll(
						async () => {
							// Type again now and then: keystrokes sent before the page is
							// hydrated are not seen by the input's handler.
							if (tries++ % 10 === 0) {
								await input.fill("");
								await input.fill(target.customer_id);
							}
							return figure(page, "lookup-id", 2_000).catch(() => "");
						},
						{ timeout: 120_000, interval: 1_000 },
					)
					.toBe(target.customer_id);
				expect(await figure(page, "lookup-tier")).toBe(target.risk_tier);
				await page.screenshot({
					path: join(SCREENSHOT_DIR, "customer-lookup-search.png"),
					fullPage: true,
				});
				expect(problems.get("/customer-lookup/")).toEqual([]);
			} finally {
				await page.close();
			}
		}, 240_000);
	},
);
