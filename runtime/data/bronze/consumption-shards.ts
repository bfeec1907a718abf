/**
 * Splitting the hourly consumption into shards that can be aggregated
 * independently (Map iterations / Lambdas) and merged. A shard is plain JSON.
 *
 * - folder of Parquet parts: contiguous groups of whole parts, balanced by rows;
 * - single Parquet file: contiguous row-group ranges (DuckDB reads only those
 *   row groups, via its `file_row_number` filter);
 * - single CSV file: ValidateRaw converts it once into Parquet parts by hash of
 *   the trimmed customer id (stage-csv.ts), one shard per bucket
 *   (`stagedCsvShards`); without staging, shards take a hash partition of
 *   customer_id (each shard scans the whole file but aggregates only its
 *   customers).
 * Whatever the split, a customer-month may appear in several shards; the merge
 * re-aggregates, so any split gives the single-pass result.
 */
import type {
	ConsumptionFormat,
	ConsumptionSource,
} from "../raw/consumption-source.ts";

export interface ConsumptionPiece {
	path: string;
	/** The raw file's version ValidateRaw pinned (runtime/pipeline/stages/raw-pinning.ts); read exactly it. */
	version?: string;
	/** Parquet row range [rowStart, rowEnd) within the file; whole file when absent. */
	rowStart?: number;
	rowEnd?: number;
}

export interface ConsumptionShard {
	id: string;
	/** staged-csv: Parquet parts converted once from a CSV (typed by the CSV rule, raw text kept for bad rows; stage-csv.ts). */
	format: ConsumptionFormat | "staged-csv";
	pieces: ConsumptionPiece[];
	/** Keep only customers with hash(trim(customer_id)) % modulo = remainder (CSV shards). */
	hash?: { modulo: number; remainder: number };
	/** Keep only these (trimmed) customers: the re-aggregation of customers straddling shards. */
	customers?: string[];
}

const shardId = (i: number, n: number) =>
	`shard-${String(i + 1).padStart(3, "0")}-of-${String(n).padStart(3, "0")}`;

export function planConsumptionShards(
	source: ConsumptionSource,
	count: number,
): ConsumptionShard[] {
	if (!Number.isInteger(count) || count < 1)
		throw new RangeError(
			`shard count must be a positive integer, got ${count}`,
		);
	if (source.format === "csv") {
		const path = source.files[0].path;
		if (count === 1)
			return [{ id: shardId(0, 1), format: "csv", pieces: [{ path }] }];
		return Array.from({ length: count }, (_, r) => ({
			id: shardId(r, count),
			format: "csv" as const,
			pieces: [{ path }],
			hash: { modulo: count, remainder: r },
		}));
	}
	if (source.layout === "parts" && source.files.length >= count)
		return groupWholeFiles(source, count);
	return splitRowGroups(source, count);
}

/** Shards over staged CSV parts (lake keys or paths): one per bucket, customer-disjoint. */
export function stagedCsvShards(
	parts: readonly { bucket: number; path: string }[],
): ConsumptionShard[] {
	const buckets = [...new Set(parts.map((p) => p.bucket))].sort(
		(a, b) => a - b,
	);
	return buckets.map((b, i) => ({
		id: shardId(i, buckets.length),
		format: "staged-csv" as const,
		pieces: parts.filter((p) => p.bucket === b).map((p) => ({ path: p.path })),
	}));
}

/**
 * Cut a sequence into n contiguous, non-empty runs of roughly equal weight:
 * each item goes to the run its weight midpoint falls in, kept contiguous and
 * leaving enough items for the runs still to fill.
 */
export function balancedRuns<T>(
	items: readonly T[],
	weight: (item: T) => number,
	n: number,
): T[][] {
	const runs: T[][] = Array.from(
		{ length: Math.min(n, items.length) },
		() => [],
	);
	const total = items.reduce((a, x) => a + weight(x), 0) || 1;
	let cumulative = 0;
	let last = -1;
	items.forEach((item, i) => {
		const w = weight(item);
		const target = Math.floor(((cumulative + w / 2) / total) * runs.length);
		const r = Math.min(
			last + 1,
			Math.max(target, last, runs.length - (items.length - i)),
		);
		runs[r].push(item);
		last = r;
		cumulative += w;
	});
	return runs;
}

function groupWholeFiles(
	source: ConsumptionSource,
	count: number,
): ConsumptionShard[] {
	const runs = balancedRuns(source.files, (f) => f.rows ?? 1, count);
	return runs.map((files, i) => ({
		id: shardId(i, runs.length),
		format: "parquet" as const,
		pieces: files.map((f) => ({ path: f.path })),
	}));
}

/** Split the sequence of all row groups (across files) into `count` contiguous runs balanced by rows. */
function splitRowGroups(
	source: ConsumptionSource,
	count: number,
): ConsumptionShard[] {
	interface Group {
		path: string;
		start: number;
		end: number;
	}
	const all: Group[] = [];
	for (const f of source.files) {
		let start = 0;
		for (const n of f.rowGroups ?? []) {
			all.push({ path: f.path, start, end: start + n });
			start += n;
		}
	}
	const runs = balancedRuns(all, (g) => g.end - g.start, count);
	const fileRows = new Map(source.files.map((f) => [f.path, f.rows]));
	return runs.map((run, i, arr) => {
		// Merge adjacent row groups of the same file into one piece.
		const pieces: ConsumptionPiece[] = [];
		for (const g of run) {
			const last = pieces.at(-1);
			if (last && last.path === g.path && last.rowEnd === g.start)
				last.rowEnd = g.end;
			else pieces.push({ path: g.path, rowStart: g.start, rowEnd: g.end });
		}
		for (const p of pieces)
			if (p.rowStart === 0 && p.rowEnd === fileRows.get(p.path)) {
				delete p.rowStart;
				delete p.rowEnd;
			}
		return { id: shardId(i, arr.length), format: "parquet" as const, pieces };
	});
}
