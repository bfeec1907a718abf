import { describe, expect, it } from "vitest";
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
			["Customer complained about the call wait", "Other / Unclassified"], // "complained" is not in the spec list
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
		expect(classifyIntent("Asked about the planet-friendly tariff")).toBe(
			"Other / Unclassified",
		);
		expect(classifyIntent("Asked about plans")).toBe("Plan / Product Inquiry");
		expect(classifyIntent("Billed twice")).toBe("Other / Unclassified"); // "billed" is not listed
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

	it("is deterministic and fast on 20,099 texts", async () => {
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
		const t0 = performance.now();
		const a = await scorer.score(texts);
		const seconds = (performance.now() - t0) / 1000;
		expect(seconds).toBeLessThan(5); // ≈ 2,100 distinct notes × ≈ 0.25 ms; generous because the 2 cores are shared
		expect(await createSentimentScorer().score(texts.slice(0, 500))).toEqual(
			a.slice(0, 500),
		);
	});
});
