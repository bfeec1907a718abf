/**
 * CRM interaction notes. A note is written from what happened to the customer
 * (the intent and tone the agent would record), in the mixed style of real
 * notes: terse abbreviations and full sentences, with negations. The intent
 * and sentiment are never written as labels; they are recovered from the text
 * by the NLP rules and scorer like in the real extract.
 */
import type { Rng } from "./prng.ts";

export type NoteTone = "negative" | "neutral" | "positive";
export type NoteTopic =
	| "cancellation"
	| "complaint"
	| "billing"
	| "renewal"
	| "pricing"
	| "plan"
	| "account"
	| "general"
	| "other";

const SUBJECT = ["Customer", "Cust", "Client", "The customer", "Caller"];

/** {S} = subject. Every template is checked against the scorer in test/synth-notes.test.ts. */
export const TEMPLATES: Record<
	NoteTone,
	Partial<Record<NoteTopic, readonly string[]>>
> = {
	negative: {
		cancellation: [
			"{S} inquired about early contract cancel. Frustrated.",
			"{S} called to cancel the contract, angry about the last invoice amount.",
			"Wants to terminate supply. {S} says our support has been terrible.",
			"{S} requesting cancellation, very disappointed with customer support.",
			"{S} is switching to another provider, upset about repeated errors.",
			"{S} stated they will leave at the end of the contract, frustrated with the price increases.",
			"Cancellation request. {S} unhappy and refused the retention offer.",
			"{S} wants to cancel; says the new tariff is unfair and too expensive.",
			"Cxl req. {S} annoyed, already signed with a competitor.",
			"{S} threatened to switching supplier after the bad experience with the meter change.",
		],
		complaint: [
			"{S} not satisfied with the resolution of the billing issue.",
			"Complaint logged: {S} frustrated with estimated readings.",
			"{S} very unhappy about the price hike. Escalated to supervisor.",
			"{S} upset after third call about the same problem.",
			"Formal complaint about poor support, {S} angry and dissatisfied.",
			"Escalation: {S} disappointed with repeated meter errors.",
			"{S} complaining, the bill doubled and is not satisfied with the explanation.",
			"{S} dissatisfied, says nobody answered the previous emails. Very annoyed.",
			"Compl. {S} frustrated, waited weeks for a refund.",
		],
		billing: [
			"{S} disputes overdue charges, says the bill is wrong and unfair.",
			"{S} angry about being charged twice for the same month.",
			"Payment dispute, {S} rude and refuses to pay the wrong amount.",
		],
	},
	neutral: {
		billing: [
			"{S} asked about the payment date for the next bill.",
			"{S} requested a copy of the latest bill.",
			"Payment method changed to direct debit at {S} request.",
			"Query on the last bill amount, explained to {S}.",
			"{S} asked to move the billing date to the first of the month.",
			"Cust asked re payment of the Nov bill.",
		],
		renewal: [
			"{S} asked when the contract is due for renewal.",
			"{S} enquired about the renewal terms for next year.",
			"Asked about contract expiry date. Details sent by email.",
			"Renewal conditions sent to {S} by post.",
			"{S} asked what happens at the contract expiration.",
		],
		pricing: [
			"{S} asked about current rates and discounts.",
			"{S} comparing prices with other suppliers, looking around.",
			"{S} asked about the price change in the new tariff.",
			"{S} requested a quote to compare with an alternative supplier.",
			"Price query. Sent the current tariff sheet to {S}.",
			"{S} asked whether cheaper rates are available for the business.",
		],
		plan: [
			"{S} asked about plan options for a heat pump.",
			"{S} exploring options for a time-of-use plan.",
			"{S} asked about the plans with fixed monthly fee.",
			"New plan details sent to {S}.",
		],
		account: [
			"{S} updated account details.",
			"{S} inquired about meter location. Info sent.",
			"Account setup completed for the new address.",
			"{S} asked for account details to be sent by email.",
			"{S} inquired about the meter reading schedule.",
		],
		general: [
			"Inbound call, {S} asked to speak with the technical team.",
			"Routine follow-up call.",
			"Customer contacted regarding meter access.",
			"Standard interaction, call transferred to the field team.",
			"General query about the office opening hours.",
		],
		other: [
			"Meter reading submitted by phone.",
			"{S} called about the meter installation date.",
			"Cust asked for the postal address of the head office.",
			"{S} asked for a paper copy of the contract.",
		],
	},
	positive: {
		renewal: [
			"The customer inquired about their upcoming renewal, expressing satisfaction with their current plan.",
			"{S} happy to renew, thanked the agent.",
			"{S} pleased with the renewal offer.",
		],
		account: [
			"{S} happy with the service, asked for account details.",
			"{S} thanked the agent, all good.",
			"{S} inquired about the app, great experience so far.",
			"{S} satisfied with the quick account update.",
		],
		pricing: [
			"{S} pleased with the discount applied.",
			"{S} glad the new rates are lower, thanked us.",
		],
		plan: [
			"Great call, {S} satisfied with the new plan.",
			"{S} very happy with the plan options explained.",
		],
		general: [
			"Routine follow-up; {S} very happy with support.",
			"Customer contacted for a courtesy call, friendly and satisfied.",
			"{S} called to thank the technician, resolved quickly.",
		],
		billing: [
			"{S} appreciated the quick help with the payment date.",
			"{S} thanked us for the clear bill explanation.",
		],
		complaint: [
			"Earlier complaint about the meter fixed, {S} now satisfied and thankful.",
		],
		cancellation: [
			"{S} considered switching but is happy with the new discount and stays.",
		],
	},
};

/** Short neutral tails that make notes vary without changing intent or tone. */
const TAILS = [
	"",
	"",
	"",
	" Call lasted {m} min.",
	" Ticket {t}.",
	" Email confirmation sent.",
	" Agent {a}.",
];

export function writeNote(rng: Rng, tone: NoteTone, topic: NoteTopic): string {
	const options = TEMPLATES[tone][topic] ?? TEMPLATES.neutral.general ?? [];
	const subject = rng.pick(SUBJECT);
	let text = rng.pick(options).replaceAll("{S}", subject);
	// "The customer" mid-sentence reads "the customer".
	text = text.replace(/(.)The customer/g, "$1the customer");
	if (text.startsWith("the customer")) text = `T${text.slice(1)}`;
	const tail = rng
		.pick(TAILS)
		.replace("{m}", String(rng.int(2, 25)))
		.replace("{t}", String(rng.int(100000, 999999)))
		.replace("{a}", `A${rng.int(10, 99)}`);
	return text + tail;
}
