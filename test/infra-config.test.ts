/**
 * Stack configuration and component arguments: both stack files validate,
 * every kind of bad value is rejected with a message naming the key (also
 * through the real program under mocks), and the report site's access gate
 * behaves as CloudFront would run it.
 */
import * as nodeCrypto from "node:crypto";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import {
	CONFIG_NAMESPACE,
	parseStackConfig,
	StackConfigError,
} from "../components/config.ts";
import { basicAuthFunctionCode } from "../components/report-site.ts";
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
			report: { username: "spanishgas" },
		});
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

	it("the program fails without the report secret, saying how to set it", async () => {
		await expect(runProgram("dev", { withSecret: false })).rejects.toThrow(
			/spanishgas:reportPassword: missing.*pulumi config set --secret reportPassword/,
		);
	}, 60_000);

	it("the program refuses a short report password and a missing region", async () => {
		await expect(
			runProgram("dev", {
				overrides: { "spanishgas:reportPassword": "short" },
			}),
		).rejects.toThrow(
			/spanishgas:reportPassword: must be at least 12 characters/,
		);
		await expect(runProgram("dev", { remove: ["aws:region"] })).rejects.toThrow(
			/aws:region: .*not set/,
		);
	}, 60_000);
});

describe("report site access gate (CloudFront Function)", () => {
	const code = basicAuthFunctionCode("spanishgas", "correct-horse-battery");
	type Request = { uri: string; headers: Record<string, { value: string }> };
	const run = (request: Request) => {
		const ctx: Record<string, unknown> = {
			require: (m: string) => {
				if (m !== "crypto") throw new Error(`no module ${m}`);
				return nodeCrypto;
			},
			event: { request },
		};
		runInNewContext(`${code}\nresult = handler(event);`, ctx);
		return ctx.result as Request & { statusCode?: number };
	};
	const basic = (user: string, pw: string) => ({
		authorization: {
			value: `Basic ${Buffer.from(`${user}:${pw}`).toString("base64")}`,
		},
	});

	it("asks for credentials without them and refuses wrong ones", () => {
		expect(run({ uri: "/", headers: {} }).statusCode).toBe(401);
		expect(
			run({ uri: "/", headers: basic("spanishgas", "wrong-password-123") })
				.statusCode,
		).toBe(401);
		expect(
			run({ uri: "/", headers: basic("admin", "correct-horse-battery") })
				.statusCode,
		).toBe(401);
	});

	it("passes the right credentials through and maps folders to index.html", () => {
		const ok = basic("spanishgas", "correct-horse-battery");
		expect(run({ uri: "/", headers: ok }).uri).toBe("/index.html");
		expect(run({ uri: "/churn/", headers: ok }).uri).toBe("/churn/index.html");
		expect(run({ uri: "/churn", headers: ok }).uri).toBe("/churn/index.html");
		expect(run({ uri: "/_app/x.js", headers: ok }).uri).toBe("/_app/x.js");
	});

	it("refuses a short password or a user name with a colon", () => {
		expect(() => basicAuthFunctionCode("spanishgas", "short")).toThrow(
			/at least 12 characters/,
		);
		expect(() => basicAuthFunctionCode("a:b", "long-enough-password")).toThrow(
			/username/,
		);
	});
});
