/**
 * `churn_drivers`: observed churn of the run's labelled customers by one
 * business dimension at a time, each level with its count and a 95 % Wilson
 * interval (wilson.ts). Only customers whose label is known count; a run
 * without labels yields no rows (the page says so).
 *
 * Level order: a bucket follows its underlying value (the lowest
 * months_to_renewal / tenure_months seen in it), a flag is no → yes, any other
 * dimension is by customers, largest first.
 */
import type { ReportRow } from "../contract.ts";
import { wilsonInterval } from "./wilson.ts";

type CustomerRow = ReportRow<"customers">;

interface Dimension {
	column: keyof CustomerRow;
	label: string;
	/** The numeric column a bucket is cut from. */
	valueColumn?: keyof CustomerRow;
	/** Names of a 0/1 flag's levels. */
	flagLevels?: readonly [string, string];
}

/** The dimensions shown, in the page's order. */
export const CHURN_DIMENSIONS: readonly Dimension[] = [
	{ column: "segment", label: "Segment" },
	{
		column: "renewal_bucket",
		label: "Months to contract renewal",
		valueColumn: "months_to_renewal",
	},
	{
		column: "tenure_bucket",
		label: "Tenure",
		valueColumn: "tenure_months",
	},
	{ column: "sentiment_label", label: "Sentiment of the last interaction" },
	{ column: "customer_intent", label: "Intent of the last interaction" },
	{ column: "sales_channel", label: "Sales channel" },
	{
		column: "is_high_competition_province",
		label: "Competition in the province",
		flagLevels: ["normal competition", "high competition"],
	},
	{
		column: "is_dual_fuel",
		label: "Dual fuel",
		flagLevels: ["single fuel", "dual fuel"],
	},
];

const UNKNOWN = "(unknown)";

function levelOf(c: CustomerRow, d: Dimension): string {
	const v = c[d.column];
	if (v === null || v === undefined) return UNKNOWN;
	if (d.flagLevels) return v === 1 ? d.flagLevels[1] : d.flagLevels[0];
	return String(v);
}

interface Acc {
	customers: number;
	churners: number;
	min: number | null;
	max: number | null;
}

export function churnDriverRows(
	customers: readonly CustomerRow[],
): ReportRow<"churn_drivers">[] {
	const labelled = customers.filter((c) => c.churn === 0 || c.churn === 1);
	const out: ReportRow<"churn_drivers">[] = [];
	for (const [di, d] of CHURN_DIMENSIONS.entries()) {
		const acc = new Map<string, Acc>();
		for (const c of labelled) {
			const level = levelOf(c, d);
			const a = acc.get(level) ?? {
				customers: 0,
				churners: 0,
				min: null,
				max: null,
			};
			a.customers++;
			a.churners += c.churn as number;
			const v = d.valueColumn ? c[d.valueColumn] : null;
			if (typeof v === "number") {
				a.min = a.min === null ? v : Math.min(a.min, v);
				a.max = a.max === null ? v : Math.max(a.max, v);
			}
			acc.set(level, a);
		}
		const levels = [...acc.entries()].sort(([ka, a], [kb, b]) => {
			if (ka === UNKNOWN || kb === UNKNOWN) return ka === UNKNOWN ? 1 : -1;
			if (d.flagLevels)
				return d.flagLevels.indexOf(ka) - d.flagLevels.indexOf(kb);
			if (d.valueColumn) return (a.min ?? 0) - (b.min ?? 0);
			return b.customers - a.customers || (ka < kb ? -1 : 1);
		});
		for (const [li, [level, a]] of levels.entries()) {
			const ci = wilsonInterval(a.churners, a.customers);
			out.push({
				dimension: String(d.column),
				dimension_label: d.label,
				dimension_order: di + 1,
				level,
				level_order: li + 1,
				customers: a.customers,
				churners: a.churners,
				churn_rate: a.churners / a.customers,
				ci_low: ci.low,
				ci_high: ci.high,
				value_min: a.min,
				value_max: a.max,
			});
		}
	}
	return out;
}
