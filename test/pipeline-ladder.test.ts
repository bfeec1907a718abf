/**
 * The experiment ladder as a parallel branch beside Train (runtime/pipeline/
 * stages/Ladder.ts): its failure never fails the run, a Train failure inside
 * the Parallel state still reaches MarkFailed, and `ladder: false` leaves it
 * out of the machine.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import aslValidator from "asl-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lake } from "../runtime/io/lake.ts";
import {
	buildDefinition,
	ECS_CAPABLE_STAGES,
} from "../runtime/pipeline/definition.ts";
import { executeRun } from "../runtime/pipeline/execute.ts";
import { generateBatch } from "../runtime/synth/generate.ts";

let root: string;

beforeAll(async () => {
	root = await mkdtemp(join(tmpdir(), "sg-ladder-"));
	await generateBatch({
		customers: 80,
		seed: 5,
		outDir: new Lake(root).rawDir("b"),
		partCustomers: 40,
	});
});
afterAll(async () => {
	await rm(root, { recursive: true, force: true });
});

// Every stage after the model: quick stand-ins, the branch semantics are under test.
const after = {
	Score: async () => ({ customers: 0, tiers: {} }),
	Recommend: async () => ({ recommendations: 0, byAction: {} }),
	Drift: async () => ({ anyDrift: false, driftedFeatures: [] }),
	PublishReport: async () => ({ skipped: "test" }),
};

describe("the ladder branch", () => {
	it("a failing ladder leaves the run succeeded", async () => {
		const seen: string[] = [];
		const r = await executeRun({
			dataRoot: root,
			batchId: "b",
			shardCount: 2,
			mode: "train",
			handlers: {
				Train: async () => {
					seen.push("Train");
					return { version: "v-test", status: "rejected", reason: "stand-in" };
				},
				Ladder: async () => {
					seen.push("Ladder");
					throw new Error("ladder broke");
				},
				...after,
			},
		});
		expect(seen.sort()).toEqual(["Ladder", "Train"]);
		expect(r.record?.status).toBe("succeeded");
		expect(r.ok).toBe(true);
	});

	it("a failing Train inside the Parallel state still ends in MarkFailed", async () => {
		const r = await executeRun({
			dataRoot: root,
			batchId: "b",
			shardCount: 2,
			mode: "train",
			handlers: {
				Train: async () => {
					throw Object.assign(new Error("no model"), {
						name: "ModelInputError",
					});
				},
				Ladder: async () => ({ rungs: 0 }),
				...after,
			},
		});
		expect(r.record?.status).toBe("failed");
		expect(r.record?.history.at(-1)?.error).toMatchObject({
			name: "ModelInputError",
			message: expect.stringContaining("no model"),
		});
	});

	it("ladder: false runs Train as a plain Task", async () => {
		const ran: string[] = [];
		const r = await executeRun({
			dataRoot: root,
			batchId: "b",
			shardCount: 2,
			mode: "train",
			ladder: false,
			handlers: {
				Train: async () => {
					ran.push("Train");
					return { version: "v-test", status: "rejected", reason: "stand-in" };
				},
				Ladder: async () => {
					ran.push("Ladder");
					return {};
				},
				...after,
			},
		});
		expect(r.record?.status).toBe("succeeded");
		expect(ran).toEqual(["Train"]);
		const d = buildDefinition({
			resourceFor: (s) => `arn:aws:lambda:eu-west-1:1:function:${s}`,
			without: ["Ladder"],
		}) as { States: Record<string, { Type: string }> };
		expect(d.States.Train.Type).toBe("Task");
		expect(d.States.TrainParallel).toBeUndefined();
		expect(JSON.stringify(d)).not.toContain("Ladder");
		const withLadder = buildDefinition() as {
			States: Record<string, { Type: string; Branches?: unknown[] }>;
		};
		expect(withLadder.States.Train).toBeUndefined();
		expect(withLadder.States.TrainParallel.Type).toBe("Parallel");
		expect(withLadder.States.TrainParallel.Branches).toHaveLength(2);
	});

	it("with every stage on ECS, the branches are valid ASL and no catch inside them leaves its branch", () => {
		const target = {
			parameters: { Cluster: "c", TaskDefinition: "t", LaunchType: "FARGATE" },
			containerName: "stage",
		};
		const def = buildDefinition({
			resourceFor: (s) => `arn:aws:lambda:eu-west-1:1:function:${s}`,
			lakeBucket: "lake",
			ecsStages: Object.fromEntries(ECS_CAPABLE_STAGES.map((s) => [s, target])),
		}) as {
			States: Record<
				string,
				{
					Branches?: Array<{
						StartAt: string;
						States: Record<string, unknown>;
					}>;
				}
			>;
		};
		expect(aslValidator(structuredClone(def)).errors).toEqual([]);
		const [own, ladder] = def.States.TrainParallel.Branches ?? [];
		expect(own.StartAt).toBe("Train");
		expect(ladder.StartAt).toBe("Ladder");
		for (const branch of [own, ladder]) {
			const names = new Set(Object.keys(branch.States));
			for (const [name, state] of Object.entries(branch.States))
				for (const c of (state as { Catch?: Array<{ Next: string }> }).Catch ??
					[])
					expect(names.has(c.Next), `${name} → ${c.Next}`).toBe(true);
		}
		// The ladder's failures end its branch; Train's reach MarkFailed through the Parallel state.
		expect(JSON.stringify(ladder.States)).toContain('"Next":"LadderSkipped"');
		expect(def.States.TrainParallel).toMatchObject({
			Catch: [{ ErrorEquals: ["States.ALL"], Next: "MarkFailed" }],
		});
	});
});
