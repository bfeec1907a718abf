/**
 * Stage orders the tests expect, derived from the one list
 * (runtime/pipeline/stages/index.ts) instead of spelled out in each test.
 */
import { STAGES } from "../../runtime/pipeline/stages/index.ts";
import type { AnyStage } from "../../runtime/pipeline/stages/stage.ts";

const list: readonly AnyStage[] = STAGES;

/**
 * What a succeeded run that trains records and calls, in order: every stage
 * but the Map's iterations (BronzeReduce records the bronze) and the failure
 * handler.
 */
export const TRAINING_RUN_STAGES: readonly string[] = list
	.filter((s) => s.flow !== "map" && s.flow !== "failure")
	.map((s) => s.name);

/** Stage names sorted by their place in the list (parallel branches finish in either order). */
export function inListOrder(stages: readonly string[]): string[] {
	const at = new Map(list.map((s, i) => [s.name, i]));
	return [...stages].sort((a, b) => (at.get(a) ?? -1) - (at.get(b) ?? -1));
}
