/**
 * MarkSucceeded: the one place a run becomes visible (docs/run-lifecycle.md,
 * "Promotion and publication"). It writes the run report, promotes the run's
 * approved candidate (compare-and-set on the champion Train compared it
 * with), makes the run's report site live, marks the run succeeded and only
 * then moves latest.json to this run — if it is newer than the run latest
 * points to. Every step is idempotent, so a retried MarkSucceeded completes
 * what a failed attempt began.
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
			// Promotes the run's candidate (the champion pointer).
			registry: "update",
			// latest.json is read for the conditional write. The site switch works in
			// the site bucket (SITE_BUCKET), granted by components/platform.ts, not in the lake.
			reads: ["runs/*/quality/*", "latest.json"],
			writes: ["runs/*/run_report.json", "latest.json"],
		},
		sizing: { memoryMb: 1024, timeoutSeconds: 300, ephemeralStorageMb: 512 },
	},
	async run(s: RunState, p: StagePlatform) {
		const { lakeKeys, putJson, writeLatestIfNewer } = await import(
			"../../io/lake.ts"
		);
		const { ChampionMovedError } = await import("../../model/registry.ts");
		const { switchSite } = await import("./site-switch.ts");
		const { runSummary } = await import("./run-summary.ts");
		const run = await p.manifest.get(s.runId);
		const summary = await runSummary(p, s, run?.stages ?? []);
		await putJson(p.store, lakeKeys.runReport(s.runId), {
			status: "succeeded",
			...summary,
			stages: run?.stages ?? [],
		});
		// The candidate becomes champion only now, and only over the champion
		// it beat: a concurrent run that promoted meanwhile wins, this one stays approved.
		let promotion: { promoted: string | null; reason: string };
		if (s.train?.status === "approved") {
			try {
				await p.registry.promote(s.train.version, {
					ifChampion: s.plan?.champion ?? null,
				});
				promotion = {
					promoted: s.train.version,
					reason: s.train.reason,
				};
			} catch (e) {
				if (!(e instanceof ChampionMovedError)) throw e;
				promotion = { promoted: null, reason: e.message };
			}
		} else
			promotion = {
				promoted: null,
				reason: s.train
					? `candidate ${s.train.version} rejected: ${s.train.reason}`
					: "no candidate trained",
			};
		const site = await switchSite(p, s.runId);
		await p.manifest.succeed(s.runId, summary);
		// Only now do readers (scoring, drift, report) see this run's outputs.
		const latest = await writeLatestIfNewer(p.store, {
			runId: s.runId,
			batchId: s.batchId,
			...(run?.startedAt ? { startedAt: run.startedAt } : {}),
			finishedAt: new Date().toISOString(),
		});
		// The Task's output stays { status }; what happened goes to the manifest record.
		const detail = {
			promotion,
			site: site
				? { live: site.live, mode: site.mode, files: site.files }
				: null,
			latest: latest.written
				? { runId: s.runId }
				: { kept: latest.current?.runId ?? null },
		};
		return {
			output: { status: "succeeded" as const },
			record: { detail },
		};
	},
});
