/**
 * `npm start`: make sure a batch exists (generating the default synthetic one
 * on a fresh machine), run the whole pipeline through the local state
 * machine with a live progress display, and print a summary.
 */
import { existsSync } from "node:fs";
import { Lake } from "../io/lake.ts";
import type { RunRecord } from "../io/manifest.ts";
import { resolveTolerances } from "../monitoring/quality.ts";
import { type ExecuteOptions, executeRun } from "../pipeline/execute.ts";
import { ProgressDisplay } from "../pipeline/progress.ts";
import { newRunId } from "../pipeline/run-id.ts";
import { DEFAULT_SITE_PREFIX, reportPublisher } from "../report/publish.ts";
import { defaultBatchId, generateWithProgress } from "./synth.ts";

export interface RunCommandOptions {
	batch?: string;
	customers: number;
	seed: number;
	data: string;
	shards: number;
	concurrency: number;
	mode: string;
	gate: number;
	force: boolean;
	/** Build the report site in PublishReport (commander's --no-report sets false). */
	report: boolean;
	/** Quality tolerances (docs/data-quality.md); absent: the defaults. */
	maxInvalidShare?: number;
	maxImputedPriceShare?: number;
}

export async function runCommand(o: RunCommandOptions): Promise<number> {
	if (!["auto", "train", "score"].includes(o.mode)) {
		process.stderr.write(
			`error: --mode must be auto, train or score, got "${o.mode}"\n`,
		);
		return 2;
	}
	const lake = new Lake(o.data);
	const batchId = o.batch ?? defaultBatchId(o.customers, o.seed);
	const batchDir = lake.rawDir(batchId);
	if (!existsSync(batchDir)) {
		if (o.batch) {
			process.stderr.write(
				`error: batch "${o.batch}" not found: expected the raw files in ${batchDir}\n`,
			);
			return 2;
		}
		process.stderr.write(
			`No batch yet: generating the synthetic batch ${batchId} (${o.customers} customers, every hour of 2024)…\n`,
		);
		const t = performance.now();
		await generateWithProgress({
			customers: o.customers,
			seed: o.seed,
			outDir: batchDir,
		});
		process.stderr.write(
			`Generated in ${((performance.now() - t) / 1000).toFixed(1)} s → ${batchDir}\n`,
		);
	}
	const progress = new ProgressDisplay();
	const t0 = performance.now();
	const runId = newRunId(batchId);
	process.stderr.write(`Run ${runId} on batch ${batchId}\n`);
	const result = await executeRun({
		dataRoot: lake.root,
		batchId,
		runId,
		mode: o.mode as ExecuteOptions["mode"],
		shardCount: o.shards,
		concurrency: o.concurrency,
		gate: o.gate,
		seed: o.seed,
		quality: resolveTolerances({
			...(o.maxInvalidShare !== undefined
				? { maxInvalidShare: o.maxInvalidShare }
				: {}),
			...(o.maxImputedPriceShare !== undefined
				? { maxImputedPriceShare: o.maxImputedPriceShare }
				: {}),
		}),
		force: o.force,
		onEvent: progress.onEvent,
		// PublishReport builds this run's site into <data>/reports/site/.
		publishReport: o.report === false ? undefined : reportPublisher(),
	});
	process.stdout.write(
		formatSummary(
			result.record,
			(performance.now() - t0) / 1000,
			lake,
			progress.mapSeconds,
		),
	);
	return result.ok ? 0 : 1;
}

function formatSummary(
	run: RunRecord | undefined,
	seconds: number,
	lake: Lake,
	mapSeconds: ReadonlyMap<string, number> = new Map(),
): string {
	if (!run) return "no run record\n";
	const lines: string[] = [];
	const status = run.status.toUpperCase();
	lines.push("", `Run ${run.runId}: ${status} in ${seconds.toFixed(1)} s`);
	lines.push("", "Stage            seconds  rows");
	for (const s of run.stages) {
		// The bronze Map (all shards, in parallel) runs between ValidateRaw and BronzeReduce.
		const map = mapSeconds.get("BronzeShards");
		if (s.stage === "BronzeReduce" && map !== undefined) {
			const d = s.detail as { shards?: number } | undefined;
			lines.push(
				`${"BronzeShards".padEnd(16)} ${map.toFixed(1).padStart(7)}  shards=${d?.shards ?? "?"} (Map, in parallel)`,
			);
		}
		const rows = Object.entries(s.rows ?? {})
			.map(([k, v]) => `${k}=${v.toLocaleString("en-US")}`)
			.join(", ");
		lines.push(
			`${s.stage.padEnd(16)} ${s.seconds.toFixed(1).padStart(7)}  ${rows}`,
		);
	}
	const faults: Record<string, number> = {};
	for (const s of run.stages)
		for (const [k, v] of Object.entries(s.faults ?? {}))
			if (v > 0) faults[k] = (faults[k] ?? 0) + v;
	if (Object.keys(faults).length > 0) {
		lines.push("", "Faults absorbed");
		for (const [k, v] of Object.entries(faults).sort())
			lines.push(`  ${k.padEnd(52)} ${v.toLocaleString("en-US").padStart(10)}`);
	}
	const detail = (name: string) =>
		run.stages.find((s) => s.stage === name)?.detail as
			| Record<string, unknown>
			| undefined;
	const train = detail("Train");
	if (train) {
		const gate = train.gate as { passed: boolean; minimum: number };
		lines.push(
			"",
			`Model ${train.version}: test PR-AUC ${Number(train.prAuc).toFixed(3)}, ROC-AUC ${Number(train.rocAuc).toFixed(3)} → gate (≥ ${gate.minimum}) ${gate.passed ? "PASSED, champion" : "REJECTED"}`,
		);
	}
	const score = detail("Score");
	if (score) {
		const tiers = score.tiers as Record<string, number>;
		lines.push(
			`Scored ${score.customers} customers with ${score.modelVersion}: ${Object.entries(
				tiers,
			)
				.map(([k, v]) => `${k} ${v}`)
				.join(", ")}`,
		);
	}
	const rec = detail("Recommend");
	if (rec)
		lines.push(
			`Recommendations: ${Object.entries(rec.byAction as Record<string, number>)
				.map(([k, v]) => `${k} ${v}`)
				.join(", ")}`,
		);
	const drift = detail("Drift");
	if (drift) {
		if (drift.referenceWritten)
			lines.push(
				`Drift: reference written for ${drift.referenceWritten} (this run's population)`,
			);
		else {
			const feats = drift.driftedFeatures as string[];
			lines.push(
				`Drift vs ${drift.modelVersion}'s training population: ${feats.length ? `${feats.length} features drifted (${feats.slice(0, 5).join(", ")}${feats.length > 5 ? ", …" : ""})` : "no feature drifted"}; prediction ${drift.predictionDrifted ? "DRIFTED" : "stable"}`,
			);
		}
	}
	const report = detail("PublishReport");
	const last = run.history.at(-1);
	if (last?.error)
		lines.push("", `FAILED: ${last.error.name}: ${last.error.message}`);
	lines.push(
		"",
		`Outputs: ${lake.runDir(run.runId)}  (log: pipeline.log, report: run_report.json)`,
	);
	if (report?.siteKey && run.status === "succeeded")
		lines.push(
			`Report: ${lake.root}/${DEFAULT_SITE_PREFIX} (${report.files} files, ${(Number(report.bytes) / 1048576).toFixed(1)} MB, built in ${Number(report.seconds).toFixed(1)} s)`,
			"Open it:  npm run report:serve   → http://127.0.0.1:3000/",
		);
	else if (report?.skipped) lines.push(`Report: skipped (${report.skipped})`);
	lines.push("");
	return lines.join("\n");
}
