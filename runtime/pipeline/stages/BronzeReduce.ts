/**
 * BronzeReduce: merges the shards' partial aggregates (re-aggregating the
 * customers whose hours straddle shards), builds bronze_customer and
 * bronze_customer_month and checks them against their contracts.
 */
import type { ConsumptionShard } from "../../data/bronze/consumption-shards.ts";
import {
	BASE_ACCESS,
	type BronzeOutput,
	defineStage,
	type RunState,
	type StagePlatform,
	type StageProgress,
} from "./stage.ts";

export const BronzeReduce = defineStage({
	name: "BronzeReduce",
	resultPath: "$.bronze",
	lambda: {
		access: {
			...BASE_ACCESS,
			reads: ["runs/*/staged/*", "runs/*/bronze/shards/*"],
			writes: ["runs/*/bronze/*", "runs/*/quality/*"],
		},
		sizing: {
			memoryMb: 4096,
			timeoutSeconds: 900,
			ephemeralStorageMb: 2048,
		},
	},
	task: {
		cpu: 4096,
		memoryMb: 30720,
		ephemeralStorageGiB: 50,
		timeoutSeconds: 7200,
	},
	async run(s: RunState, p: StagePlatform, progress: StageProgress) {
		const { buildBronzeCustomer } = await import(
			"../../data/bronze/bronze-customer.ts"
		);
		const { buildBronzeCustomerMonth } = await import(
			"../../data/bronze/bronze-customer-month.ts"
		);
		const {
			BRONZE_CUSTOMER_CONTRACT,
			BRONZE_CUSTOMER_MONTH_CONTRACT,
			consumptionCoverageViolations,
		} = await import("../../data/bronze/contracts.ts");
		const { mergeShardAggregates, readShardAggregate, reaggregateStraddling } =
			await import("../../data/bronze/hourly-aggregate.ts");
		const { defaultAsOfDate } = await import("../../features/dates.ts");
		const { getJson, lakeKeys } = await import("../../io/lake.ts");
		const { ObjectNotFoundError } = await import("../../io/object-store.ts");
		const { resolveTolerances } = await import("../../monitoring/quality.ts");
		const { saveTables } = await import("./lake-tables.ts");
		const {
			checkShardPins,
			materializeShard,
			readStagedRaw,
			shardKey,
			straddlingCount,
		} = await import("./raw-staging.ts");

		// The shard list, not the Map's result, says what to merge: a Distributed
		// Map writes its results to S3 instead of the state.
		const shardList = await getJson<ConsumptionShard[]>(
			p.store,
			s.raw?.shardsKey ?? lakeKeys.doc(s.runId, "staged", "shards"),
		);
		const shardIds = shardList.map((sh) => sh.id);
		const parts = await Promise.all(
			shardIds.map(async (id) => {
				try {
					return await readShardAggregate(p.store, shardKey(s.runId, id));
				} catch (e) {
					if (e instanceof ObjectNotFoundError)
						throw new Error(
							`bronze shard ${id} has no result in the lake (${e.key}); the Map did not complete it`,
						);
					throw e;
				}
			}),
		);
		const tolerances = resolveTolerances(s.quality);
		// Customers whose hours straddle shards are re-aggregated from their pieces
		// in one pass (docs/data-quality.md, "Hourly integrity"); none with customer-split parts.
		const straddling = await reaggregateStraddling(shardList, parts, {
			threads: 1,
			prepare: (sh) => materializeShard(p, sh),
		});
		// Read at the pinned versions, or not at all (docs/batch-manifest.md).
		if (straddling) for (const sh of shardList) await checkShardPins(p, sh);
		const merged = mergeShardAggregates(parts, {
			maxInvalidHourlyShare: tolerances.maxInvalidHourlyShare,
			straddling,
		});
		const raw = await readStagedRaw(p, s.runId);
		const customer = buildBronzeCustomer(raw);
		const month = buildBronzeCustomerMonth(merged.table, raw, customer.table);
		const hourly = merged.rowsRead;
		const rows = {
			consumption_hourly: hourly,
			bronze_customer: customer.table.numRows(),
			bronze_customer_month: month.table.numRows(),
		};
		const faults = {
			...merged.faults,
			...customer.faults,
			...month.faults,
		};
		// Counted before the quality gates, so a failed gate still reports them.
		Object.assign(progress, { rows, faults });
		await saveTables(p, s.runId, "bronze", [
			{
				name: "bronze_customer",
				table: customer.table,
				check: { contract: BRONZE_CUSTOMER_CONTRACT, tolerances },
			},
			{
				name: "bronze_customer_month",
				table: month.table,
				check: {
					contract: BRONZE_CUSTOMER_MONTH_CONTRACT,
					tolerances,
					extra: consumptionCoverageViolations(
						customer.table,
						month.customersWithoutConsumption,
						tolerances,
					),
				},
			},
		]);
		const asOfDate = defaultAsOfDate(merged.maxTimestamp);
		const timings = Array.isArray(s.bronzeShards) ? s.bronzeShards : [];
		const output: BronzeOutput = { rows, asOfDate };
		return {
			output,
			record: {
				rows,
				faults,
				detail: {
					asOfDate,
					shards: parts.length,
					straddlingCustomers: straddlingCount(straddling),
					missingHours: merged.missingHours,
					shardSecondsTotal: timings.reduce((a, x) => a + x.seconds, 0),
					shardSecondsMax: Math.max(0, ...timings.map((x) => x.seconds)),
				},
			},
		};
	},
});
