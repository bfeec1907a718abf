import { describe, expect, it } from "vitest";
import { normaliseNote } from "../runtime/data/nlp/crm-sentiment.ts";
import { classifyIntent, INTENT_PRIORITY } from "../runtime/data/nlp/intent.ts";
import {
	createSentimentScorer,
	scoresFromCompound,
} from "../runtime/data/nlp/sentiment.ts";

describe("classifyIntent", () => {
	it("recognises every category", () => {
		const cases: [string, string][] = [
			["Cust wants to cancel contract asap", "Cancellation / Switch"],
			["Customer is switching to another supplier", "Cancellation / Switch"],
			["Requested account closure", "Cancellation / Switch"],
			["Customer complained about the call wait", "Complaint / Escalation"],
			["Customer complaint logged", "Complaint / Escalation"],
			["Case escalated to supervisor", "Complaint / Escalation"],
			["Question about last bill", "Billing / Payment"],
			["Payment past due, reminder sent", "Billing / Payment"],
			["Asked when the contract will expire", "Contract Renewal"],
			["Wants a better deal on energy", "Pricing Offers"],
			["Cust looking around for cheaper energy", "Pricing Offers"],
			["Exploring options for solar", "Plan / Product Inquiry"],
			["Asked for account details", "Account / Service Inquiry"],
			["Cust inquired re meter. All good", "Account / Service Inquiry"],
			["Routine follow-up call", "General / Operational Contact"],
			["Inbound call, no action required", "General / Operational Contact"],
			["Meter reading submitted by phone", "Other / Unclassified"],
		];
		for (const [text, intent] of cases)
			expect([text, classifyIntent(text)]).toEqual([text, intent]);
		expect(INTENT_PRIORITY).toHaveLength(9);
		expect(INTENT_PRIORITY[0]).toBe("Cancellation / Switch");
		expect(INTENT_PRIORITY[8]).toBe("Other / Unclassified");
	});

	it("returns null for missing or blank text", () => {
		expect(classifyIntent(null)).toBeNull();
		expect(classifyIntent(undefined)).toBeNull();
		expect(classifyIntent("   ")).toBeNull();
	});

	it("takes the highest-priority category when several match", () => {
		// bill (Billing) + unhappy (Complaint) + cancel (Cancellation)
		expect(classifyIntent("Unhappy with bill, wants to cancel")).toBe(
			"Cancellation / Switch",
		);
		expect(classifyIntent("Unhappy with the bill")).toBe(
			"Complaint / Escalation",
		);
		// renewal (Renewal) + price (Pricing) + plan (Plan)
		expect(classifyIntent("Asked about renewal price of the plan")).toBe(
			"Contract Renewal",
		);
		expect(classifyIntent("Service question about the price")).toBe(
			"Pricing Offers",
		);
	});

	it("matches whole words only, case-insensitively", () => {
		expect(classifyIntent("CANCELLATION requested")).toBe(
			"Cancellation / Switch",
		);
		expect(classifyIntent("Asked whether the fee is cancelable")).toBe(
			"Other / Unclassified",
		);
		expect(classifyIntent("Asked about the planet-friendly offer")).toBe(
			"Other / Unclassified",
		);
		expect(classifyIntent("Asked about plans")).toBe("Plan / Product Inquiry");
		expect(classifyIntent("Invoiced twice")).toBe("Billing / Payment");
		expect(classifyIntent("Invoicing address")).toBe("Other / Unclassified"); // "invoicing" is not listed
		expect(classifyIntent("Generally fine")).toBe("Other / Unclassified");
	});

	it("treats 'not satisfied' as a complaint", () => {
		expect(classifyIntent("Customer not satisfied with response")).toBe(
			"Complaint / Escalation",
		);
		expect(classifyIntent("Customer NOT   satisfied")).toBe(
			"Complaint / Escalation",
		);
		expect(classifyIntent("Customer satisfied with response")).toBe(
			"Other / Unclassified",
		);
	});
});

describe("intent rules on contact-centre wording", () => {
	it("know the forms and synonyms real notes use", () => {
		const cases: [string, string][] = [
			["Cust wants to cxl, moving abroad", "Cancellation / Switch"],
			["Pymt taken twice", "Billing / Payment"],
			["Billed for a month she was not living there", "Billing / Payment"],
			["Duplicate of the March invoice sent", "Billing / Payment"],
			["Direct debit set up with new IBAN", "Billing / Payment"],
			["Refund of the overpayment requested", "Billing / Payment"],
			["Wants paper bills again", "Billing / Payment"],
			["Checking if the contract renews automatically", "Contract Renewal"],
			["Letter says the contract expires next month", "Contract Renewal"],
			["Enquired about time-of-use tariffs", "Plan / Product Inquiry"],
			["Enquiry about the meter location", "Account / Service Inquiry"],
		];
		for (const [text, intent] of cases)
			expect([text, classifyIntent(text)]).toEqual([text, intent]);
	});

	it("do not count negated cancellation or complaint mentions", () => {
		const cases: [string, string][] = [
			["Customer has no complaints, asked about her bill", "Billing / Payment"],
			["Cust can't complain about the service", "Account / Service Inquiry"],
			["Customer not unhappy with the new rates", "Pricing Offers"],
			[
				"Confirmed she will not leave us; happy with the discount",
				"Pricing Offers",
			],
			["Customer no longer wants to switch", "Other / Unclassified"],
			// the negation of a neighbouring clause does not reach the mention
			["Not happy, wants to cancel", "Cancellation / Switch"],
			["Customer not satisfied with the bill", "Complaint / Escalation"],
		];
		for (const [text, intent] of cases)
			expect([text, classifyIntent(text)]).toEqual([text, intent]);
	});

	it("do not read other senses of cancel, switch and leave as churn", () => {
		const cases: [string, string][] = [
			[
				"Cust rang to cancel the engineer visit, will rebook",
				"Other / Unclassified",
			],
			[
				"Wants to cancel the direct debit and pay by transfer",
				"Billing / Payment",
			],
			["Cust wants to switch to paperless billing", "Billing / Payment"],
			["Asked to switch tariff to the night-rate plan", "Pricing Offers"],
			["Trip switch keeps going off", "Other / Unclassified"],
			[
				"Asked us to leave the reading card with the porter",
				"Other / Unclassified",
			],
			["Please leave a message on her mobile", "Other / Unclassified"],
			// the contract senses still count
			["Cust is switching to another supplier", "Cancellation / Switch"],
			[
				"Switch to another provider with a better tariff",
				"Cancellation / Switch",
			],
			["Wants to cancel the contract", "Cancellation / Switch"],
			["Wants to leave at the end of the month", "Cancellation / Switch"],
		];
		for (const [text, intent] of cases)
			expect([text, classifyIntent(text)]).toEqual([text, intent]);
	});
});

describe("CRM sentiment scorer rules", () => {
	const crm = createSentimentScorer();
	const vader = createSentimentScorer("vader");
	// Each case is one rule; VADER as shipped reads every one of them wrongly.
	const vaderWrong: [string, "negative" | "neutral" | "positive"][] = [
		["Explained the tariff again. Not satisfied.", "negative"], // case-insensitive negation
		["Meter reading provided. No action required.", "neutral"], // "no" is a negator, not a feeling
		["Meter checked; no issues found.", "neutral"], // negated problem: nothing wrong, not praise
		["Problem with the estimated bill fixed.", "positive"], // resolution cancels its problem
		[
			"Meter fault reported on Monday. Engineer fixed it the same day.",
			"positive",
		], // ... across sentences
		["Refund still not processed.", "negative"], // unresolved
		["The refund promised last month never arrived.", "negative"], // failed service event
		[
			"Customer has no complaints, just wanted her reading confirmed.",
			"positive",
		], // idiom
		["Customer confirmed she will not leave us.", "positive"], // retention
		['Customer said "thanks for nothing" and ended the call.', "negative"], // sarcasm
		["Oh great, another estimated bill.", "negative"], // sarcasm
		[
			"Asked about late payment interest on the outstanding balance.",
			"neutral",
		], // finance senses
		["Customer wants to cancel the direct debit.", "neutral"], // a request is procedure
		["Customer no longer angry after the refund.", "positive"], // negated anger
		["Outage in the area. Power is back since 14:00.", "positive"], // supply back = restored
		["Cust asked if we can fit a smart meter.", "neutral"], // product vocabulary
	];
	// Rules that keep the scorer's own additions from misfiring.
	const guards: [string, "negative" | "neutral" | "positive"][] = [
		[
			"Asked about the difference between the fixed and the indexed price.",
			"neutral",
		], // "fixed" adjective
		["Address on the invoices corrected.", "neutral"], // a correction without a problem is paperwork
		["Wrong address on the invoices corrected.", "positive"], // ... with one, a fix
		["Customer does not accept the new amount.", "negative"], // refused assent
		["Payment arrangement agreed.", "neutral"], // given assent is procedure
		[
			"Customer has not agreed to the new terms yet, thinking it over.",
			"neutral",
		], // pending, not refused
		["The app does not work.", "negative"], // failed service
		["The customer does not work on Fridays, call Mon-Thu.", "neutral"], // a person is the actor
		["Second call today to confirm the appointment.", "neutral"], // an ordinal alone is not repeat contact
		["Third call this week about the same error.", "negative"], // ... about the same thing it is
	];

	it("read the notes VADER gets wrong", async () => {
		const texts = vaderWrong.map(([t]) => t);
		const got = (await crm.score(texts)).map((s) => s.label);
		expect(texts.map((t, i) => [t, got[i]])).toEqual(vaderWrong);
		const plain = (await vader.score(texts)).map((s) => s.label);
		const vaderRight = vaderWrong.filter(([, label], i) => plain[i] === label);
		expect(vaderRight.map(([t]) => t)).toEqual([]);
	});

	it("do not misfire on the senses they were not written for", async () => {
		const texts = guards.map(([t]) => t);
		const got = (await crm.score(texts)).map((s) => s.label);
		expect(texts.map((t, i) => [t, got[i]])).toEqual(guards);
	});

	it("expand contact-centre shorthand before scoring", async () => {
		expect(
			normaliseNote("Cust v unhappy w/ pymt, req'd refund w/o delay"),
		).toBe(
			" customer very unhappy with payment, requested refund without delay ",
		);
		expect(normaliseNote("Cxl req. Doesnt want it, can't wait")).toBe(
			" cancel req. does not want it, can not wait ",
		);
		const [a] = await crm.score(["Cust says meter swapped w/o any problems"]);
		expect(a.label).toBe("neutral"); // "w/o" negates the problem
	});

	it("keep the negation scope inside the clause", async () => {
		const [a, b] = await crm.score([
			"No complaints, very happy with the new meter.",
			"Not happy with the new meter.",
		]);
		expect(a.label).toBe("positive");
		expect(b.label).toBe("negative");
	});

	it("weigh the clause after 'but' over the one before", async () => {
		const [a, b] = await crm.score([
			"Customer likes the app but is unhappy with the wait times.",
			"Customer was angry at first but satisfied once we corrected the reading.",
		]);
		expect(a.label).toBe("negative");
		expect(b.label).toBe("positive");
	});

	it("is named for what it is", () => {
		expect(crm.name).toBe("crm-rules");
		expect(vader.name).toBe("vader-lexicon");
	});
});

describe("lexicon sentiment scorer", () => {
	const scorer = createSentimentScorer();

	it("labels real sentences", async () => {
		const texts = [
			"Cust inquired about early contract cancel. Frustrated.",
			"Customer very angry about the terrible service and wants out.",
			"The customer thanked the agent and was very happy with the great service.",
			"The customer inquired about their upcoming renewal, expressing satisfaction with their current plan.",
			"Customer called about the meter reading date.",
			"Customer not satisfied with the bill.",
			"Customer is not happy with the new tariff.",
		];
		const labels = (await scorer.score(texts)).map((s) => s.label);
		expect(labels).toEqual([
			"negative",
			"negative",
			"positive",
			"positive",
			"neutral",
			"negative",
			"negative",
		]);
	});

	it("gives class scores that sum to 1 with the label as argmax", async () => {
		const out = await scorer.score([
			"Great, thanks!",
			"Awful experience.",
			"Asked for the invoice copy.",
			"",
		]);
		expect(out[3].label).toBe("neutral");
		for (const s of out) {
			expect(s.negative + s.neutral + s.positive).toBeCloseTo(1, 12);
			const best = Math.max(s.negative, s.neutral, s.positive);
			expect(s[s.label]).toBe(best);
		}
	});

	it("maps compound scores at VADER's cut-offs", () => {
		expect(scoresFromCompound(0).label).toBe("neutral");
		expect(scoresFromCompound(0).neutral).toBeCloseTo(
			1 / (1 + 2 * Math.exp(-0.5)),
			12,
		);
		expect(scoresFromCompound(0.05).label).toBe("positive");
		expect(scoresFromCompound(-0.05).label).toBe("negative");
		expect(scoresFromCompound(-0.6).negative).toBeGreaterThan(0.99);
	});

	// Its speed is measured by the bench (bench/sentiment.ts), not asserted here.
	it("is deterministic on 20,099 texts", async () => {
		const base = [
			"Customer not satisfied with bill",
			"Routine follow-up, all good",
			"Thanks, happy with the offer",
		];
		// ~2,000 distinct notes, like a template-heavy CRM extract; repeats are scored once.
		const texts = Array.from(
			{ length: 20_099 },
			(_, i) => `${base[i % 3]} ref ${i % 700}`,
		);
		const a = await scorer.score(texts);
		expect(a).toHaveLength(texts.length);
		expect(await createSentimentScorer().score(texts.slice(0, 500))).toEqual(
			a.slice(0, 500),
		);
	});
});
