/**
 * Offline 3-class sentiment of interaction summaries (DATA_SPEC §5). The
 * reference used a transformer; here the default is VADER (`vader-sentiment`,
 * a lexicon + rules scorer that handles negation, intensifiers and "but"),
 * deterministic and fast. Any other scorer (e.g. a local transformer) plugs in
 * behind `SentimentScorer`.
 */
import { createRequire } from "node:module";

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

class LexiconSentimentScorer implements SentimentScorer {
	readonly name = "vader-lexicon";
	async score(texts: readonly string[]): Promise<SentimentScore[]> {
		// CRM notes repeat a lot; score each distinct text once.
		const cache = new Map<string, SentimentScore>();
		return texts.map((text) => {
			let s = cache.get(text);
			if (s === undefined) {
				s = scoresFromCompound(
					vader.SentimentIntensityAnalyzer.polarity_scores(text ?? "").compound,
				);
				cache.set(text, s);
			}
			return s;
		});
	}
}

export function createSentimentScorer(
	kind: "lexicon" = "lexicon",
): SentimentScorer {
	switch (kind) {
		case "lexicon":
			return new LexiconSentimentScorer();
	}
}
