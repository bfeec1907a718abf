import { describe, expect, it } from "vitest";
import { countFault, mergeFaults } from "../../runtime/util/faults.ts";
import { mapPool } from "../../runtime/util/pool.ts";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("mapPool", () => {
	it("returns results in the items' order, not completion order", async () => {
		const delays = [30, 1, 15, 5, 0, 20];
		const out = await mapPool(
			delays,
			async (ms, i) => {
				await tick(ms);
				return `${i}:${ms}`;
			},
			{ concurrency: 3 },
		);
		expect(out).toEqual(delays.map((ms, i) => `${i}:${ms}`));
	});

	it("never has more than `concurrency` items in flight, and uses all of them", async () => {
		let inFlight = 0;
		let peak = 0;
		await mapPool(
			Array.from({ length: 12 }, (_, i) => i),
			async () => {
				peak = Math.max(peak, ++inFlight);
				await tick(3);
				inFlight--;
			},
			{ concurrency: 4 },
		);
		expect(peak).toBe(4);
	});

	it("opens one resource per lane (no more lanes than items) and closes each, also after a failure", async () => {
		const opened: number[] = [];
		const closed: number[] = [];
		const seen: Array<[number, number]> = [];
		await mapPool(
			["a", "b", "c", "d", "e"],
			async (_, i, lane: number) => {
				seen.push([i, lane]);
				await tick(1);
			},
			{
				concurrency: 8,
				openLane: (lane) => {
					opened.push(lane);
					return lane;
				},
				closeLane: (lane) => {
					closed.push(lane);
				},
			},
		);
		expect(opened.sort()).toEqual([0, 1, 2, 3, 4]);
		expect(closed.sort()).toEqual([0, 1, 2, 3, 4]);
		expect(seen.map(([i]) => i).sort()).toEqual([0, 1, 2, 3, 4]);

		const closedAfterFailure: number[] = [];
		await expect(
			mapPool(
				[1, 2, 3],
				async (x) => {
					if (x === 2) throw new Error("boom");
					await tick(5);
				},
				{
					concurrency: 2,
					openLane: (lane) => lane,
					closeLane: (lane) => {
						closedAfterFailure.push(lane);
					},
				},
			),
		).rejects.toThrow("boom");
		await tick(20);
		expect(closedAfterFailure.sort()).toEqual([0, 1]);
	});

	it("starts no item after the first failure", async () => {
		const started: number[] = [];
		await expect(
			mapPool(
				Array.from({ length: 10 }, (_, i) => i),
				async (i) => {
					started.push(i);
					await tick(i === 0 ? 1 : 10);
					if (i === 0) throw new Error("first fails");
				},
				{ concurrency: 2 },
			),
		).rejects.toThrow("first fails");
		await tick(40);
		expect(started).toEqual([0, 1]);
	});

	it("handles no items, and rejects a concurrency below 1", async () => {
		expect(await mapPool([], async () => 1, { concurrency: 2 })).toEqual([]);
		await expect(
			mapPool([1], async () => 1, { concurrency: 0 }),
		).rejects.toThrow(RangeError);
	});
});

describe("fault counts", () => {
	it("counts only positive amounts, so a present key means it happened", () => {
		const f = {};
		countFault(f, "a");
		countFault(f, "a", 2);
		countFault(f, "b", 0);
		countFault(f, "c", -1);
		countFault(f, "d", Number.NaN);
		expect(f).toEqual({ a: 3 });
	});

	it("merges several sources, skipping absent ones and non-positive counts", () => {
		const into = { a: 1 };
		const out = mergeFaults(into, { a: 2, b: 0 }, undefined, { c: 4, a: 1 });
		expect(out).toBe(into);
		expect(into).toEqual({ a: 4, c: 4 });
	});
});
