/**
 * Typed, validated column readers for the post-bronze layers. Missing numbers
 * become NaN in a Float64Array (fast loops, one "absent" value); a value of the
 * wrong kind is a RawContractError naming table, 1-based row and column.
 */
import { RawContractError } from "../../errors.ts";
import { columnValues, type Table } from "../../io/tables.ts";

const MS_PER_DAY = 86_400_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH_RE = /^\d{4}-(0[1-9]|1[0-2])$/;

export function requireColumns(
	table: Table,
	file: string,
	names: readonly string[],
): void {
	const present = new Set(table.columnNames());
	for (const name of names) {
		if (!present.has(name))
			throw new RawContractError(
				{ file, column: name },
				"missing required column",
			);
	}
}

const values = columnValues;

function bad(
	file: string,
	i: number,
	column: string,
	expected: string,
	v: unknown,
): RawContractError {
	return new RawContractError(
		{ file, row: i + 1, column },
		`expected ${expected}, got ${JSON.stringify(String(v))}`,
	);
}

/** Numbers; null/undefined/NaN → NaN. Bigints (Parquet int64) and booleans are converted. */
export function readNumbers(
	table: Table,
	file: string,
	name: string,
): Float64Array {
	const src = values(table, name);
	const out = new Float64Array(src.length);
	for (let i = 0; i < src.length; i++) {
		const v = src[i];
		if (v === null || v === undefined) out[i] = Number.NaN;
		else if (typeof v === "number") {
			if (v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY)
				throw bad(file, i, name, "a finite number", v);
			out[i] = v;
		} else if (typeof v === "bigint") out[i] = Number(v);
		else if (typeof v === "boolean") out[i] = v ? 1 : 0;
		else throw bad(file, i, name, "a number", v);
	}
	return out;
}

/** 0/1 flags; null stays NaN. */
export function readFlags(
	table: Table,
	file: string,
	name: string,
): Float64Array {
	const out = readNumbers(table, file, name);
	for (let i = 0; i < out.length; i++) {
		const v = out[i];
		if (!Number.isNaN(v) && v !== 0 && v !== 1)
			throw bad(file, i, name, "a 0/1 flag", v);
	}
	return out;
}

/** Strings; numbers are stringified (ids read back from CSV/Parquet), null/undefined → null. */
export function readStrings(
	table: Table,
	file: string,
	name: string,
): (string | null)[] {
	const src = values(table, name);
	const out: (string | null)[] = new Array(src.length);
	for (let i = 0; i < src.length; i++) {
		const v = src[i];
		if (v === null || v === undefined) out[i] = null;
		else if (typeof v === "string") out[i] = v;
		else if (typeof v === "number" || typeof v === "bigint") out[i] = String(v);
		else throw bad(file, i, name, "a string", v);
	}
	return out;
}

/** Non-empty string keys (e.g. customer_id): a missing key is a contract error. */
export function readKeys(table: Table, file: string, name: string): string[] {
	const raw = readStrings(table, file, name);
	return raw.map((v, i) => {
		const k = v?.trim();
		if (!k) throw bad(file, i, name, "a non-empty key", v);
		return k;
	});
}

/** Day number (days since 1970-01-01, UTC) of an ISO "YYYY-MM-DD" date, or undefined if it is not a real date. */
export function isoDayNumber(iso: string): number | undefined {
	const m = DATE_RE.exec(iso);
	if (!m) return undefined;
	const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
	const ms = Date.UTC(y, mo - 1, d);
	const back = new Date(ms);
	if (
		back.getUTCFullYear() !== y ||
		back.getUTCMonth() !== mo - 1 ||
		back.getUTCDate() !== d
	)
		return undefined;
	return ms / MS_PER_DAY;
}

/** ISO dates as day numbers; null → NaN. Date objects (Arrow date columns) are accepted. */
export function readDates(
	table: Table,
	file: string,
	name: string,
): Float64Array {
	const src = values(table, name);
	const out = new Float64Array(src.length);
	for (let i = 0; i < src.length; i++) {
		const v = src[i];
		if (v === null || v === undefined || v === "") out[i] = Number.NaN;
		else if (v instanceof Date) out[i] = Math.floor(v.getTime() / MS_PER_DAY);
		else if (typeof v === "string") {
			const day = isoDayNumber(v.trim());
			if (day === undefined)
				throw bad(file, i, name, "an ISO date YYYY-MM-DD", v);
			out[i] = day;
		} else throw bad(file, i, name, "an ISO date YYYY-MM-DD", v);
	}
	return out;
}

/** "YYYY-MM" months; every row must have one. */
export function readMonths(table: Table, file: string, name: string): string[] {
	const raw = readStrings(table, file, name);
	return raw.map((v, i) => {
		if (v === null || !MONTH_RE.test(v))
			throw bad(file, i, name, "a month YYYY-MM", v);
		return v;
	});
}

/** NaN → null, for output columns that must carry real nulls (Parquet, quality checks). */
export function nullable(values: ArrayLike<number>): (number | null)[] {
	const out: (number | null)[] = new Array(values.length);
	for (let i = 0; i < values.length; i++)
		out[i] = Number.isNaN(values[i]) ? null : values[i];
	return out;
}

/** Row order sorted by customer id, then month (string order is chronological for YYYY-MM). */
export function customerMonthOrder(
	customerIds: readonly string[],
	months: readonly string[],
): Uint32Array {
	const order = Uint32Array.from({ length: customerIds.length }, (_, i) => i);
	order.sort((a, b) => {
		const ca = customerIds[a];
		const cb = customerIds[b];
		if (ca !== cb) return ca < cb ? -1 : 1;
		return months[a] < months[b] ? -1 : months[a] > months[b] ? 1 : 0;
	});
	return order;
}
