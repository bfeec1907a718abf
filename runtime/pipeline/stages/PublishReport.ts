/**
 * PublishReport: builds the run's report site and puts it where it is
 * served. Locally the run's publisher does it (the CLI builds the site); in
 * AWS the state machine runs the report build task instead
 * (runtime/report/task.ts), so this stage has no Lambda.
 */
import { defineStage, type RunState, type StagePlatform } from "./stage.ts";

export const PublishReport = defineStage({
	name: "PublishReport",
	resultPath: "$.report",
	summary: { key: "report" },
	flow: "report",
	async run(s: RunState, p: StagePlatform) {
		const out = p.publishReport
			? await p.publishReport(p, { runId: s.runId, batchId: s.batchId })
			: { skipped: "no report publisher configured for this run" };
		return { output: out, record: { detail: out } };
	},
});
