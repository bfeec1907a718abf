/**
 * `npm run report`: build the report site of the latest successful run
 * (latest.json) — or of `--run <id>` — into <data>/reports/site/ and print how
 * to open it; `--serve` (or `npm run report:serve`) then serves it on
 * 127.0.0.1 until Ctrl-C.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Lake, readLatest } from "../io/lake.ts";
import { LocalRunManifest } from "../io/manifest.ts";
import { LocalObjectStore } from "../io/object-store.ts";
import { LocalModelRegistry } from "../model/registry.ts";
import {
	DEFAULT_SITE_PREFIX,
	publishReport,
	runSitePrefix,
	switchLiveSite,
} from "../report/publish.ts";
import { serveSite } from "../report/serve.ts";

export interface ReportCommandOptions {
	data: string;
	run?: string;
	build: boolean;
	serve: boolean;
	port: number;
}

/** Where the local site lives (the pipeline's PublishReport writes the same place). */
export function localSiteDir(dataRoot: string): string {
	return join(new Lake(dataRoot).root, DEFAULT_SITE_PREFIX);
}

export async function reportCommand(o: ReportCommandOptions): Promise<number> {
	const lake = new Lake(o.data);
	const store = new LocalObjectStore(lake.root);
	const siteDir = localSiteDir(o.data);
	if (o.build || !existsSync(join(siteDir, "index.html"))) {
		const runId = o.run ?? (await readLatest(store))?.runId;
		if (!runId) {
			process.stderr.write(
				`no successful run under ${lake.root} (no latest.json): run \`npm start\` first\n`,
			);
			return 1;
		}
		process.stderr.write(
			`Building the report of run ${runId} (Evidence, offline; about a minute)…\n`,
		);
		const r = await publishReport({
			store,
			manifest: new LocalRunManifest(lake.root),
			registry: new LocalModelRegistry(lake.root),
			runId,
			scratchDir: join(lake.root, ".scratch"),
			siteStore: store,
			// Built beside the runs' own sites, then made live by the same switch as MarkSucceeded's.
			sitePrefix: runSitePrefix(runId),
		});
		await switchLiveSite(store, runId, DEFAULT_SITE_PREFIX);
		process.stderr.write(
			`Report built in ${r.seconds.toFixed(1)} s (Evidence build ${r.buildSeconds.toFixed(1)} s): ${r.files} files, ${(r.bytes / 1048576).toFixed(1)} MB → ${siteDir}\n`,
		);
	}
	if (!o.serve) {
		process.stdout.write(
			`Open the report: npm run report:serve  (serves ${siteDir} on http://127.0.0.1:${o.port}/)\n`,
		);
		return 0;
	}
	const server = await serveSite(siteDir, { port: o.port });
	process.stdout.write(
		`Serving the report on ${server.url} (only this machine can reach it); Ctrl-C to stop\n`,
	);
	await new Promise<void>((resolve) => {
		const stop = () => {
			process.off("SIGINT", stop);
			process.off("SIGTERM", stop);
			server.close().then(resolve);
		};
		process.on("SIGINT", stop);
		process.on("SIGTERM", stop);
	});
	return 0;
}
