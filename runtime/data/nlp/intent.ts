/**
 * Rule-based intent of a CRM interaction summary (DATA_SPEC §5): the first
 * category, in priority order, whose case-insensitive word-boundary pattern
 * matches. The word lists are the spec's, verbatim; plurals and verb forms are
 * listed explicitly, so "cancelable" or "planet" do not match "cancel"/"plan".
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
	return new RegExp(`\\b(?:${body})\\b`, "i");
}

const RULES: readonly (readonly [Intent, RegExp])[] = [
	[
		"Cancellation / Switch",
		words(
			"cancel",
			"cancelled",
			"cancellation",
			"terminate",
			"switch",
			"switching",
			"leave",
			"account closure",
			"account close",
			"closing account",
		),
	],
	[
		"Complaint / Escalation",
		words(
			"complain",
			"complaint",
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
	],
	[
		"Billing / Payment",
		words(
			"bill",
			"billing",
			"charge",
			"charges",
			"charged",
			"payment",
			"overdue",
			"past due",
		),
	],
	[
		"Contract Renewal",
		words(
			"renew",
			"renewal",
			"renewals",
			"renewing",
			"renewed",
			"expire",
			"expiry",
			"expiration",
		),
	],
	[
		"Pricing Offers",
		words(
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
	],
	[
		"Plan / Product Inquiry",
		words(
			"plan",
			"plans",
			"option",
			"options",
			"new plan",
			"exploring options",
		),
	],
	[
		"Account / Service Inquiry",
		words(
			"account details",
			"account questions",
			"service",
			"services",
			"inquiry",
			"inquired",
			"inquiries",
			"info",
			"clarified",
			"account update",
			"account setup",
			"account issues",
			"no issues found",
			"all good",
		),
	],
	[
		"General / Operational Contact",
		words(
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
	],
];

/** Categories in the order they are tried; the fallback comes last. */
export const INTENT_PRIORITY: readonly Intent[] = [
	...RULES.map(([intent]) => intent),
	"Other / Unclassified",
];

/** Intent of one summary; null when there is no text to classify. */
export function classifyIntent(
	summary: string | null | undefined,
): Intent | null {
	if (summary == null || summary.trim() === "") return null;
	for (const [intent, pattern] of RULES)
		if (pattern.test(summary)) return intent;
	return "Other / Unclassified";
}
