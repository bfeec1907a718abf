/**
 * Rule-based intent of a CRM interaction summary (docs/nlp.md): the first
 * category, in priority order, whose case-insensitive word-boundary pattern
 * matches. The word lists are the spec's, with the forms and contact-centre
 * synonyms real notes use (invoice, direct debit, refund, "cxl", "pymt",
 * tariff, enquiry, …); plurals and verb forms are listed explicitly, so
 * "cancelable" or "planet" do not match "cancel"/"plan". A mention does not
 * count when it is negated ("no complaints", "will not leave") for the two
 * categories that say what the customer wants or feels, nor in the senses
 * that are not about the contract ("cancel the engineer visit", "switch to
 * paperless billing", "leave the key with the porter").
 */
export type Intent =
	| "Cancellation / Switch"
	| "Complaint / Escalation"
	| "Billing / Payment"
	| "Contract Renewal"
	| "Pricing Offers"
	| "Plan / Product Inquiry"
	| "Account / Service Inquiry"
	| "General / Operational Contact"
	| "Other / Unclassified";

/** Whole-word (or whole-phrase) alternatives; spaces inside a phrase match any whitespace. */
function words(...alternatives: string[]): RegExp {
	const body = alternatives
		.map((a) => a.trim().split(/\s+/).join("\\s+"))
		.join("|");
	return new RegExp(`\\b(?:${body})\\b`, "gi");
}

/** A mention of a category word, with the text around it. */
interface Mention {
	word: string;
	before: string;
	after: string;
}
type Exclusion = (m: Mention) => boolean;

/** Text of the mention's clause before it: back to the last , ; : . ! ? or "but". */
function clauseBefore(before: string): string {
	const parts = before.split(/[,;:.!?]|\bbut\b/i);
	return parts[parts.length - 1];
}

/** Negated within the three words before it, or "no longer wants to …". */
const negated: Exclusion = ({ before }) => {
	const clause = clauseBefore(before);
	const last3 = clause.trim().split(/\s+/).slice(-3).join(" ");
	return (
		/\b(?:not|no|never|without|nothing|nobody|cannot)\b|n't\b|\bcant\b|\bwont\b/i.test(
			last3,
		) ||
		/\bno\s+longer\s+(?:wants?|wishes|intends|plans)\s+to\s*$/i.test(clause)
	);
};

/** "cancel the engineer visit", "cancelled the direct debit": not the contract. */
const cancelsSomethingElse: Exclusion = ({ word, after }) =>
	/^cancel/i.test(word) &&
	/^\s+(?:\S+\s+){0,2}?(?:visit|appointment|callback|call-back|call\s+back|booking|direct\s+debit|standing\s+order|dd)\b/i.test(
		after,
	);

/** "switch to paperless billing", "switch tariff", "trip switch": not a change of supplier. */
const switchesSomethingElse: Exclusion = ({ word, before, after }) => {
	if (!/^switch/i.test(word)) return false;
	if (/\b(?:trip|light|main|the|a)\s*$/i.test(before)) return true;
	const next = after
		.split(/[,;:.!?]/)[0]
		.trim()
		.split(/\s+/)
		.slice(0, 4)
		.join(" ");
	if (
		/\b(?:supplier|provider|company|competitor|retailer|comercializadora)\b/i.test(
			next,
		)
	)
		return false;
	return /^(?:off|on)\b|\b(?:tariff|plan|rate|billing|bill|bills|paperless|e-?billing|email|e-mail|paper|app|online|direct\s+debit|payment|monthly|bimonthly|quarterly)\b/i.test(
		next,
	);
};

/** "leave the key with the porter", "leave a message", "on annual leave". */
const leavesSomethingElse: Exclusion = ({ word, before, after }) =>
	/^leave$/i.test(word) &&
	(/\b(?:on|annual|sick|maternity|paternity)\s*$/i.test(before) ||
		/^\s+(?:(?:a|an|the|it|them|his|her|their|our|some)\s+)?(?:\S+\s+)?(?:message|voicemail|note|key|keys|card|reading|details|number|contact|access|door|gate|parcel|letter|documents?|docs|photo|copy)\b/i.test(
			after,
		));

interface Rule {
	intent: Intent;
	pattern: RegExp;
	exclude?: readonly Exclusion[];
}

const RULES: readonly Rule[] = [
	{
		intent: "Cancellation / Switch",
		pattern: words(
			"cancel",
			"cancelled",
			"canceled",
			"cancelling",
			"canceling",
			"cancellation",
			"cxl",
			"canx",
			"terminate",
			"termination",
			"switch",
			"switching",
			"leave",
			"account closure",
			"account close",
			"closing account",
		),
		exclude: [
			negated,
			cancelsSomethingElse,
			switchesSomethingElse,
			leavesSomethingElse,
		],
	},
	{
		intent: "Complaint / Escalation",
		pattern: words(
			"complain",
			"complained",
			"complaint",
			"complaints",
			"complaining",
			"frustrated",
			"frustration",
			"escalated",
			"escalation",
			"not satisfied",
			"unsatisfied",
			"upset",
			"dissatisfied",
			"dissatisfaction",
			"unhappy",
			"discontent",
		),
		exclude: [negated],
	},
	{
		intent: "Billing / Payment",
		pattern: words(
			"bill",
			"bills",
			"billed",
			"billing",
			"charge",
			"charges",
			"charged",
			"invoice",
			"invoices",
			"invoiced",
			"payment",
			"payments",
			"pymt",
			"pymts",
			"overpayment",
			"direct debit",
			"refund",
			"refunds",
			"refunded",
			"instalment",
			"instalments",
			"installment",
			"installments",
			"arrears",
			"overdue",
			"past due",
		),
	},
	{
		intent: "Contract Renewal",
		pattern: words(
			"renew",
			"renews",
			"renewal",
			"renewals",
			"renewing",
			"renewed",
			"expire",
			"expires",
			"expired",
			"expiring",
			"expiry",
			"expiration",
		),
	},
	{
		intent: "Pricing Offers",
		pattern: words(
			"price",
			"prices",
			"priced",
			"rate",
			"rates",
			"pricing",
			"increase",
			"hike",
			"discount",
			"discounts",
			"saving",
			"savings",
			"competitive",
			"competition",
			"competitiveness",
			"better deal",
			"better rate",
			"better offer",
			"alternative",
			"alternatives",
			"looking around",
		),
	},
	{
		intent: "Plan / Product Inquiry",
		pattern: words(
			"plan",
			"plans",
			"option",
			"options",
			"tariff",
			"tariffs",
			"new plan",
			"exploring options",
		),
	},
	{
		intent: "Account / Service Inquiry",
		pattern: words(
			"account details",
			"account questions",
			"service",
			"services",
			"inquiry",
			"inquire",
			"inquired",
			"inquiries",
			"enquiry",
			"enquire",
			"enquired",
			"enquiries",
			"info",
			"clarified",
			"account update",
			"account setup",
			"account issues",
			"no issues found",
			"all good",
		),
	},
	{
		intent: "General / Operational Contact",
		pattern: words(
			"general",
			"follow-up",
			"routine",
			"inbound call",
			"no action required",
			"resolved",
			"normal process",
			"standard interaction",
			"customer contacted",
		),
	},
];

function matches(rule: Rule, text: string): boolean {
	for (const m of text.matchAll(rule.pattern)) {
		const at = m.index ?? 0;
		const mention: Mention = {
			word: m[0],
			before: text.slice(0, at),
			after: text.slice(at + m[0].length),
		};
		if (!rule.exclude?.some((x) => x(mention))) return true;
	}
	return false;
}

/** Categories in the order they are tried; the fallback comes last. */
export const INTENT_PRIORITY: readonly Intent[] = [
	...RULES.map((r) => r.intent),
	"Other / Unclassified",
];

/** Intent of one summary; null when there is no text to classify. */
export function classifyIntent(
	summary: string | null | undefined,
): Intent | null {
	if (summary == null || summary.trim() === "") return null;
	for (const rule of RULES) if (matches(rule, summary)) return rule.intent;
	return "Other / Unclassified";
}
