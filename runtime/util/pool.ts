/**
 * The one bounded-concurrency pool of the runtime: `mapPool` runs `work` over
 * items with at most `concurrency` in flight and returns the results in the
 * items' order (not completion order), so a caller's output does not depend
 * on timing.
 *
 * A lane is one of the `concurrency` loops taking items one at a time. A lane
 * may own a resource (a worker thread, a DuckDB connection): `openLane`
 * creates it before the lane's first item, `closeLane` releases it when the
 * lane ends, failure or not.
 *
 * Failure: the first rejected item rejects the pool at once; the other lanes
 * finish the item they hold and take no new one (no work is started after a
 * failure is known).
 */

export interface PoolOptions<L> {
	/** Most items in flight (≥ 1; more lanes than items are not started). */
	concurrency: number;
	/** The lane's resource, made before its first item (lane index 0…). */
	openLane?: (lane: number) => L | Promise<L>;
	/** Releases a lane's resource when the lane ends, after success or failure. */
	closeLane?: (resource: L, lane: number) => void | Promise<void>;
}

export async function mapPool<T, R, L = undefined>(
	items: readonly T[],
	work: (item: T, index: number, resource: L) => Promise<R> | R,
	options: PoolOptions<L>,
): Promise<R[]> {
	if (!(options.concurrency >= 1))
		throw new RangeError(
			`mapPool: concurrency must be ≥ 1, got ${options.concurrency}`,
		);
	const results = new Array<R>(items.length);
	if (items.length === 0) return results;
	const lanes = Math.min(Math.floor(options.concurrency), items.length);
	let next = 0;
	let failed = false;
	const lane = async (laneIndex: number): Promise<void> => {
		const resource = (await options.openLane?.(laneIndex)) as L;
		try {
			while (!failed && next < items.length) {
				const i = next++;
				try {
					results[i] = await work(items[i], i, resource);
				} catch (e) {
					failed = true;
					throw e;
				}
			}
		} finally {
			await options.closeLane?.(resource, laneIndex);
		}
	};
	await Promise.all(Array.from({ length: lanes }, (_, k) => lane(k)));
	return results;
}
