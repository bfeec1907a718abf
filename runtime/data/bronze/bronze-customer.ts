/**
 * bronze_customer (docs/data-contract.md §2): one row per customer of churn_label, joined
 * with attributes, contracts and the latest interaction. The reference system
 * kept the *first* interaction; we keep the latest by date (ties: the last
 * record in file order) and count the others.
 */
import * as aq from "arquero";
import { RawContractError } from "../../errors.ts";
import { columnValues, type Table } from "../../io/tables.ts";
import { countFault, type FaultCounts } from "../../util/faults.ts";
import type { RawBatch } from "../raw/load-batch.ts";

export const ATTRIBUTE_COLUMNS = [
	"contracted_power_kw",
	"is_industrial",
	"is_second_residence",
	"province_code",
	"region",
	"is_high_competition_province",
	"is_urban",
	"sales_channel",
] as const;
export const CONTRACT_COLUMNS = [
	"customer_first_activation_date",
	"contract_start_date",
	"last_product_change_date",
	"next_renewal_date",
] as const;
export const BRONZE_CUSTOMER_COLUMNS = [
	"customer_id",
	"churn",
	...ATTRIBUTE_COLUMNS,
	...CONTRACT_COLUMNS,
	"interaction_date",
	"interaction_channel",
	"interaction_summary",
	"interaction_count",
] as const;

/** Row index of the first row per customer_id; later duplicates are counted under `dupKey`. */
function firstRowById(
	table: Table,
	faults: FaultCounts,
	dupKey: string,
): Map<string, number> {
	const ids = columnValues(table, "customer_id") as ArrayLike<string>;
	const index = new Map<string, number>();
	for (let i = 0; i < ids.length; i++) {
		if (index.has(ids[i])) countFault(faults, dupKey);
		else index.set(ids[i], i);
	}
	return index;
}

/** Latest interaction row per customer (date, then file order: a later record wins ties) and the count. */
export function latestInteractionById(
	interactions: Table,
): Map<string, { row: number; count: number }> {
	const ids = columnValues(interactions, "customer_id") as ArrayLike<string>;
	const dates = columnValues(interactions, "date") as ArrayLike<string>;
	const latest = new Map<string, { row: number; count: number }>();
	for (let i = 0; i < ids.length; i++) {
		const cur = latest.get(ids[i]);
		if (cur === undefined) latest.set(ids[i], { row: i, count: 1 });
		else {
			cur.count++;
			// ISO dates compare as strings; ">=" lets the later record win a tie.
			if (dates[i] >= dates[cur.row]) cur.row = i;
		}
	}
	return latest;
}

export function buildBronzeCustomer(raw: RawBatch): {
	table: Table;
	faults: FaultCounts;
} {
	const faults: FaultCounts = {};
	const ids = columnValues(raw.churnLabel, "customer_id") as ArrayLike<string>;
	const churn = columnValues(raw.churnLabel, "churn") as ArrayLike<number>;
	const known = new Set<string>();
	for (let i = 0; i < ids.length; i++) {
		// The loader already rejects this; kept so a hand-built RawBatch cannot slip through.
		if (known.has(ids[i]))
			throw new RawContractError(
				{ file: "churn_label", row: i + 1, column: "customer_id" },
				`duplicate customer_id "${ids[i]}"`,
			);
		known.add(ids[i]);
	}

	const attrRow = firstRowById(
		raw.attributes,
		faults,
		"attribute_rows_duplicate_dropped",
	);
	const contractRow = firstRowById(
		raw.contracts,
		faults,
		"contract_rows_duplicate_dropped",
	);
	const latest = latestInteractionById(raw.interactions);
	for (const [table, key] of [
		[attrRow, "attribute_rows_unknown_customer"],
		[contractRow, "contract_rows_unknown_customer"],
	] as const)
		for (const id of table.keys()) if (!known.has(id)) countFault(faults, key);
	for (const [id, { count }] of latest) {
		if (known.has(id))
			countFault(faults, "interaction_rows_dropped_not_latest", count - 1);
		else countFault(faults, "interaction_rows_unknown_customer", count);
	}

	const out: Record<string, unknown[]> = Object.fromEntries(
		BRONZE_CUSTOMER_COLUMNS.map((c) => [c, []]),
	);
	// Fetch each column once: arquero's columnValues(table, ) may copy the column.
	const columnsOf = (table: Table, names: readonly string[]) =>
		names.map(
			(n) => [n, columnValues(table, n) as ArrayLike<unknown>] as const,
		);
	const attrCols = columnsOf(raw.attributes, ATTRIBUTE_COLUMNS);
	const contractCols = columnsOf(raw.contracts, CONTRACT_COLUMNS);
	const interactionCols = (
		[
			["interaction_date", "date"],
			["interaction_channel", "channel"],
			["interaction_summary", "interaction_summary"],
		] as const
	).map(
		([out, src]) =>
			[out, columnValues(raw.interactions, src) as ArrayLike<unknown>] as const,
	);
	const at = (arr: ArrayLike<unknown>, row: number | undefined) =>
		row === undefined ? null : (arr[row] ?? null);
	for (let i = 0; i < ids.length; i++) {
		const id = ids[i];
		out.customer_id.push(id);
		out.churn.push(churn[i]);
		const a = attrRow.get(id);
		const c = contractRow.get(id);
		if (a === undefined) countFault(faults, "customers_without_attributes");
		if (c === undefined) countFault(faults, "customers_without_contract");
		for (const [col, arr] of attrCols) out[col].push(at(arr, a));
		for (const [col, arr] of contractCols) out[col].push(at(arr, c));
		const l = latest.get(id);
		for (const [col, arr] of interactionCols) out[col].push(at(arr, l?.row));
		out.interaction_count.push(l?.count ?? 0);
	}
	return { table: aq.table(out), faults };
}
