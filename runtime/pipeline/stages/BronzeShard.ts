/**
 * BronzeShard: one iteration of the BronzeShards Map — aggregates one shard
 * of hourly consumption to customer-months (DuckDB) and writes the partial
 * aggregate to the lake for BronzeReduce.
 */
import {
	BASE_ACCESS,
	defineStage,
	type ShardInput,
	type ShardOutput,
	type StagePlatform,
} from "./stage.ts";

export const BronzeShard = defineStage({
	name: "BronzeShard",
	resultPath: "$.bronzeShards",
	flow: "map",
	mapState: "BronzeShards",
	lambda: {
		access: {
			...BASE_ACCESS,
			// Its shard (the consumption parts to aggregate) arrives in the event.
			reads: ["raw/*"],
			// The lake keeps versions: the pinned raw files are read by VersionId.
			pinnedReads: ["raw/*"],
			writes: ["runs/*/bronze/shards/*"],
		},
		sizing: {
			memoryMb: 2048,
			timeoutSeconds: 900,
			ephemeralStorageMb: 10240,
		},
	},
	async run(s: ShardInput, p: StagePlatform) {
		const { aggregateConsumptionShard, writeShardAggregate } = await import(
			"../../data/bronze/hourly-aggregate.ts"
		);
		const { checkShardPins, materializeShard, shardKey } = await import(
			"./raw-staging.ts"
		);
		const t0 = performance.now();
		// DuckDB reads files: the pieces' own files locally, downloads to scratch in Lambda,
		// at the versions ValidateRaw pinned.
		const agg = await aggregateConsumptionShard(
			await materializeShard(p, s.shard),
			{ threads: 1 },
		);
		await checkShardPins(p, s.shard);
		const key = shardKey(s.runId, s.shard.id);
		await writeShardAggregate(p.store, key, agg);
		const seconds = (performance.now() - t0) / 1000;
		const output: ShardOutput = {
			index: s.index,
			seconds,
			key,
			rowsRead: agg.rowsRead,
			customerMonths: agg.table.numRows(),
		};
		return { output };
	},
});
