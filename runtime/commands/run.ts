/**
 * `npm start`: make sure a batch exists (generating the default synthetic one
 * on a fresh machine), run the whole pipeline through the local state
 * machine with a live progress display, and print a summary.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Lake } from "../io/lake.ts";
import type { RunRecord } from "../io/manifest.ts";
import { resolveTolerances } from "../monitoring/quality.ts";
import { type ExecuteOptions, executeRun } from "../pipeline/execute.ts";
import { ProgressDisplay } from "../pipeline/progress.ts";
import { newRunId } from "../pipeline/run-id.ts";
import { DEFAULT_SITE_PREFIX, reportPublisher } from "../report/publish.ts";
import { mergeFaults } from "../util/faults.ts";
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
	/** Margin over the champion's test PR-AUC (docs/models.md "Promotion"). */
	promotionMargin?: number;
	force: boolean;
	/** Build the report site in PublishReport (commander's --no-report sets false). */
	report: boolean;
	/** Run the experiment ladder beside Train (commander's --no-ladder sets false). */
	ladder: boolean;
	/** Quality tolerances (docs/data-quality.md); absent: the defaults. */
	maxInvalidShare?: number;
	maxImputedPriceShare?: number;
	maxInvalidHourlyShare?: number;
	/** Drift thresholds (docs/drift.md); absent: the defaults. */
	driftAlpha?: number;
	driftMinWasserstein?: number;
	driftMinJensenShannon?: number;
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
	const stop = stopOnSignals(runId);
	const result = await executeRun({
		dataRoot: lake.root,
		batchId,
		runId,
		mode: o.mode as ExecuteOptions["mode"],
		shardCount: o.shards,
		concurrency: o.concurrency,
		gate: o.gate,
		promotionMargin: o.promotionMargin,
		seed: o.seed,
		quality: resolveTolerances({
			...(o.maxInvalidShare !== undefined
				? { maxInvalidShare: o.maxInvalidShare }
				: {}),
			...(o.maxImputedPriceShare !== undefined
				? { maxImputedPriceShare: o.maxImputedPriceShare }
				: {}),
			...(o.maxInvalidHourlyShare !== undefined
				? { maxInvalidHourlyShare: o.maxInvalidHourlyShare }
				: {}),
		}),
		drift: {
			...(o.driftAlpha !== undefined ? { alpha: o.driftAlpha } : {}),
			...(o.driftMinWasserstein !== undefined
				? { wasserstein: o.driftMinWasserstein }
				: {}),
			...(o.driftMinJensenShannon !== undefined
				? { jensenShannon: o.driftMinJensenShannon }
				: {}),
		},
		force: o.force,
		signal: stop.signal,
		onTakeOver: (line) => process.stderr.write(`${line}\n`),
		onEvent: progress.onEvent,
		// PublishReport builds this run's site into <data>/reports/runs/<runId>/site/; MarkSucceeded makes it <data>/reports/site/.
		ladder: o.ladder !== false,
		publishReport: o.report === false ? undefined : reportPublisher(),
	});
	stop.dispose();
	process.stdout.write(
		formatSummary(
			result.record,
			(performance.now() - t0) / 1000,
			lake,
			progress,
		),
	);
	// 128 + signal number, the shell's convention for a run stopped by a signal.
	if (result.aborted) return stop.signal.reason === "SIGTERM" ? 143 : 130;
	return result.ok ? 0 : 1;
}

/**
 * SIGINT (Ctrl-C) and SIGTERM abort the run: the execution stops, the run
 * is marked aborted with the stages it ran and the batch is released
 * (docs/runbook.md). A second signal quits at once.
 */
function stopOnSignals(runId: string): {
	signal: AbortSignal;
	dispose(): void;
} {
	const controller = new AbortController();
	const onSignal = (name: NodeJS.Signals) => {
		if (controller.signal.aborted) process.exit(name === "SIGTERM" ? 143 : 130);
		process.stderr.write(
			`\n${name}: stopping run ${runId} and marking it aborted (again to quit at once)…\n`,
		);
		controller.abort(name);
	};
	process.on("SIGINT", onSignal);
	process.on("SIGTERM", onSignal);
	return {
		signal: controller.signal,
		dispose() {
			process.off("SIGINT", onSignal);
			process.off("SIGTERM", onSignal);
		},
	};
}

/** What the live display saw of the Map state (it has no handler to record it). */
export interface MapView {
	mapSeconds: ReadonlyMap<string, number>;
	failed: ReadonlySet<string>;
}

const rowsText = (rows: Record<string, number> | undefined) =>
	Object.entries(rows ?? {})
		.map(([k, v]) => `${k}=${v.toLocaleString("en-US")}`)
		.join(", ");

/**
 * The end-of-run summary: one line per stage that ran, in order, with its
 * outcome, seconds and rows (a failed run too: the failed stage is recorded
 * with what it had counted), the faults absorbed, and the run's figures.
 */
export function formatSummary(
	run: RunRecord | undefined,
	seconds: number,
	lake: Lake,
	view: MapView = { mapSeconds: new Map(), failed: new Set() },
): string {
	if (!run) return "no run record\n";
	const lines: string[] = [];
	const status = run.status.toUpperCase();
	lines.push("", `Run ${run.runId}: ${status} in ${seconds.toFixed(1)} s`);
	lines.push("", "Stage            seconds  outcome  rows");
	const line = (stage: string, secs: number, failed: boolean, rest: string) =>
		`${stage.padEnd(16)} ${secs.toFixed(1).padStart(7)}  ${(failed ? "FAILED" : "ok").padEnd(7)}  ${rest}`.trimEnd();
	// The bronze Map (all shards, in parallel) runs right after ValidateRaw; a
	// failed shard records it, a successful one only the live display saw.
	const mapSeconds = view.mapSeconds.get("BronzeShards");
	const mapRecorded = run.stages.some((s) => s.stage === "BronzeShards");
	for (const s of run.stages) {
		lines.push(
			line(s.stage, s.seconds, s.outcome === "failed", rowsText(s.rows)),
		);
		if (s.stage === "ValidateRaw" && mapSeconds !== undefined && !mapRecorded) {
			const reduce = run.stages.find((x) => x.stage === "BronzeReduce");
			const shards =
				(reduce?.detail as { shards?: number } | undefined)?.shards ??
				(s.detail as { shards?: number } | undefined)?.shards;
			lines.push(
				line(
					"BronzeShards",
					mapSeconds,
					view.failed.has("BronzeShards"),
					`shards=${shards ?? "?"} (Map, in parallel)`,
				),
			);
		}
	}
	const faults = mergeFaults({}, ...run.stages.map((s) => s.faults));
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
		lines.push("", `${status}: ${last.error.name}: ${last.error.message}`);
	// Name only what the run wrote.
	const written = ["pipeline.log", "run_report.json"].filter((f) =>
		existsSync(join(lake.runDir(run.runId), f)),
	);
	lines.push(
		"",
		`Outputs: ${lake.runDir(run.runId)}${written.length ? `  (${written.map((f) => (f === "pipeline.log" ? `log: ${f}` : `report: ${f}`)).join(", ")})` : ""}`,
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
