/**
 * The run-history record of a run (the report's pipeline-status data): rows
 * per table, faults absorbed, quality per table, gate decision, scoring and
 * drift summaries. MarkSucceeded and MarkFailed write it.
 */
import { getJson, lakeKeys } from "../../io/lake.ts";
import type { StageRecord } from "../../io/manifest.ts";
import type { QualityReport } from "../../monitoring/quality.ts";
import { mergeFaults } from "../../util/faults.ts";
import type { Platform } from "../platform.ts";
import { STAGES } from "./index.ts";
import type { AnyStage, RunState } from "./stage.ts";

const list: readonly AnyStage[] = STAGES;
const STAGES_WITH_SUMMARY = list.filter(
	(s): s is AnyStage & { summary: NonNullable<AnyStage["summary"]> } =>
		s.summary !== undefined,
);

export async function runSummary(
	p: Platform,
	s: RunState,
	stages: StageRecord[],
): Promise<Record<string, unknown>> {
	const detail = (name: string) => stages.find((x) => x.stage === name)?.detail;
	const rows: Record<string, number> = {};
	for (const st of stages) Object.assign(rows, st.rows);
	const faults = mergeFaults({}, ...stages.map((st) => st.faults));
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
	// Each stage's line, in the list's order (the stage module's `summary`).
	const lines: Record<string, unknown> = {};
	for (const stage of STAGES_WITH_SUMMARY) {
		const { key, value } = stage.summary;
		lines[key] = value
			? value(s, detail(stage.name))
			: (detail(stage.name) ?? null);
	}
	return {
		runId: s.runId,
		batchId: s.batchId,
		asOfDate: s.bronze?.asOfDate,
		mode: s.plan?.action,
		rows,
		faults,
		quality,
		...lines,
		seconds: Object.fromEntries(
			stages.map((x) => [x.stage, Number(x.seconds.toFixed(2))]),
		),
	};
}
