/**
 * MarkFailed: the Catch target of every stage. Writes the failed run's
 * report (what ran up to the failure, and the error), undoes what a failed
 * MarkSucceeded may have done before it failed (champion promoted, site
 * switched: docs/run-lifecycle.md "Promotion and publication"), marks the
 * run failed and raises run_failed. The run is marked failed before the
 * alert, so an alert that cannot be sent fails the execution but never
 * leaves the run started; a MarkFailed that cannot reach the manifest at all
 * (or a States.Runtime error no Catch sees) ends the execution FAILED, and
 * the execution-status reconciler marks the run.
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
		// The champion pointer, to undo a promotion of a MarkSucceeded that failed after it.
		access: {
			...BASE_ACCESS,
			registry: "update",
			reads: ["runs/*/quality/*", "latest.json"],
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
		const log = rootLogger.child({ runId: s.runId, stage: "MarkFailed" });
		let failedStage: string | null = null;
		// The same report as a succeeded run's, with what ran up to the failure
		// (every stage with its outcome, time, rows and faults) and the error.
		try {
			const run = await p.manifest.get(s.runId);
			const stages = run?.stages ?? [];
			failedStage =
				stages.findLast((x) => x.outcome === "failed")?.stage ?? null;
			const summary = await runSummary(p, s, stages);
			await putJson(p.store, lakeKeys.runReport(s.runId), {
				status: "failed",
				error,
				failedStage,
				...summary,
				stages,
			});
		} catch (e) {
			// The run is marked failed whatever happens to its report.
			log.error("could not write run_report.json", { error: String(e) });
		}
		if (failedStage === "MarkSucceeded")
			await undoSuccess(p, s).catch((e: unknown) =>
				log.error("could not undo the failed MarkSucceeded", {
					error: String(e),
				}),
			);
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

/**
 * A MarkSucceeded that failed part-way may have promoted the run's candidate
 * and switched the live site before the manifest write that failed: point
 * the champion back at the one the run planned with (only if it is still
 * this run's), and the live site back at the run latest.json names.
 */
async function undoSuccess(p: StagePlatform, s: RunState): Promise<void> {
	const { readLatest } = await import("../../io/lake.ts");
	const { switchSite } = await import("./site-switch.ts");
	const planned = s.plan?.champion ?? null;
	const candidate = s.train?.version;
	if (candidate && planned && candidate !== planned) {
		const now = await p.registry.champion();
		if (now?.version === candidate)
			await p.registry.promote(planned, { ifChampion: candidate });
	}
	const latest = await readLatest(p.store);
	if (latest && latest.runId !== s.runId) await switchSite(p, latest.runId);
}
