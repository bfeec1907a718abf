/**
 * Stack configuration and component arguments: both stack files validate,
 * every kind of bad value is rejected with a message naming the key (also
 * through the real program under mocks), the retired report password is
 * refused with a message, and the report's Lambda@Edge sign-in check behaves
 * as CloudFront would run it (test/infra-edge-auth.test.ts).
 */
import { describe, expect, it } from "vitest";
import {
	CONFIG_NAMESPACE,
	parseStackConfig,
	StackConfigError,
} from "../components/config.ts";
import { runProgram, stackConfig } from "./support/infra-harness.ts";

/** A stack file's values without the namespace, as parseStackConfig takes them. */
function rawOf(stack: string): Record<string, string> {
	return Object.fromEntries(
		Object.entries(stackConfig(stack))
			.filter(([k]) => k.startsWith(`${CONFIG_NAMESPACE}:`))
			.map(([k, v]) => [k.slice(CONFIG_NAMESPACE.length + 1), v]),
	);
}

describe("stack configuration", () => {
	it("both stack files validate, with their values", () => {
		const dev = parseStackConfig(rawOf("dev"));
		expect(dev).toMatchObject({
			shardCount: 4,
			logRetentionDays: 14,
			retrainSchedule: "cron(0 6 ? * MON *)",
			mapMode: "INLINE",
		});
		const prod = parseStackConfig(rawOf("prod"));
		expect(prod).toMatchObject({
			shardCount: 8,
			logRetentionDays: 90,
			protect: true,
			github: { repository: "spanishgas/churn-platform" },
		});
		expect(prod.lambda.stages?.Train?.memoryMb).toBe(6144);
	});

	it("defaults every optional key", () => {
		expect(parseStackConfig({ alertEmail: "a@b.example" })).toMatchObject({
			retrainSchedule: "cron(0 6 ? * MON *)",
			retrainEnabled: true,
			shardCount: 8,
			maxConcurrency: 2,
			promotionGate: 0.7,
			logRetentionDays: 30,
			protect: false,
			report: { rateLimit: 300, sessionMinutes: 60 },
			lake: { rawRetentionDays: 90 },
			ladder: true,
		});
		expect(
			parseStackConfig({ alertEmail: "a@b.example", ladder: "false" }).ladder,
		).toBe(false);
	});

	const bad: Array<[string, Record<string, string>, RegExp]> = [
		[
			"a non-number",
			{ shardCount: "lots" },
			/spanishgas:shardCount: .*\(got "lots"\)/,
		],
		["out of range", { shardCount: "0" }, /spanishgas:shardCount: /],
		["a fraction", { seed: "1.5" }, /spanishgas:seed: /],
		["a gate above 1", { promotionGate: "1.2" }, /spanishgas:promotionGate: /],
		[
			"a retention CloudWatch refuses",
			{ logRetentionDays: "10" },
			/spanishgas:logRetentionDays: must be one of 1, 3, 5, 7, 14/,
		],
		["a bad e-mail", { alertEmail: "alerts" }, /spanishgas:alertEmail: /],
		["an unknown map mode", { mapMode: "FAST" }, /spanishgas:mapMode: /],
		[
			"a schedule that is not an expression",
			{ retrainSchedule: "every monday" },
			/spanishgas:retrainSchedule: .*cron\(0 6 \? \* MON \*\)/,
		],
		[
			"a nested Lambda size out of range",
			{ lambda: JSON.stringify({ stages: { Train: { memoryMb: 20000 } } }) },
			/spanishgas:lambda\.stages\.Train\.memoryMb: /,
		],
		[
			"a stage that does not exist",
			{ lambda: JSON.stringify({ stages: { Trian: { memoryMb: 2048 } } }) },
			/spanishgas:lambda\.stages\.Trian: unknown key \(known: ValidateRaw, BronzeShard/,
		],
		[
			"a typo in a key",
			{ shardcount: "8" },
			/spanishgas:shardcount: unknown key/,
		],
		[
			"a repository that is not owner/name",
			{ github: JSON.stringify({ repository: "churn" }) },
			/spanishgas:github\.repository: /,
		],
		["a boolean as text", { protect: "yes" }, /spanishgas:protect: /],
		[
			"a certificate outside us-east-1 (CloudFront cannot use it)",
			{
				report: JSON.stringify({
					domain: {
						name: "report.spanishgas.example",
						certificateArn:
							"arn:aws:acm:eu-west-1:123456789012:certificate/0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7",
					},
				}),
			},
			/spanishgas:report\.domain\.certificateArn: an ACM certificate ARN in us-east-1/,
		],
		[
			"a rate limit WAF refuses",
			{ report: JSON.stringify({ rateLimit: 5 }) },
			/spanishgas:report\.rateLimit: /,
		],
		[
			"a Cognito domain prefix Cognito refuses",
			{ report: JSON.stringify({ authDomainPrefix: "spanishgas-cognito" }) },
			/spanishgas:report\.authDomainPrefix: must not contain/,
		],
		[
			"a raw retention of zero days",
			{ lake: JSON.stringify({ rawRetentionDays: 0 }) },
			/spanishgas:lake\.rawRetentionDays: /,
		],
		[
			"the old report user name",
			{ report: JSON.stringify({ username: "spanishgas" }) },
			/spanishgas:report\.username: unknown key/,
		],
		[
			"the old deploy branch (deploys go through an environment now)",
			{ github: JSON.stringify({ repository: "a/b", branch: "main" }) },
			/spanishgas:github\.branch: unknown key/,
		],
		[
			"an environment name GitHub refuses",
			{
				github: JSON.stringify({ repository: "a/b", environment: "prod env" }),
			},
			/spanishgas:github\.environment: /,
		],
	];
	for (const [what, values, message] of bad)
		it(`rejects ${what}, naming the key`, () => {
			const raw = { ...rawOf("dev"), ...values };
			expect(() => parseStackConfig(raw)).toThrow(StackConfigError);
			expect(() => parseStackConfig(raw)).toThrow(message);
		});

	it("the program fails on a bad value before declaring anything", async () => {
		await expect(
			runProgram("prod", { overrides: { "spanishgas:maxConcurrency": "-1" } }),
		).rejects.toThrow(/spanishgas:maxConcurrency: /);
	}, 60_000);

	it("the program needs no secret, and refuses a leftover report password saying what replaced it", async () => {
		const run = await runProgram("dev");
		expect(run.outputs.reportUserPoolId).toBeDefined();
		await expect(
			runProgram("dev", {
				overrides: { "spanishgas:reportPassword": "correct-horse-battery" },
			}),
		).rejects.toThrow(
			/spanishgas:reportPassword: no longer used: the report signs people in with Cognito.*pulumi config rm reportPassword/,
		);
		await expect(runProgram("dev", { remove: ["aws:region"] })).rejects.toThrow(
			/aws:region: .*not set/,
		);
	}, 120_000);
});
