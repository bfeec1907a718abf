import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { calendarSql } from "../runtime/data/bronze/hourly-aggregate.ts";
import {
	isNationalHoliday,
	type TariffPeriod,
	tariffPeriod,
	tariffPeriodSql,
} from "../runtime/data/bronze/tariff.ts";

const at = (date: string, hour: number) => {
	const [year, month, day] = date.split("-").map(Number);
	return { year, month, day, hour };
};

describe("tariff periods by hand (docs/data-contract.md §2)", () => {
	it("weekday hour edges: 7/8, 9/10, 13/14, 17/18, 21/22, 23/0", () => {
		// 2024-01-02 is a Tuesday, 2024-01-03 a Wednesday; neither is a holiday.
		const expected: [number, TariffPeriod][] = [
			[7, 3],
			[8, 2],
			[9, 2],
			[10, 1],
			[13, 1],
			[14, 2],
			[17, 2],
			[18, 1],
			[21, 1],
			[22, 2],
			[23, 2],
		];
		for (const [hour, period] of expected)
			expect([hour, tariffPeriod(at("2024-01-02", hour))]).toEqual([
				hour,
				period,
			]);
		expect(tariffPeriod(at("2024-01-03", 0))).toBe(3);
	});
	it("weekends are off-peak at every hour", () => {
		for (const date of ["2024-01-13", "2024-01-14", "2024-06-29", "2024-06-30"])
			for (let hour = 0; hour < 24; hour++)
				expect(tariffPeriod(at(date, hour))).toBe(3);
	});
	it("each national holiday is off-peak, the working day after is not", () => {
		const holidays = [
			"01-01",
			"01-06",
			"05-01",
			"08-15",
			"10-12",
			"11-01",
			"12-06",
			"12-08",
			"12-25",
		];
		for (const md of holidays) {
			const [m, d] = md.split("-").map(Number);
			expect(isNationalHoliday(m, d)).toBe(true);
			for (const hour of [10, 12, 19])
				expect(tariffPeriod(at(`2024-${md}`, hour))).toBe(3);
		}
		for (const [m, d] of [
			[1, 2],
			[5, 2],
			[12, 24],
			[12, 26],
			[3, 19],
		])
			expect(isNationalHoliday(m, d)).toBe(false);
		// Weekdays right after holidays: 2024-05-02 (Thu), 2024-08-16 (Fri), 2024-12-26 (Thu).
		expect(tariffPeriod(at("2024-05-02", 12))).toBe(1);
		expect(tariffPeriod(at("2024-08-16", 9))).toBe(2);
		expect(tariffPeriod(at("2024-12-26", 20))).toBe(1);
		// A holiday on a weekday: 2024-08-15 is a Thursday, 2024-12-25 a Wednesday.
		expect(tariffPeriod(at("2024-08-15", 11))).toBe(3);
		expect(tariffPeriod(at("2024-12-25", 11))).toBe(3);
	});
});

describe("the SQL rule equals the TS rule", () => {
	it("on every hour of 2024 and 2025, and the calendar classes follow it", async () => {
		const inst = await DuckDBInstance.create(":memory:", { threads: "1" });
		const con = await inst.connect();
		const lo = Date.UTC(2024, 0, 1) / 3_600_000;
		const hi = Date.UTC(2026, 0, 1) / 3_600_000 - 1;
		await con.run(calendarSql(lo, hi));
		const t = "make_timestamp(h * 3600000000)";
		const res = await con.runAndReadAll(
			`SELECT h::DOUBLE AS h, (${tariffPeriodSql(t)})::INTEGER AS p, k FROM calendar ORDER BY h`,
		);
		const { h, p, k } = res.getColumnsObjectJS() as {
			h: number[];
			p: number[];
			k: number[];
		};
		con.closeSync();
		inst.closeSync();
		expect(h).toHaveLength(hi - lo + 1);
		let holidayHours = 0;
		for (let i = 0; i < h.length; i++) {
			const d = new Date(h[i] * 3_600_000);
			const parts = {
				year: d.getUTCFullYear(),
				month: d.getUTCMonth() + 1,
				day: d.getUTCDate(),
				hour: d.getUTCHours(),
			};
			const period = tariffPeriod(parts);
			if (p[i] !== period)
				expect({ ...parts, sql: p[i] }).toEqual({ ...parts, sql: period });
			const holiday = isNationalHoliday(parts.month, parts.day);
			if (holiday) holidayHours++;
			expect(k[i] % 4).toBe(holiday ? 3 : period - 1);
			expect(Math.floor(k[i] / 4)).toBe(parts.year * 12 + parts.month - 1);
		}
		expect(holidayHours).toBe(2 * 9 * 24);
	});
});
