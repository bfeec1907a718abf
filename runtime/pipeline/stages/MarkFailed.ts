/**
 * MarkFailed: the Catch target of every stage. Writes the failed run's
 * report (what ran up to the failure, and the error), marks the run failed
 * and raises run_failed.
 */
import {
	BASE_ACCESS,
	defineStage,
	type RunState,
	type StagePlatform,
} from "./stage.ts";

export const MarkFailed = defineStage({
	name: "MarkFailed",
	resultPath: "$.failure",
	flow: "failure",
	lambda: {
		// A failed run writes its run_report.json too (docs/data-quality.md).
		access: {
			...BASE_ACCESS,
			reads: ["runs/*/quality/*"],
			writes: ["runs/*/run_report.json"],
		},
		sizing: { memoryMb: 512, timeoutSeconds: 120, ephemeralStorageMb: 512 },
	},
	async run(s: RunState, p: StagePlatform) {
		const { lakeKeys, putJson } = await import("../../io/lake.ts");
		const { rootLogger } = await import("../../log.ts");
		const { runSummary } = await import("./run-summary.ts");
		const error = {
			name: s.error?.Error ?? "Unknown",
			message: String(s.error?.Cause ?? ""),
		};
		// The same report as a succeeded run's, with what ran up to the failure
		// (every stage with its outcome, time, rows and faults) and the error.
		try {
			const run = await p.manifest.get(s.runId);
			const stages = run?.stages ?? [];
			const summary = await runSummary(p, s, stages);
			await putJson(p.store, lakeKeys.runReport(s.runId), {
				status: "failed",
				error,
				failedStage:
					stages.findLast((x) => x.outcome === "failed")?.stage ?? null,
				...summary,
				stages,
			});
		} catch (e) {
			// The run is marked failed whatever happens to its report.
			rootLogger
				.child({ runId: s.runId, stage: "MarkFailed" })
				.error("could not write run_report.json", { error: String(e) });
		}
		await p.manifest.fail(s.runId, error);
		await p.alerts.raise({
			kind: "run_failed",
			runId: s.runId,
			batchId: s.batchId,
			message: `${error.name}: ${error.message}`,
		});
		return { output: { status: "failed" as const } };
	},
});
