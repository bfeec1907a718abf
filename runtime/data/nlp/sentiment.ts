/**
 * Offline 3-class sentiment of interaction summaries (docs/nlp.md). The
 * reference used a transformer; here the default is the CRM scorer
 * (crm-sentiment.ts: VADER's lexicon and scoring plus contact-centre rules),
 * deterministic and fast. Plain VADER (`vader-sentiment`) stays available as
 * "vader" for comparison. Any other scorer (e.g. a local transformer) plugs in
 * behind `SentimentScorer`.
 */
import { createRequire } from "node:module";
import { crmCompound } from "./crm-sentiment.ts";

export type SentimentLabel = "negative" | "neutral" | "positive";

/** Class scores sum to 1; `label` is the class with the highest score. */
export interface SentimentScore {
	label: SentimentLabel;
	negative: number;
	neutral: number;
	positive: number;
}

export interface SentimentScorer {
	readonly name: string;
	score(texts: readonly string[]): Promise<SentimentScore[]>;
}

interface VaderPolarity {
	neg: number;
	neu: number;
	pos: number;
	compound: number;
}
interface VaderModule {
	SentimentIntensityAnalyzer: { polarity_scores(text: string): VaderPolarity };
}

// The package ships a CommonJS bundle without types.
const vader = createRequire(import.meta.url)("vader-sentiment") as VaderModule;

/** VADER's documented cut-offs on the compound score. */
const COMPOUND_THRESHOLD = 0.05;
/** Steepness of the compound → class-score mapping (compound ±0.35 → ≈95 %). */
const SHARPNESS = 10;

/**
 * Class scores from the compound score: softmax over logits
 * (k·(−c−t), 0, k·(c−t)), so the argmax is exactly VADER's rule
 * (c ≤ −t negative, c ≥ t positive, neutral between) and scores sum to 1.
 */
export function scoresFromCompound(compound: number): SentimentScore {
	const lNeg = SHARPNESS * (-compound - COMPOUND_THRESHOLD);
	const lPos = SHARPNESS * (compound - COMPOUND_THRESHOLD);
	const m = Math.max(lNeg, 0, lPos);
	const eNeg = Math.exp(lNeg - m);
	const eNeu = Math.exp(-m);
	const ePos = Math.exp(lPos - m);
	const z = eNeg + eNeu + ePos;
	const negative = eNeg / z;
	const neutral = eNeu / z;
	const positive = ePos / z;
	const label: SentimentLabel =
		compound <= -COMPOUND_THRESHOLD
			? "negative"
			: compound >= COMPOUND_THRESHOLD
				? "positive"
				: "neutral";
	return { label, negative, neutral, positive };
}

/** A scorer from a compound function; CRM notes repeat a lot, so each distinct text is scored once. */
class CompoundSentimentScorer implements SentimentScorer {
	constructor(
		readonly name: string,
		private readonly compound: (text: string) => number,
	) {}
	async score(texts: readonly string[]): Promise<SentimentScore[]> {
		const cache = new Map<string, SentimentScore>();
		return texts.map((text) => {
			let s = cache.get(text);
			if (s === undefined) {
				s = scoresFromCompound(this.compound(text ?? ""));
				cache.set(text, s);
			}
			return s;
		});
	}
}

/** "crm" (default): VADER plus the contact-centre rules; "vader": VADER as shipped. */
export type SentimentScorerKind = "crm" | "vader";

export function createSentimentScorer(
	kind: SentimentScorerKind = "crm",
): SentimentScorer {
	switch (kind) {
		case "crm":
			return new CompoundSentimentScorer("crm-rules", crmCompound);
		case "vader":
			return new CompoundSentimentScorer(
				"vader-lexicon",
				(text) =>
					vader.SentimentIntensityAnalyzer.polarity_scores(text).compound,
			);
	}
}
