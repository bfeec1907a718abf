/**
 * Latest-interaction enrichment (docs/data-contract.md §5): intent and sentiment of the
 * summary of each customer's latest interaction. The NLP itself lives in
 * runtime/data/nlp; this module only decides who has an interaction and
 * scores every summary in one batch call.
 */
import { classifyIntent, type Intent } from "../nlp/intent.ts";
import type { SentimentLabel, SentimentScorer } from "../nlp/sentiment.ts";

/**
 * One rule for "has an interaction", shared by silver and gold: a counted
 * interaction, a dated one, or any recorded text.
 */
export function hasInteraction(
	count: number,
	dayNumber: number,
	summary: string | null,
): boolean {
	return (
		count > 0 ||
		!Number.isNaN(dayNumber) ||
		(summary !== null && summary.trim() !== "")
	);
}

export interface InteractionEnrichment {
	intent: (Intent | null)[];
	sentimentLabel: (SentimentLabel | null)[];
	sentimentNegative: (number | null)[];
	sentimentNeutral: (number | null)[];
	sentimentPositive: (number | null)[];
	/** Customers with an interaction but no text: intent "Other / Unclassified", sentiment null. */
	interactionsWithoutSummary: number;
}

export async function enrichInteractions(
	counts: Float64Array,
	days: Float64Array,
	summaries: readonly (string | null)[],
	scorer: SentimentScorer,
): Promise<InteractionEnrichment> {
	const n = summaries.length;
	const out: InteractionEnrichment = {
		intent: new Array(n).fill(null),
		sentimentLabel: new Array(n).fill(null),
		sentimentNegative: new Array(n).fill(null),
		sentimentNeutral: new Array(n).fill(null),
		sentimentPositive: new Array(n).fill(null),
		interactionsWithoutSummary: 0,
	};
	const scoredRows: number[] = [];
	const texts: string[] = [];
	for (let i = 0; i < n; i++) {
		if (!hasInteraction(counts[i], days[i], summaries[i])) continue;
		const text = summaries[i]?.trim() ?? "";
		// An interaction whose note is empty still happened; it just cannot be read.
		out.intent[i] = classifyIntent(text) ?? "Other / Unclassified";
		if (text === "") {
			out.interactionsWithoutSummary++;
			continue;
		}
		scoredRows.push(i);
		texts.push(text);
	}
	if (texts.length === 0) return out;
	const scores = await scorer.score(texts);
	if (scores.length !== texts.length)
		throw new Error(
			`sentiment scorer "${scorer.name}" returned ${scores.length} scores for ${texts.length} texts`,
		);
	scoredRows.forEach((row, k) => {
		const s = scores[k];
		out.sentimentLabel[row] = s.label;
		out.sentimentNegative[row] = s.negative;
		out.sentimentNeutral[row] = s.neutral;
		out.sentimentPositive[row] = s.positive;
	});
	return out;
}
