/**
 * Ladder: the experiment ladder (feature sets E0–E8 × algorithms, plus the
 * dummy baselines; runtime/model/experiments.ts) on this run's gold table,
 * for the report's experiment page (docs/models.md "Experiments").
 *
 * It runs in a parallel branch beside Train (`alongside`), so a training run
 * pays little wall time for it where the branches get their own machines
 * (AWS), and its failure never fails the run: the branch catches it and the
 * manifest records the failed stage. Stack configuration `ladder: false` (or
 * `npm start -- --no-ladder`) leaves it out of the state machine.
 */
import {
	BASE_ACCESS,
	defineStage,
	type RunState,
	type StagePlatform,
} from "./stage.ts";

export const Ladder = defineStage({
	name: "Ladder",
	resultPath: "$.ladder",
	flow: "branch",
	alongside: "Train",
	lambda: {
		access: {
			...BASE_ACCESS,
			reads: ["runs/*/gold/*"],
			writes: ["runs/*/models/*"],
		},
		// ~40 fits at 20 k customers: minutes on one vCPU; 2 vCPUs for two fits at once.
		sizing: { memoryMb: 4096, timeoutSeconds: 900, ephemeralStorageMb: 1024 },
	},
	task: {
		cpu: 8192,
		memoryMb: 30720,
		ephemeralStorageGiB: 30,
		timeoutSeconds: 14400,
	},
	async run(s: RunState, p: StagePlatform) {
		const { cpus } = await import("node:os");
		const { runExperiments, experimentsTable } = await import(
			"../../model/experiments.ts"
		);
		const { putJson, lakeKeys } = await import("../../io/lake.ts");
		const { readTable, saveTable } = await import("./lake-tables.ts");
		const gold = await readTable(p, s.runId, "gold", "gold_customer");
		// Two fits at a time (one per core on the default 2-vCPU sizing): they
		// share the cores with Train's two only while Train runs (≈ 30 s at 20 k
		// customers), and the ladder's ~40 fits need both cores after that. One
		// at a time took 274 s beside Train on the default batch here.
		const concurrency = Math.max(1, Math.min(2, cpus().length));
		const rows = await runExperiments(gold, { seed: s.seed, concurrency });
		await saveTable(
			p,
			s.runId,
			"models",
			undefined,
			"experiments",
			experimentsTable(rows),
		);
		await putJson(
			p.store,
			lakeKeys.doc(s.runId, "models", "experiments"),
			rows,
		);
		const best = rows
			.filter((r) => !r.algorithm.startsWith("dummy"))
			.reduce<(typeof rows)[number] | undefined>(
				(a, r) => (a === undefined || r.pr_auc > a.pr_auc ? r : a),
				undefined,
			);
		const out = {
			rungs: rows.length,
			best: best
				? {
						experiment: best.experiment,
						algorithm: best.algorithm,
						prAuc: best.pr_auc,
					}
				: null,
			fitSeconds: rows.reduce((a, r) => a + r.seconds, 0),
		};
		return {
			output: out,
			record: { rows: { experiments: rows.length }, detail: out },
		};
	},
});
