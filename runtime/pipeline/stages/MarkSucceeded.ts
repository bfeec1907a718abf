/**
 * MarkSucceeded: writes the run report, marks the run succeeded in the
 * manifest and only then moves latest.json to this run, so readers never see
 * a half-finished run.
 */
import {
	BASE_ACCESS,
	defineStage,
	type RunState,
	type StagePlatform,
} from "./stage.ts";

export const MarkSucceeded = defineStage({
	name: "MarkSucceeded",
	resultPath: "$.result",
	flow: "success",
	lambda: {
		access: {
			...BASE_ACCESS,
			reads: ["runs/*/quality/*"],
			writes: ["runs/*/run_report.json", "latest.json"],
		},
		sizing: { memoryMb: 512, timeoutSeconds: 120, ephemeralStorageMb: 512 },
	},
	async run(s: RunState, p: StagePlatform) {
		const { lakeKeys, putJson } = await import("../../io/lake.ts");
		const { runSummary } = await import("./run-summary.ts");
		const run = await p.manifest.get(s.runId);
		const summary = await runSummary(p, s, run?.stages ?? []);
		await putJson(p.store, lakeKeys.runReport(s.runId), {
			status: "succeeded",
			...summary,
			stages: run?.stages ?? [],
		});
		await p.manifest.succeed(s.runId, summary);
		// Only now do readers (scoring, drift, report) see this run's outputs.
		await putJson(p.store, lakeKeys.latest, {
			runId: s.runId,
			batchId: s.batchId,
			finishedAt: new Date().toISOString(),
		});
		return { output: { status: "succeeded" as const } };
	},
});
