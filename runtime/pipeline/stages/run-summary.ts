/**
 * The run-history record of a run (the report's pipeline-status data): rows
 * per table, faults absorbed, quality per table, gate decision, scoring and
 * drift summaries. MarkSucceeded and MarkFailed write it.
 */
import { getJson, lakeKeys } from "../../io/lake.ts";
import type { StageRecord } from "../../io/manifest.ts";
import type { QualityReport } from "../../monitoring/quality.ts";
import type { Platform } from "../platform.ts";
import type { RunState } from "./stage.ts";

export async function runSummary(
	p: Platform,
	s: RunState,
	stages: StageRecord[],
): Promise<Record<string, unknown>> {
	const detail = (name: string) => stages.find((x) => x.stage === name)?.detail;
	const rows: Record<string, number> = {};
	const faults: Record<string, number> = {};
	for (const st of stages) {
		Object.assign(rows, st.rows);
		for (const [k, v] of Object.entries(st.faults ?? {}))
			if (v > 0) faults[k] = (faults[k] ?? 0) + v;
	}
	const quality: Record<
		string,
		{ passed: boolean; errors: number; warnings: number }
	> = {};
	const qualityKeys = (
		await p.store.list(`${lakeKeys.runPrefix(s.runId)}quality/`)
	).filter((k) => k.endsWith(".json"));
	for (const key of qualityKeys) {
		const q = await getJson<QualityReport>(p.store, key);
		quality[q.table] = {
			passed: q.passed,
			errors: q.errors,
			warnings: q.warnings,
		};
	}
	const train = detail("Train") as
		| { version?: string; gate?: unknown }
		| undefined;
	return {
		runId: s.runId,
		batchId: s.batchId,
		asOfDate: s.bronze?.asOfDate,
		mode: s.plan?.action,
		rows,
		faults,
		quality,
		gate: train ? { version: train.version, ...(train.gate as object) } : null,
		score: detail("Score") ?? null,
		recommendations: detail("Recommend") ?? null,
		drift: detail("Drift") ?? null,
		report: detail("PublishReport") ?? null,
		seconds: Object.fromEntries(
			stages.map((x) => [x.stage, Number(x.seconds.toFixed(2))]),
		),
	};
}
