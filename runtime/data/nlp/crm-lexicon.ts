/**
 * Domain knowledge of the CRM sentiment scorer (docs/nlp.md): contact-centre
 * shorthand, word valences that differ from VADER's general-English lexicon,
 * the word classes the rules treat specially, and multi-word phrases with a
 * fixed valence. Valences are on VADER's scale (about −4 … +4).
 */

/** Shorthand → plain English, applied to the lower-cased note in this order. */
export const SHORTHAND: readonly (readonly [RegExp, string])[] = [
	[/[\u2018\u2019\u00b4`]/g, "'"],
	[/[\u201c\u201d]/g, '"'],
	[/\bw\/o\b/g, " without "],
	[/\bw\//g, " with "],
	[/\bb\/c\b/g, " because "],
	[/\bn\/a\b/g, " na "],
	[/&/g, " and "],
	[/\b(?:cust|cx|custmr|cstmr)\b/g, "customer"],
	[/\b(?:pymt|pmt|paymt)s\b/g, "payments"],
	[/\b(?:pymt|pmt|paymt)\b/g, "payment"],
	[/\bacct\b/g, "account"],
	[/\breq'?d\b/g, "requested"],
	[/\b(?:thx|thnx|tnx|tks|thks)\b/g, "thanks"],
	[/\bty\b/g, "thank you"],
	[/\b(?:pls|plz)\b/g, "please"],
	[/\babt\b/g, "about"],
	[/\bre:?(?=\s)/g, "about"],
	[/\bv\.?(?=\s+[a-z])/g, "very"],
	[/\bwks\b/g, "weeks"],
	[/\bmins\b/g, "minutes"],
	[/\bhrs\b/g, "hours"],
	[/\bappt\b/g, "appointment"],
	[/\b(?:cxl|canx|cncl)\b/g, "cancel"],
	[/\bcompl\b/g, "complaint"],
	[/\b(?:esc'd|escal'd)\b/g, "escalated"],
	[/\b(?:no one|noone)\b/g, "nobody"],
	[/\bas well as\b/g, "and"],
	[/\b(\w+)'s had (it|enough)\b/g, "$1 has had $2"],
	// Supply back is a resolution of the outage before it.
	[
		/\b(power|supply|electricity|gas|lights?|heating|hot water) (?:is |was |came |has come )?back(?: on)?\b/g,
		"$1 restored",
	],
	// Contractions: VADER's negation list is case- and spelling-sensitive; one form here.
	[/\bcan'?t\b|\bcannot\b/g, "can not"],
	[/\bwon'?t\b/g, "will not"],
	[
		/\b(does|did|is|was|has|have|had|do|are|were|could|would|should|must|need)n'?t\b/g,
		"$1 not",
	],
];

/** Negation cues; their scope is the next three words of the same clause. */
export const NEGATORS: ReadonlySet<string> = new Set([
	"not",
	"no",
	"never",
	"none",
	"nobody",
	"nothing",
	"neither",
	"nor",
	"without",
]);

/** Words that end a clause, and with it a negation's scope. */
export const CLAUSE_BREAKS: ReadonlySet<string> = new Set([
	"and",
	"but",
	"however",
	"although",
	"though",
	"because",
	"so",
	"then",
	"while",
	"whereas",
]);

/** VADER's booster/dampener increment (B_INCR) and negation scalar (N_SCALAR). */
export const BOOST = 0.293;
export const NEGATION_SCALAR = -0.74;

export const BOOSTERS: ReadonlySet<string> = new Set([
	"very",
	"extremely",
	"really",
	"so",
	"totally",
	"absolutely",
	"completely",
	"utterly",
	"quite",
	"pretty",
	"super",
	"incredibly",
	"highly",
	"deeply",
	"particularly",
	"especially",
	"most",
	"more",
]);
export const DAMPENERS: ReadonlySet<string> = new Set([
	"slightly",
	"somewhat",
	"little",
	"bit",
	"marginally",
	"partly",
	"barely",
	"hardly",
]);

/**
 * Words whose VADER valence reads the wrong sense in an energy retailer's
 * notes (0 = no sentiment here), and domain words VADER does not know.
 */
export const VALENCE: Readonly<Record<string, number>> = {
	// Finance, product and procedure senses that VADER reads as feelings.
	interest: 0, // late-payment interest
	outstanding: 0, // outstanding balance
	credit: 0,
	care: 0, // customer care
	support: 0, // the support team
	welcome: 0, // welcome pack
	bonus: 0, // social bonus (bono social)
	benefit: 0,
	energy: 0,
	power: 0,
	please: 0,
	like: 0, // "would like", "looks like"
	share: 0,
	clear: 0,
	important: 0,
	yes: 0,
	protect: 0,
	protection: 0,
	kind: 0, // "what kind of tariff"
	promise: 0, // a promise recorded is not satisfaction
	promised: 0,
	promises: 0,
	urgent: 0,
	free: 0, // "free of charge"
	pretty: 0, // a booster here
	miss: 0, // "Miss García"
	no: 0, // a negator, not a feeling ("no action required")
	// Product, meter and supply vocabulary.
	smart: 0, // smart meter
	fit: 0, // "fit a meter" = install
	active: 0,
	activated: 0,
	hand: 0, // "at hand"
	clean: 0, // clean energy
	natural: 0, // natural gas
	demand: 0, // demand charge
	pressure: 0, // gas pressure
	low: 0, // low consumption
	top: 0, // top-up
	safe: 0, // gas safety check
	safety: 0,
	emergency: 0, // the emergency line
	alarm: 0,
	ready: 0,
	special: 0, // special offer
	security: 0, // security deposit
	secure: 0,
	value: 0,
	approved: 0,
	granted: 0,
	validated: 0,
	dear: 0,
	loyalty: 0, // loyalty discount
	number: 0,
	missing: 0, // missing documents
	pay: 0,
	want: 0,
	increase: 0, // a price increase is a fact; the customer's reaction carries the tone
	resent: 0, // re-sent
	// A request to cancel or leave is procedure; its reason carries the tone.
	cancel: 0,
	cancelled: 0,
	cancellation: 0,
	terminate: 0,
	terminated: 0,
	leave: 0,
	// Bereavement notes are change-of-holder paperwork.
	death: 0,
	died: 0,
	deceased: 0,
	// Domain words VADER does not know (or weighs as general English).
	outage: -1.5,
	outages: -1.5,
	blackout: -1.5,
	overcharged: -2.0,
	overcharging: -2.0,
	overbilled: -2.0,
	misled: -2.0,
	mislead: -2.0,
	ombudsman: -1.5,
	shouting: -1.5,
	shouted: -1.5,
	yelling: -1.5,
	thieves: -2.5,
	thief: -2.5,
	scammed: -2.5,
	unconvinced: -1.0,
	unresolved: -1.5,
	unanswered: -1.2,
	delays: -1.3,
	overpriced: -1.5,
	extortionate: -2.5,
	unaffordable: -1.5,
	expensive: -1.0,
	complained: -1.7,
	complaining: -1.5,
	incorrect: -1.2,
	wrongly: -1.5,
	issue: -0.8,
	issues: -0.8,
	incident: -0.5,
	incidents: -0.5,
	discrepancy: -0.8,
	resolved: 1.2,
};

/**
 * Problem words. Negated ("no issues found", "nothing wrong") they say nothing
 * went wrong, which is neutral, not positive; followed later in the note by a
 * resolution, they are the problem that was solved and count 0.
 */
export const PROBLEMS: ReadonlySet<string> = new Set([
	"issue",
	"issues",
	"problem",
	"problems",
	"fault",
	"faults",
	"faulty",
	"error",
	"errors",
	"wrong",
	"incorrect",
	"trouble",
	"complaint",
	"complaints",
	"outage",
	"outages",
	"broken",
	"incident",
	"incidents",
	"discrepancy",
]);

/** Valence of a resolution, and of a negated one ("not fixed", "never resolved"). */
export const RESOLVED_VALENCE = 1.2;
export const UNRESOLVED_VALENCE = -1.5;

/** Resolution words: a solved problem, whatever it was. */
export const RESOLUTIONS: ReadonlySet<string> = new Set([
	"resolved",
	"fixed",
	"sorted",
	"sorting",
	"solved",
	"rectified",
]);

/**
 * Resolutions only when the note has a problem before them: "address
 * corrected" on its own is paperwork, "wrong address corrected" is a fix.
 */
export const RESOLUTIONS_IF_PROBLEM: ReadonlySet<string> = new Set([
	"corrected",
	"refunded",
	"restored",
	"reconnected",
	"repaired",
	"replaced",
	"credited",
]);

/** "fixed price", "fixed term": the adjective, not a repair. */
export const FIXED_ADJECTIVE_NEXT: ReadonlySet<string> = new Set([
	"price",
	"prices",
	"rate",
	"rates",
	"term",
	"fee",
	"fees",
	"tariff",
	"tariffs",
	"period",
	"monthly",
	"charge",
	"charges",
	"amount",
	"plan",
	"plans",
	"contract",
	"line",
	"cost",
	"costs",
	"quota",
	"energy",
	"indexed",
	"variable",
]);
/** Before "fixed", a determiner, preposition or copula makes it the adjective ("the fixed or the indexed price"). */
export const FIXED_ADJECTIVE_PREVIOUS: ReadonlySet<string> = new Set([
	"a",
	"an",
	"the",
	"our",
	"your",
	"their",
	"her",
	"his",
	"its",
	"between",
	"for",
	"of",
	"to",
	"or",
	"and",
	"on",
	"with",
	"stay",
	"stays",
	"remain",
	"remains",
	"kept",
	"keep",
	"be",
	"is",
	"are",
]);

/**
 * Service events and assent: neutral as such, a failure or a refusal when
 * negated ("refund never arrived", "app never works", "does not accept it").
 */
export const SERVICE_EVENTS: ReadonlySet<string> = new Set([
	"arrive",
	"arrived",
	"happen",
	"happened",
	"come",
	"came",
	"work",
	"works",
	"worked",
	"working",
	"explained",
	"applied",
	"processed",
	"done",
	// Assent: procedure when given, disagreement when refused ("does not accept it").
	"agree",
	"agreed",
	"agrees",
	"accept",
	"accepted",
	"accepts",
	"believe",
	"believes",
]);
export const FAILED_EVENT_VALENCE = -1.5;

/**
 * A person before the negation is the actor, not a service that failed: "the
 * customer does not work on Fridays", "she did not come to the door".
 */
export const PERSONS: ReadonlySet<string> = new Set([
	"customer",
	"client",
	"caller",
	"she",
	"he",
	"they",
	"i",
	"we",
	"husband",
	"wife",
	"tenant",
	"landlord",
	"owner",
]);
/** Auxiliaries between a subject and its negation ("she has not", "customer did not"). */
export const AUXILIARIES: ReadonlySet<string> = new Set([
	"does",
	"did",
	"do",
	"has",
	"have",
	"had",
	"is",
	"was",
	"are",
	"were",
	"will",
	"would",
	"can",
	"could",
	"should",
]);
/** Assent verbs of SERVICE_EVENTS: their actor is always a person, so PERSONS does not exempt them. */
export const ASSENT: ReadonlySet<string> = new Set([
	"agree",
	"agreed",
	"agrees",
	"accept",
	"accepted",
	"accepts",
	"believe",
	"believes",
]);

export interface Phrase {
	pattern: RegExp;
	valence: number;
	/** Keep the matched words for the word rules too (default: they are replaced). */
	keep?: boolean;
}

/**
 * Multi-word expressions with a fixed valence, matched on the normalised note
 * before the word rules. Replaced phrases are not negated or boosted again.
 */
export const PHRASES: readonly Phrase[] = [
	// Negated problems that are idioms of satisfaction.
	{
		pattern:
			/\b(?:can not|could not) complain\b|\bno complaints?\b|\bnothing to complain about\b/g,
		valence: 1.5,
	},
	{
		pattern:
			/\bnever (?:had|has|have) (?:any |a )?(?:problems?|issues?|trouble|complaints?)\b/g,
		valence: 1.5,
	},
	{
		pattern:
			/\bno (?:more |further )?(?:problems?|issues?|faults?|errors?|trouble)(?: at all)?(?: with [a-z ]+?)? since\b/g,
		valence: 1.2,
	},
	{ pattern: /\bno (?:more|further) (?:problems?|issues?)\b/g, valence: 1.0 },
	// Staying is the retention outcome; a request to leave is procedure.
	{
		pattern:
			/\b(?:will not|not going to|does not want to|do not want to|decided not to|no (?:longer )?(?:plans?|intention) to) (?:leave|switch|cancel|go elsewhere)\b|\bnot (?:leaving|switching|cancell?ing)\b/g,
		valence: 1.2,
	},
	{
		pattern:
			/\b(?:decided|agreed|wants|happy|glad|will|going) to (?:stay|remain|continue)\b/g,
		valence: 1.2,
		keep: true,
	},
	// Leaving for a competitor on price.
	{
		pattern:
			/\bfound (?:it |something |a )?cheaper\b|\bcheaper (?:elsewhere|with|at|from) (?:another|a competitor|the competition)\b|\bsigned (?:up )?with (?:a |another )(?:competitor|supplier|provider|company)\b|\bgoing (?:over )?to (?:a |the )?competitor\b/g,
		valence: -1.5,
	},
	// Sarcasm: praise words that mean the opposite.
	{ pattern: /\bthanks for nothing\b/g, valence: -2.5 },
	{ pattern: /\boh great\b|\bgreat,? another\b/g, valence: -1.5 },
	{
		pattern: /(["'])(?:thrilled|delighted|happy|great|wonderful|lovely)\1/g,
		valence: -1.5,
	},
	// Exasperation.
	{
		pattern:
			/\b(?:fed up|(?:has|have|had) had enough|(?:has|have|had) had it|last straw|los(?:ing|t) (?:his |her |their )?patience|at (?:his|her|their) wits'? end)\b/g,
		valence: -2.0,
	},
	{ pattern: /\b(?:is|was|what) a joke\b/g, valence: -2.0 },
	{ pattern: /\brip-?off\b/g, valence: -2.5 },
	{ pattern: /\bbill shock\b/g, valence: -2.0 },
	{ pattern: /\bhung up\b/g, valence: -1.5 },
	{ pattern: /\bnot the first time\b/g, valence: -1.5 },
	{
		pattern:
			/\b(?:on hold (?:for )?\d+|\d+ (?:minutes|min|hours) on hold)\b|\blong wait(?:ing)?(?: times?)?\b/g,
		valence: -1.2,
	},
	// Repeated contact about the same thing.
	{
		pattern:
			/\b(?:second|third|fourth|fifth|2nd|3rd|4th|5th|nth) (?:call|time|complaint|request|month|visit|letter|attempt|one)s? (?:about|regarding|re|on|for|over|with|this|in a row|running)\b|\bafter (?:\d+|two|three|four|five|several|multiple|many) (?:calls|requests|complaints|emails|visits|attempts)\b/g,
		valence: -1.2,
	},
	// Unresolved or ignored.
	{
		pattern:
			/\bstill (?:waiting|not|no|nothing|unresolved|pending|broken|wrong|without)\b/g,
		valence: -1.5,
		keep: true,
	},
	{
		pattern:
			/\bnobody (?:has |had |ever )?(?:called|rang|phoned|came|turned|showed|replied|responded|explained|warned|informed|told|knows|knew|helped|fixed|checked|bothered|followed|contacted)\b/g,
		valence: -1.5,
	},
	{
		pattern:
			/\b(?:can not|could not|unable to|struggling to) (?:afford|pay)\b/g,
		valence: -1.5,
	},
	// Loss of supply.
	{
		pattern:
			/\b(?:no|without) (?:power|electricity|hot water|heating|lights?|supply)\b|\blights out\b|\bpower cuts?\b|\bcut off\b/g,
		valence: -1.8,
	},
	// Neutral phrases whose words VADER scores.
	{
		pattern:
			/\bno (?:further )?action (?:required|needed)\b|\bno need to\b|\bnot only\b|\bnot sure\b|\berror (?:code|message)\b|\bno answer\b/g,
		valence: 0,
	},
];
