/**
 * The Spanish 3-period electricity tariff split (docs/data-contract.md §2), as a TS
 * function for small data and tests, and as the SQL expression the hourly
 * aggregation runs in DuckDB. The two are tested against each other.
 */

export type TariffPeriod = 1 | 2 | 3;
export const PEAK: TariffPeriod = 1;
export const STANDARD: TariffPeriod = 2;
export const OFF_PEAK: TariffPeriod = 3;

/** National holidays as month * 100 + day (01-01, 01-06, 05-01, 08-15, 10-12, 11-01, 12-06, 12-08, 12-25). */
export const NATIONAL_HOLIDAYS_MMDD: readonly number[] = [
	101, 106, 501, 815, 1012, 1101, 1206, 1208, 1225,
];
const HOLIDAYS = new Set(NATIONAL_HOLIDAYS_MMDD);

/** Hours (start of the hour, local wall-clock) of each weekday period. */
export const PEAK_HOURS: readonly number[] = [10, 11, 12, 13, 18, 19, 20, 21];
export const STANDARD_HOURS: readonly number[] = [8, 9, 14, 15, 16, 17, 22, 23];

export function isNationalHoliday(month: number, day: number): boolean {
	return HOLIDAYS.has(month * 100 + day);
}

export interface WallClockHour {
	year: number;
	/** 1..12 */
	month: number;
	/** 1..31 */
	day: number;
	/** 0..23 */
	hour: number;
}

/** Day of week of a calendar date, ISO numbering (Monday 1 … Sunday 7). */
export function isoDayOfWeek(year: number, month: number, day: number): number {
	const dow = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
	return dow === 0 ? 7 : dow;
}

export function tariffPeriod(t: WallClockHour): TariffPeriod {
	if (
		isoDayOfWeek(t.year, t.month, t.day) >= 6 ||
		isNationalHoliday(t.month, t.day)
	)
		return OFF_PEAK;
	if (PEAK_HOURS.includes(t.hour)) return PEAK;
	if (STANDARD_HOURS.includes(t.hour)) return STANDARD;
	return OFF_PEAK;
}

/** SQL boolean: the TIMESTAMP expression `ts` falls on a national holiday. */
export function holidaySql(ts: string): string {
	return `(month(${ts}) * 100 + day(${ts})) IN (${NATIONAL_HOLIDAYS_MMDD.join(", ")})`;
}

/** SQL integer 1/2/3: the tariff period of the TIMESTAMP expression `ts` (same rule as `tariffPeriod`). */
export function tariffPeriodSql(ts: string): string {
	return `CASE WHEN isodow(${ts}) >= 6 OR ${holidaySql(ts)} THEN ${OFF_PEAK}
	WHEN hour(${ts}) IN (${PEAK_HOURS.join(", ")}) THEN ${PEAK}
	WHEN hour(${ts}) IN (${STANDARD_HOURS.join(", ")}) THEN ${STANDARD}
	ELSE ${OFF_PEAK} END`;
}
