/**
 * Fault counts: how many rows or records a stage absorbed instead of failing
 * (dropped duplicates, unknown customers, …), keyed by a stable fault name.
 * Only positive counts are kept, so a key present always means "it happened";
 * the run summary and the stage outputs rely on that.
 */
export type FaultCounts = Record<string, number>;

/** Adds `n` (default 1) to `faults[key]`; a count ≤ 0 (or NaN) leaves the map unchanged. */
export function countFault(faults: FaultCounts, key: string, n = 1): void {
	if (n > 0) faults[key] = (faults[key] ?? 0) + n;
}

/** Adds every positive count of each source into `into` (which it returns). */
export function mergeFaults(
	into: FaultCounts,
	...sources: readonly (Readonly<FaultCounts> | undefined)[]
): FaultCounts {
	for (const s of sources)
		for (const [k, v] of Object.entries(s ?? {})) countFault(into, k, v);
	return into;
}
