import * as aq from "arquero";
import { describe, expect, it } from "vitest";
import { checkTable } from "../runtime/monitoring/quality.ts";

describe("checkTable", () => {
	const contract = {
		table: "t",
		key: ["id"],
		columns: [
			{ name: "id", type: "string" as const },
			{ name: "x", type: "number" as const, min: 0, maxNullRate: 0.5 },
			{ name: "flag", type: "flag" as const },
		],
	};
	it("passes a clean table", () => {
		const r = checkTable(
			contract,
			aq.table({ id: ["a", "b"], x: [1, null], flag: [0, 1] }),
		);
		expect(r.passed).toBe(true);
		expect(r.columns.find((c) => c.name === "x")?.nullRate).toBe(0.5);
	});
	it("reports duplicates, ranges, types, nulls and missing columns", () => {
		const r = checkTable(
			contract,
			aq.table({ id: ["a", "a", "c"], x: [-1, null, null], flag: [0, 2, 1] }),
		);
		const rules = r.violations.map((v) => `${v.column ?? ""}:${v.rule}`).sort();
		expect(rules).toEqual([
			":key_unique",
			"flag:type",
			"x:null_rate",
			"x:range",
		]);
		expect(r.passed).toBe(false);
		const missing = checkTable(contract, aq.table({ id: ["a"] }));
		expect(missing.violations.map((v) => v.column)).toEqual(["x", "flag"]);
	});
});
