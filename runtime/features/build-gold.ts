/**
 * Gold master (docs/data-contract.md §4): one row per customer with customer_id, churn,
 * as_of_date, the 56 production features, the 8 Tier-1B strings, the business
 * margin columns and descriptive columns (province_code, region,
 * residential_subtype). Every date is measured against `asOfDate`.
 */
import * as aq from "arquero";
import { hasInteraction } from "../data/silver/interaction.ts";
import {
	isoDayNumber,
	nullable,
	readDates,
	readFlags,
	readKeys,
	readNumbers,
	readStrings,
	requireColumns,
} from "../data/silver/table-columns.ts";
import type { Table } from "../io/tables.ts";
import {
	behaviouralFeatures,
	type CustomerFacts,
	compoundFeatures,
	lifecycleFeatures,
	sentimentFeatures,
	stringFeatures,
} from "./customer-features.ts";
import {
	emptySeriesFeatures,
	seriesFeaturesByCustomer,
} from "./customer-series.ts";
import {
	BUSINESS_COLUMNS,
	PRODUCTION_FEATURES,
	TIER_1B_STRINGS,
} from "./feature-sets.ts";

const SILVER_CUSTOMER = "silver_customer";

export const SILVER_CUSTOMER_INPUT_COLUMNS = [
	"customer_id",
	"churn",
	"segment",
	"sales_channel",
	"is_high_competition_province",
	"is_second_residence",
	"customer_first_activation_date",
	"contract_start_date",
	"last_product_change_date",
	"next_renewal_date",
	"interaction_date",
	"interaction_count",
	"interaction_summary",
	"customer_intent",
	"sentiment_label",
	"province_code",
	"region",
	"residential_subtype",
] as const;

const DESCRIPTIVE_COLUMNS = [
	"province_code",
	"region",
	"residential_subtype",
] as const;

/** Column order of gold_customer. */
export const GOLD_COLUMNS: readonly string[] = [
	"customer_id",
	"churn",
	"as_of_date",
	...PRODUCTION_FEATURES,
	...TIER_1B_STRINGS,
	...BUSINESS_COLUMNS,
	...DESCRIPTIVE_COLUMNS,
];

export interface GoldOptions {
	/** ISO date "YYYY-MM-DD" every duration is measured against. */
	asOfDate: string;
}

export function buildGold(
	silverCustomer: Table,
	silverCustomerMonth: Table,
	opts: GoldOptions,
): Table {
	const asOfDay = isoDayNumber(opts.asOfDate);
	if (asOfDay === undefined)
		throw new RangeError(
			`asOfDate must be an ISO date YYYY-MM-DD, got "${opts.asOfDate}"`,
		);
	const t = silverCustomer;
	const f = SILVER_CUSTOMER;
	requireColumns(t, f, SILVER_CUSTOMER_INPUT_COLUMNS);
	const ids = readKeys(t, f, "customer_id");
	const churn = nullable(readFlags(t, f, "churn"));
	const segment = readStrings(t, f, "segment");
	const channel = readStrings(t, f, "sales_channel");
	const competition = readFlags(t, f, "is_high_competition_province");
	const secondResidence = readFlags(t, f, "is_second_residence");
	const activation = readDates(t, f, "customer_first_activation_date");
	const contractStart = readDates(t, f, "contract_start_date");
	const lastChange = readDates(t, f, "last_product_change_date");
	const renewal = readDates(t, f, "next_renewal_date");
	const interaction = readDates(t, f, "interaction_date");
	const interactionCount = readNumbers(t, f, "interaction_count");
	const summary = readStrings(t, f, "interaction_summary");
	const intent = readStrings(t, f, "customer_intent");
	const sentiment = readStrings(t, f, "sentiment_label");
	const descriptive = DESCRIPTIVE_COLUMNS.map(
		(c) => [c, readStrings(t, f, c)] as const,
	);

	const series = seriesFeaturesByCustomer(silverCustomerMonth);
	const n = ids.length;
	const columns: Record<string, unknown[]> = Object.fromEntries(
		GOLD_COLUMNS.map((c) => [c, new Array(n)]),
	);
	for (let i = 0; i < n; i++) {
		const facts: CustomerFacts = {
			segment: segment[i] ?? "Unknown",
			salesChannel: channel[i] ?? "Unknown",
			// Binary flags are never null in gold: an unknown flag is "not flagged".
			isHighCompetitionProvince: competition[i] === 1 ? 1 : 0,
			isSecondResidence: secondResidence[i] === 1 ? 1 : 0,
			firstActivationDay: activation[i],
			contractStartDay: contractStart[i],
			lastProductChangeDay: lastChange[i],
			nextRenewalDay: renewal[i],
			interactionDay: interaction[i],
			hasInteraction: hasInteraction(
				interactionCount[i],
				interaction[i],
				summary[i],
			),
			intent: intent[i],
			sentimentLabel: sentiment[i],
		};
		const s = series.get(ids[i]) ?? emptySeriesFeatures();
		const lifecycle = lifecycleFeatures(facts, asOfDay, s.is_dual_fuel);
		const behaviour = behaviouralFeatures(facts, asOfDay);
		const sentimentF = sentimentFeatures(facts, behaviour);
		const row: Record<string, unknown> = {
			customer_id: ids[i],
			churn: churn[i],
			as_of_date: opts.asOfDate,
			...lifecycle,
			...s,
			...behaviour,
			...sentimentF,
			...compoundFeatures(lifecycle, behaviour),
			...stringFeatures(lifecycle, behaviour, sentimentF),
		};
		for (const [c, values] of descriptive) row[c] = values[i];
		for (const c of GOLD_COLUMNS) columns[c][i] = row[c];
	}
	return aq.table(columns) as Table;
}
