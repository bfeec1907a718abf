/**
 * Time measures of the gold layer (docs/data-contract.md §4). Everything is measured
 * against an explicit as-of date passed in by the caller, never the clock.
 */

export const DAYS_PER_MONTH = 30.44;

export type RenewalBucket = "expired" | "0-3m" | "3-6m" | "6-12m" | "12m+";
export type TenureBucket = "0-6m" | "6-12m" | "1-2y" | "2-5y" | "5y+";

/** Months between two day numbers (b − a); NaN when either is missing. */
export function monthsBetween(fromDay: number, toDay: number): number {
	return (toDay - fromDay) / DAYS_PER_MONTH;
}

/** Round half away from zero to `decimals` places (no ties occur for days / 30.44 at 0 or 1 decimal). */
export function roundTo(x: number, decimals: number): number {
	const f = 10 ** decimals;
	return (Math.sign(x) * Math.round(Math.abs(x) * f)) / f;
}

/** ≤0 expired, (0,3] 0-3m, (3,6] 3-6m, (6,12] 6-12m, >12 12m+; null when unknown. */
export function renewalBucket(months: number | null): RenewalBucket | null {
	if (months === null || Number.isNaN(months)) return null;
	if (months <= 0) return "expired";
	if (months <= 3) return "0-3m";
	if (months <= 6) return "3-6m";
	if (months <= 12) return "6-12m";
	return "12m+";
}

/**
 * (0,6] 0-6m, (6,12] 6-12m, (12,24] 1-2y, (24,60] 2-5y, >60 5y+. Decision: a
 * tenure ≤ 0 (activated on or after the as-of date) is the newest bucket, 0-6m.
 */
export function tenureBucket(months: number | null): TenureBucket | null {
	if (months === null || Number.isNaN(months)) return null;
	if (months <= 6) return "0-6m";
	if (months <= 12) return "6-12m";
	if (months <= 24) return "1-2y";
	if (months <= 60) return "2-5y";
	return "5y+";
}

/**
 * Default as-of date (docs/data-contract.md §4): the day after the last consumption
 * timestamp, e.g. "2024-12-31T23:00:00" → "2025-01-01". The timestamp is
 * local wall-clock time, so only its date part is used.
 */
export function defaultAsOfDate(lastConsumptionTimestamp: string): string {
	const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(lastConsumptionTimestamp);
	if (!m)
		throw new RangeError(
			`expected a timestamp starting YYYY-MM-DD, got "${lastConsumptionTimestamp}"`,
		);
	const next = new Date(
		Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + 1),
	);
	return next.toISOString().slice(0, 10);
}
