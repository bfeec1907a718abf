/**
 * The 2024 hourly calendar (8,784 local wall-clock hours, no DST gaps) and
 * the load shapes by segment: hour-of-day × working/non-working day, with the
 * Spanish 3-period tariff split of docs/data-contract.md §2 used to know, per month, which
 * share of a customer's kWh falls in each price tier.
 */

export const YEAR = 2024;
export const HOURS_IN_YEAR = 8784;
export const MONTHS = 12;
/** Features are measured at the day after the last consumption timestamp. */
export const AS_OF = new Date(Date.UTC(2025, 0, 1));
export const DAY_MS = 86_400_000;

export type Segment = "Residential" | "SME" | "Corporate";
export const SEGMENTS: readonly Segment[] = ["Residential", "SME", "Corporate"];

const HOLIDAYS = new Set([
	"01-01",
	"01-06",
	"05-01",
	"08-15",
	"10-12",
	"11-01",
	"12-06",
	"12-08",
	"12-25",
]);

export type TierPeriod = 0 | 1 | 2; // peak, standard, off-peak

export interface HourInfo {
	h: number;
	month: number; // 1..12
	hourOfDay: number;
	workingDay: boolean; // weekday and not a national holiday
	period: TierPeriod;
}

export function tierPeriod(hourOfDay: number, workingDay: boolean): TierPeriod {
	if (!workingDay) return 2;
	if (
		(hourOfDay >= 10 && hourOfDay < 14) ||
		(hourOfDay >= 18 && hourOfDay < 22)
	)
		return 0;
	if (
		(hourOfDay >= 8 && hourOfDay < 10) ||
		(hourOfDay >= 14 && hourOfDay < 18) ||
		hourOfDay >= 22
	)
		return 1;
	return 2;
}

export const HOURS: readonly HourInfo[] = Array.from(
	{ length: HOURS_IN_YEAR },
	(_, h) => {
		const d = new Date(Date.UTC(YEAR, 0, 1) + h * 3_600_000);
		const md = `${String(d.getUTCMonth() + 1).padStart(2, "0")}-${String(d.getUTCDate()).padStart(2, "0")}`;
		const dow = d.getUTCDay();
		const workingDay = dow !== 0 && dow !== 6 && !HOLIDAYS.has(md);
		const hourOfDay = d.getUTCHours();
		return {
			h,
			month: d.getUTCMonth() + 1,
			hourOfDay,
			workingDay,
			period: tierPeriod(hourOfDay, workingDay),
		};
	},
);

export const HOURS_IN_MONTH: readonly number[] = Array.from(
	{ length: MONTHS },
	(_, m) => HOURS.filter((x) => x.month === m + 1).length,
);

/** Raw hour-of-day load shape; scaled per month below so monthly totals hold. */
function rawShape(
	kind: Segment | "Gas",
	hour: number,
	working: boolean,
): number {
	switch (kind) {
		case "Residential":
			if (hour < 7) return 0.45;
			if (hour < 9) return working ? 1.1 : 0.8;
			if (hour < 18) return working ? 0.75 : 1.05;
			if (hour < 23) return 1.75;
			return 0.9;
		case "SME":
			if (!working) return 0.45;
			if (hour < 8 || hour >= 20) return 0.4;
			return hour >= 14 && hour < 16 ? 1.5 : 1.9;
		case "Corporate":
			if (!working) return 0.7;
			if (hour < 7 || hour >= 21) return 0.6;
			return 1.6;
		case "Gas":
			if (hour < 6) return 0.4;
			if (hour < 10) return 1.7;
			if (hour < 18) return 0.8;
			if (hour < 23) return 1.5;
			return 0.6;
	}
}

/** The raw shape as 48 values: hours 0–23 of a working day, then of a non-working day. */
export function shapeTable(kind: Segment | "Gas"): number[] {
	return [true, false].flatMap((working) =>
		Array.from({ length: 24 }, (_, hour) => rawShape(kind, hour, working)),
	);
}

/** Mean of the raw shape over each month's hours (12 values). */
export function monthlyShapeMean(kind: Segment | "Gas"): number[] {
	const sums = new Array<number>(MONTHS).fill(0);
	for (const x of HOURS)
		sums[x.month - 1] += rawShape(kind, x.hourOfDay, x.workingDay);
	return sums.map((s, m) => s / HOURS_IN_MONTH[m]);
}

/**
 * Hourly factor per kind: the raw shape divided by its mean over the hour's
 * month, so mean-hourly × factor sums exactly to the month's total.
 */
export function hourFactors(kind: Segment | "Gas"): Float64Array {
	const mean = monthlyShapeMean(kind);
	return Float64Array.from(
		HOURS,
		(x) => rawShape(kind, x.hourOfDay, x.workingDay) / mean[x.month - 1],
	);
}

/** Day-of-year indexes (0 = 1 January 2024) of the national holidays. */
export const HOLIDAY_DAY_INDEXES: readonly number[] = [
	...new Set(HOURS.filter((x) => x.hourOfDay === 0).map((x) => x.h / 24)),
].filter((d) => {
	const x = HOURS[d * 24];
	const dow = (d + 1) % 7; // 2024-01-01 was a Monday (getUTCDay 1)
	return !x.workingDay && dow !== 0 && dow !== 6;
});

/** share[month-1][period]: fraction of the month's kWh in each tariff period. */
export function tierShares(kind: Segment): number[][] {
	const f = hourFactors(kind);
	const out = Array.from({ length: MONTHS }, () => [0, 0, 0]);
	HOURS.forEach((x, i) => {
		out[x.month - 1][x.period] += f[i] / HOURS_IN_MONTH[x.month - 1];
	});
	return out;
}

export function isoDate(d: Date): string {
	return d.toISOString().slice(0, 10);
}

export function daysFromAsOf(days: number): Date {
	return new Date(AS_OF.getTime() + Math.round(days) * DAY_MS);
}
