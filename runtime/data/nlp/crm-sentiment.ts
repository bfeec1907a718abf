/**
 * Sentiment of contact-centre notes (docs/nlp.md): VADER's lexicon and scoring
 * (valence sum, boosters, "but" weighting, compound normalisation) with the
 * rules CRM notes need and general-English VADER gets wrong: shorthand,
 * case-insensitive negation whose scope ends at the clause, negated problems
 * that are neutral ("no issues found"), resolutions that cancel the problem
 * they solve ("issue resolved"), failed service events ("never arrived") and
 * domain phrases (crm-lexicon.ts).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import {
	ASSENT,
	AUXILIARIES,
	BOOST,
	BOOSTERS,
	CLAUSE_BREAKS,
	DAMPENERS,
	FAILED_EVENT_VALENCE,
	FIXED_ADJECTIVE_NEXT,
	FIXED_ADJECTIVE_PREVIOUS,
	NEGATION_SCALAR,
	NEGATORS,
	PERSONS,
	PHRASES,
	PROBLEMS,
	RESOLUTIONS,
	RESOLUTIONS_IF_PROBLEM,
	RESOLVED_VALENCE,
	SERVICE_EVENTS,
	SHORTHAND,
	UNRESOLVED_VALENCE,
	VALENCE,
} from "./crm-lexicon.ts";

/** VADER's lexicon as the package ships it: word TAB mean TAB sd TAB ratings. */
function loadVaderLexicon(): Map<string, number> {
	const path = createRequire(import.meta.url).resolve(
		"vader-sentiment/vader_lexicon.txt",
	);
	const lexicon = new Map<string, number>();
	for (const line of readFileSync(path, "utf8").split("\n")) {
		const [word, mean] = line.split("\t");
		if (word && mean !== undefined) lexicon.set(word, Number(mean));
	}
	return lexicon;
}

/** "… not arrived yet", "has not agreed to the terms yet": pending, not failed. */
function pending(tokens: readonly Token[], i: number): boolean {
	for (let k = i + 1; k < tokens.length; k++) {
		const t = tokens[k];
		if (t.kind === "break") return false;
		if (t.kind === "word" && t.word === "yet") return true;
	}
	return false;
}

/** The word before the clause's negation (auxiliaries skipped) is a person. */
function personActs(clause: readonly string[]): boolean {
	let k = clause.length - 1;
	while (k >= 0 && !NEGATORS.has(clause[k])) k--;
	k--;
	while (k >= 0 && AUXILIARIES.has(clause[k])) k--;
	return k >= 0 && PERSONS.has(clause[k]);
}

let vaderLexicon: Map<string, number> | undefined;
function baseValence(word: string): number {
	if (Object.hasOwn(VALENCE, word)) return VALENCE[word];
	vaderLexicon ??= loadVaderLexicon();
	return vaderLexicon.get(word) ?? 0;
}

/** VADER's normalisation of the valence sum into [−1, 1] (alpha = 15). */
export function normalise(sum: number): number {
	return sum / Math.sqrt(sum * sum + 15);
}

export function normaliseNote(text: string): string {
	let t = ` ${text.toLowerCase()} `;
	for (const [pattern, replacement] of SHORTHAND)
		t = t.replace(pattern, replacement);
	return t.replace(/\s+/g, " ");
}

type Token =
	| { kind: "word"; word: string }
	| { kind: "fixed"; valence: number }
	| { kind: "break"; sentence: boolean };

const MARKER = /^\u27e6(-?\d+(?:\.\d+)?)\u27e7$/;

/** Phrases become ⟦valence⟧ markers; punctuation becomes clause/sentence breaks. */
function tokenise(normalised: string): Token[] {
	let t = normalised;
	for (const { pattern, valence, keep } of PHRASES)
		t = t.replace(pattern, (m) =>
			keep ? ` \u27e6${valence}\u27e7 ${m} ` : ` \u27e6${valence}\u27e7 `,
		);
	const tokens: Token[] = [];
	const parts =
		t.match(
			/\u27e6[^\u27e7]*\u27e7|[a-z0-9]+(?:['-][a-z0-9]+)*|[.!?;]+|[,:()"]|\s-\s/g,
		) ?? [];
	for (const p of parts) {
		const marker = MARKER.exec(p);
		if (marker) tokens.push({ kind: "fixed", valence: Number(marker[1]) });
		else if (/^[.!?;]/.test(p)) tokens.push({ kind: "break", sentence: true });
		else if (/^[,:()"]$|^\s-\s$/.test(p))
			tokens.push({ kind: "break", sentence: false });
		else if (CLAUSE_BREAKS.has(p)) {
			tokens.push({ kind: "break", sentence: false });
			tokens.push({ kind: "word", word: p });
		} else tokens.push({ kind: "word", word: p });
	}
	return tokens;
}

interface Scored {
	/** The word, or "⟦phrase⟧" for a phrase marker. */
	token: string;
	valence: number;
	/** A problem word, zeroed if a resolution follows. */
	problem: boolean;
	/** An un-negated resolution. */
	resolution: boolean;
	/** Weight from the sentence's "but" (VADER: 0.5 before, 1.5 after). */
	weight: number;
}

/** Each word's and phrase's contribution to a note's score (for docs and debugging). */
export function explainCrm(text: string): { token: string; valence: number }[] {
	return scoreTokens(text).map((s) => ({
		token: s.token,
		valence: s.suppressed ? 0 : s.valence * s.weight,
	}));
}

/** Compound score in [−1, 1] of one note. */
export function crmCompound(text: string): number {
	let sum = 0;
	for (const s of scoreTokens(text))
		if (!s.suppressed) sum += s.valence * s.weight;
	return normalise(sum);
}

function scoreTokens(text: string): (Scored & { suppressed: boolean })[] {
	const tokens = tokenise(normaliseNote(text));
	const scored: Scored[] = [];
	let clause: string[] = []; // words of the current clause so far
	let sentenceStart = 0;
	const closeSentence = () => {
		const but = scored.findIndex(
			(s, i) => i >= sentenceStart && s.weight === 0,
		);
		for (let i = sentenceStart; i < scored.length; i++)
			scored[i].weight = but < 0 ? 1 : i < but ? 0.5 : i === but ? 0 : 1.5;
		sentenceStart = scored.length;
	};
	tokens.forEach((tok, i) => {
		if (tok.kind === "break") {
			clause = [];
			if (tok.sentence) closeSentence();
			return;
		}
		if (tok.kind === "fixed") {
			scored.push({
				token: `\u27e6${tok.valence}\u27e7`,
				valence: tok.valence,
				problem: false,
				resolution: false,
				weight: 1,
			});
			return;
		}
		const w = tok.word;
		const window = clause.slice(-3);
		const negated = window.some((x) => NEGATORS.has(x));
		const nextWords = tokens
			.slice(i + 1, i + 4)
			.flatMap((t) => (t.kind === "word" ? [t.word] : []))
			.slice(0, 2);
		const s: Scored = {
			token: w,
			valence: 0,
			problem: false,
			resolution: false,
			// weight 0 marks the sentence's "but" until the sentence closes
			weight: w === "but" ? 0 : 1,
		};
		if (
			w === "fixed" &&
			(nextWords.some((x) => FIXED_ADJECTIVE_NEXT.has(x)) ||
				FIXED_ADJECTIVE_PREVIOUS.has(clause.at(-1) ?? ""))
		) {
			// the adjective: no valence
		} else if (PROBLEMS.has(w)) {
			s.problem = !negated;
			s.valence = negated ? 0 : baseValence(w);
		} else if (RESOLUTIONS.has(w) || RESOLUTIONS_IF_PROBLEM.has(w)) {
			if (negated) s.valence = UNRESOLVED_VALENCE;
			else {
				const conditional = RESOLUTIONS_IF_PROBLEM.has(w);
				const hadProblem = scored.some((x) => x.problem || x.valence < 0);
				s.resolution = !conditional || hadProblem;
				s.valence = s.resolution ? RESOLVED_VALENCE : 0;
			}
		} else if (BOOSTERS.has(w) || DAMPENERS.has(w)) {
			// modifiers carry no valence of their own (VADER)
		} else if (SERVICE_EVENTS.has(w)) {
			s.valence =
				negated && !pending(tokens, i) && (ASSENT.has(w) || !personActs(clause))
					? FAILED_EVENT_VALENCE
					: 0;
		} else {
			let v = baseValence(w);
			if (v !== 0) {
				window.forEach((x, k) => {
					// VADER dampens modifiers farther from the word: 1, 0.95, 0.9
					const distance = [0.9, 0.95, 1][k + 3 - window.length];
					if (BOOSTERS.has(x)) v += Math.sign(v) * BOOST * distance;
					else if (DAMPENERS.has(x)) v -= Math.sign(v) * BOOST * distance;
				});
				if (negated) v *= NEGATION_SCALAR;
			}
			s.valence = v;
		}
		scored.push(s);
		clause.push(w);
	});
	closeSentence();
	// A problem the note reports as solved later on is no longer a problem.
	let resolvedLater = false;
	const out = scored.map((s) => ({ ...s, suppressed: false }));
	for (let i = out.length - 1; i >= 0; i--) {
		if (out[i].resolution) resolvedLater = true;
		if (out[i].problem && resolvedLater) out[i].suppressed = true;
	}
	return out;
}
