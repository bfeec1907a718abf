/**
 * PlanModel: decides whether this run trains a candidate or scores with the
 * champion (mode auto: train only when no model is approved yet), and pins
 * that champion: a candidate must beat it, and it scores the run unless an
 * approved candidate does (plannedVersion in stage.ts).
 */
import {
	BASE_ACCESS,
	defineStage,
	type PlanOutput,
	type RunState,
	type StagePlatform,
} from "./stage.ts";

export const PlanModel = defineStage({
	name: "PlanModel",
	resultPath: "$.plan",
	lambda: {
		access: { ...BASE_ACCESS, registry: "read", reads: [], writes: [] },
		sizing: { memoryMb: 512, timeoutSeconds: 60, ephemeralStorageMb: 512 },
	},
	async run(s: RunState, p: StagePlatform) {
		const champion = await p.registry.champion();
		const action =
			s.mode === "train" || (s.mode === "auto" && !champion)
				? "train"
				: "score";
		const output: PlanOutput = {
			action,
			champion: champion?.version ?? null,
		};
		return {
			output,
			record: { detail: { action, champion: champion?.version ?? null } },
		};
	},
});
