/**
 * The live display prints exactly one outcome line per stage, whatever the
 * state machine emits around it: a caught failure also exits its state, a
 * retried attempt fails before it succeeds, a failing shard fails the Map.
 */
import { describe, expect, it } from "vitest";
import { RawContractError, TransientIOError } from "../runtime/errors.ts";
import { TASK_STAGES, type TaskStage } from "../runtime/pipeline/definition.ts";
import { ProgressDisplay } from "../runtime/pipeline/progress.ts";
import {
	runStateMachineLocal,
	type StageHandler,
} from "../runtime/pipeline/run-local.ts";

function handlers(overrides: Partial<Record<TaskStage, StageHandler>>) {
	const h = {} as Record<TaskStage, StageHandler>;
	for (const s of TASK_STAGES)
		h[s] =
			overrides[s] ??
			(async (input: never) => {
				if (s === "ValidateRaw") return { shards: [{ id: "a" }, { id: "b" }] };
				if (s === "PlanModel") return { action: "train" };
				if (s === "BronzeShard")
					return { index: (input as { index: number }).index };
				return { ok: true };
			});
	return h;
}

async function outcomes(
	overrides: Partial<Record<TaskStage, StageHandler>>,
): Promise<{ outcomes: string[]; printed: string[] }> {
	const printed: string[] = [];
	const out = {
		isTTY: false,
		write: (t: string) => printed.push(t),
	} as unknown as NodeJS.WriteStream;
	const progress = new ProgressDisplay(out);
	await runStateMachineLocal(
		{ runId: "r1", dataRoot: "/x" },
		{
			handlers: handlers(overrides),
			retryIntervalMs: 1,
			onEvent: progress.onEvent,
		},
	).catch(() => undefined);
	return {
		printed,
		outcomes: printed
			.map((l) => /\] ([✔✘]) (\w+)/.exec(l))
			.filter((m) => m !== null)
			.map((m) => `${m[1]} ${m[2]}`),
	};
}

describe("progress display", () => {
	it("shows a permanent failure once, as ✘ with its error, and never as ✔", async () => {
		const r = await outcomes({
			Gold: async () => {
				throw new RawContractError(
					{ file: "churn_label.csv", row: 3, column: "churn" },
					"not 0/1",
				);
			},
		});
		expect(r.outcomes).toEqual([
			"✔ ValidateRaw",
			"✔ BronzeShards",
			"✔ BronzeReduce",
			"✔ Silver",
			"✘ Gold",
			"✔ MarkFailed",
		]);
		expect(r.printed.find((l) => l.includes("✘ Gold"))).toMatch(
			/✘ Gold \(\d+\.\d s\): RawContractError: churn_label\.csv, row 3/,
		);
	});

	it("a retried stage that then succeeds shows one outcome, ✔", async () => {
		let attempts = 0;
		const r = await outcomes({
			Silver: async () => {
				attempts++;
				if (attempts < 2) throw new TransientIOError("socket hang up");
				return { ok: true };
			},
		});
		expect(attempts).toBe(2);
		expect(r.outcomes.filter((o) => o.endsWith(" Silver"))).toEqual([
			"✔ Silver",
		]);
		expect(r.outcomes).toContain("✔ MarkSucceeded");
		// The failed attempt shows with its retry, not as an outcome.
		expect(
			r.printed.some((l) =>
				l.includes("↻ Silver: retry 1 after TransientIOError: socket hang up"),
			),
		).toBe(true);
	});

	it("a failing shard fails the Map once and the reduce never runs", async () => {
		const r = await outcomes({
			BronzeShard: async () => {
				throw new Error("shard broke");
			},
		});
		expect(r.outcomes).toEqual([
			"✔ ValidateRaw",
			"✘ BronzeShards",
			"✔ MarkFailed",
		]);
	});
});
