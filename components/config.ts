/**
 * Stack configuration (Pulumi.<stack>.yaml, namespace `spanishgas`), validated
 * with zod: a value of the wrong type or range or an unknown key (a typo)
 * fails the program with a message naming the key. The stack needs no
 * secret: the report signs people in through Cognito (docs/security.md).
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { RUN_DEFAULTS } from "../runtime/contract.ts";
import {
	ECS_CAPABLE_STAGES,
	type EcsCapableStage,
} from "../runtime/pipeline/definition.ts";
import { LAMBDA_STAGES, type LambdaStage } from "./access.ts";
import { RAW_RETENTION_DAYS } from "./data-lake.ts";
import type { PlatformArgs } from "./platform.ts";
import { DEFAULT_RATE_LIMIT } from "./report-site.ts";
import { WEEKLY_RETRAIN } from "./retrain-schedule.ts";
import { LOG_RETENTION_DAYS } from "./runtime-function.ts";

/** The config namespace (the Pulumi project name). */
export const CONFIG_NAMESPACE = "spanishgas";

/**
 * The former report password (a shared Basic-auth secret), refused with a
 * message saying what replaced it.
 */
export const RETIRED_REPORT_PASSWORD_KEY = "reportPassword";

const sizing = z
	.object({
		memoryMb: z.number().int().min(128).max(10240).optional(),
		timeoutSeconds: z.number().int().min(1).max(900).optional(),
		ephemeralStorageMb: z.number().int().min(512).max(10240).optional(),
	})
	.strict();

const stageSizing = z
	.object(
		Object.fromEntries(LAMBDA_STAGES.map((s) => [s, sizing.optional()])) as {
			[K in LambdaStage]: z.ZodOptional<typeof sizing>;
		},
	)
	.strict();

/** Where a stage runs: "lambda", "fargate", or a sized Fargate task (docs/scaling.md). */
const stageRunner = z.union([
	z.enum(["lambda", "fargate"]),
	z
		.object({
			runner: z.literal("fargate"),
			cpu: z
				.union([
					z.literal(1024),
					z.literal(2048),
					z.literal(4096),
					z.literal(8192),
					z.literal(16384),
				])
				.optional(),
			memoryMb: z.number().int().min(2048).max(122880).optional(),
			ephemeralStorageGiB: z.number().int().min(21).max(200).optional(),
			timeoutSeconds: z.number().int().min(60).max(86400).optional(),
		})
		.strict(),
]);

const stageRunners = z
	.object(
		Object.fromEntries(
			ECS_CAPABLE_STAGES.map((s) => [s, stageRunner.optional()]),
		) as { [K in EcsCapableStage]: z.ZodOptional<typeof stageRunner> },
	)
	.strict();

/** Every key of the namespace, with its type, range and default. */
export const configSchema = z
	.object({
		alertEmail: z.email(),
		retrainSchedule: z
			.string()
			.regex(
				/^(cron\((\S+\s+){5}\S+\)|rate\(\d+\s+(minute|minutes|hour|hours|day|days)\))$/,
				'an EventBridge Scheduler expression such as "cron(0 6 ? * MON *)"',
			)
			.default(WEEKLY_RETRAIN),
		retrainEnabled: z.boolean().default(true),
		shardCount: z
			.number()
			.int()
			.min(1)
			.max(10000)
			.default(RUN_DEFAULTS.shardCount),
		maxConcurrency: z.number().int().min(1).max(1000).default(2),
		mapMode: z.enum(["INLINE", "DISTRIBUTED"]).default("INLINE"),
		ladder: z.boolean().default(true),
		promotionGate: z.number().min(0).max(1).default(RUN_DEFAULTS.gate),
		/** docs/models.md "Promotion": how much a candidate must beat the champion by. */
		promotionMargin: z
			.number()
			.min(0)
			.max(1)
			.default(RUN_DEFAULTS.promotionMargin),
		seed: z.number().int().default(RUN_DEFAULTS.seed),
		logRetentionDays: z
			.number()
			.int()
			.refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
				message: `must be one of ${LOG_RETENTION_DAYS.join(", ")} (CloudWatch Logs retention periods)`,
			})
			.default(30),
		stateMachineLogLevel: z.enum(["ALL", "ERROR", "FATAL"]).default("ERROR"),
		lambda: z
			.object({
				defaults: sizing.optional(),
				stages: stageSizing.optional(),
				trigger: sizing
					.extend({
						reservedConcurrency: z.number().int().min(1).max(50).optional(),
					})
					.strict()
					.optional(),
			})
			.strict()
			.default({}),
		report: z
			.object({
				cpu: z
					.union([
						z.literal(1024),
						z.literal(2048),
						z.literal(4096),
						z.literal(8192),
					])
					.optional(),
				memoryMb: z.number().int().min(2048).max(61440).optional(),
				defaultTtlSeconds: z.number().int().min(0).max(86400).optional(),
				domain: z
					.object({
						name: z
							.string()
							.regex(
								/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
								"a lower-case DNS name such as report.spanishgas.example",
							),
						certificateArn: z
							.string()
							.regex(
								/^arn:aws:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]{36}$/,
								"an ACM certificate ARN in us-east-1 (CloudFront only uses certificates there)",
							),
					})
					.strict()
					.optional(),
				rateLimit: z
					.number()
					.int()
					.min(10)
					.max(2_000_000_000)
					.default(DEFAULT_RATE_LIMIT),
				sessionMinutes: z.number().int().min(5).max(1440).default(60),
				authDomainPrefix: z
					.string()
					.regex(
						/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
						"lower-case letters, digits and hyphens (a Cognito domain prefix)",
					)
					.refine((p) => !/aws|amazon|cognito/.test(p), {
						message:
							'must not contain "aws", "amazon" or "cognito" (Cognito refuses it)',
					})
					.optional(),
			})
			.strict()
			.default({ rateLimit: DEFAULT_RATE_LIMIT, sessionMinutes: 60 }),
		lake: z
			.object({
				rawRetentionDays: z
					.number()
					.int()
					.min(1)
					.max(3650)
					.default(RAW_RETENTION_DAYS),
			})
			.strict()
			.default({ rawRetentionDays: RAW_RETENTION_DAYS }),
		github: z
			.object({
				repository: z
					.string()
					.regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, '"owner/name"'),
				environment: z
					.string()
					.regex(/^[A-Za-z0-9_.-]+$/, "a GitHub environment name")
					.optional(),
				oidcProviderArn: z
					.string()
					.regex(
						/^arn:aws:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/,
						"the ARN of the account's GitHub OIDC provider",
					)
					.optional(),
			})
			.strict()
			.optional(),
		stageRunners: stageRunners.default({}),
		protect: z.boolean().default(false),
		tags: z.record(z.string(), z.string()).default({}),
	})
	.strict();

export type StackConfig = z.infer<typeof configSchema>;

/** Keys whose values are plain strings in the YAML (everything else is JSON: numbers, booleans, objects). */
const STRING_KEYS = new Set([
	"alertEmail",
	"retrainSchedule",
	"mapMode",
	"stateMachineLogLevel",
]);

/** A stack configuration problem, naming the key(s). */
export class StackConfigError extends Error {
	override readonly name = "StackConfigError";
}

/** The keys the schema accepts at a path (for "unknown key" messages). */
function knownKeys(path: string[]): string[] {
	type Node = {
		shape?: Record<string, Node>;
		_zod?: { def?: { innerType?: Node } };
	};
	const unwrap = (n: Node | undefined): Node | undefined => {
		let node = n;
		while (node?._zod?.def?.innerType) node = node._zod.def.innerType;
		return node;
	};
	let node = unwrap(configSchema as unknown as Node);
	for (const seg of path) node = unwrap(node?.shape?.[seg]);
	return Object.keys(node?.shape ?? {});
}

function parseValue(key: string, raw: string): unknown {
	if (STRING_KEYS.has(key)) return raw;
	try {
		return JSON.parse(raw);
	} catch {
		return raw; // let the schema say what was expected
	}
}

/**
 * Validates raw config values (`key → string`, without the namespace, as
 * Pulumi stores them). Throws StackConfigError listing every bad key as
 * `spanishgas:<key>[.<path>]: <problem>`.
 */
export function parseStackConfig(raw: Record<string, string>): StackConfig {
	if (RETIRED_REPORT_PASSWORD_KEY in raw)
		throw new StackConfigError(
			`${CONFIG_NAMESPACE}:${RETIRED_REPORT_PASSWORD_KEY}: no longer used: the report signs people in with Cognito (see docs/security.md, "Adding people"). Remove it: \`pulumi config rm ${RETIRED_REPORT_PASSWORD_KEY}\`.`,
		);
	const input: Record<string, unknown> = {};
	for (const [k, v] of Object.entries(raw)) input[k] = parseValue(k, v);
	const result = configSchema.safeParse(input);
	if (!result.success) {
		const lines = result.error.issues.map((issue) => {
			const path = issue.path.map(String);
			const keys =
				issue.code === "unrecognized_keys"
					? issue.keys.map((k) => [...path, k].join("."))
					: [path.join(".")];
			const given = path.length > 0 ? raw[path[0]] : undefined;
			const message =
				issue.code === "unrecognized_keys"
					? `unknown key (known: ${knownKeys(path).join(", ")})`
					: issue.message;
			return keys
				.map(
					(k) =>
						`${CONFIG_NAMESPACE}:${k}: ${message}${given !== undefined && issue.code !== "unrecognized_keys" ? ` (got ${JSON.stringify(given)})` : ""}`,
				)
				.join("\n");
		});
		throw new StackConfigError(
			`Invalid stack configuration (Pulumi.${pulumi.getStack()}.yaml):\n${lines.join("\n")}`,
		);
	}
	return result.data;
}

/** The raw values of the namespace from Pulumi's config (secrets included, unwrapped). */
function rawNamespaceConfig(): Record<string, string> {
	const all = pulumi.runtime.allConfig();
	const prefix = `${CONFIG_NAMESPACE}:`;
	return Object.fromEntries(
		Object.entries(all)
			.filter(([k]) => k.startsWith(prefix))
			.map(([k, v]) => [k.slice(prefix.length), v]),
	);
}

/** Reads and validates the stack configuration, and maps it to the Platform's arguments. */
export function loadPlatformArgs(): PlatformArgs {
	const region = new pulumi.Config("aws").get("region");
	if (!region || !/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(region))
		throw new StackConfigError(
			`aws:region: must be an AWS region such as eu-west-1${region ? ` (got ${JSON.stringify(region)})` : " (not set: `pulumi config set aws:region eu-west-1`)"}`,
		);
	const c = parseStackConfig(rawNamespaceConfig());
	return {
		alertEmail: c.alertEmail,
		run: {
			shardCount: c.shardCount,
			promotionGate: c.promotionGate,
			promotionMargin: c.promotionMargin,
			seed: c.seed,
		},
		maxConcurrency: c.maxConcurrency,
		mapMode: c.mapMode,
		ladder: c.ladder,
		retrain: { expression: c.retrainSchedule, enabled: c.retrainEnabled },
		logRetentionDays: c.logRetentionDays,
		stateMachineLogLevel: c.stateMachineLogLevel,
		lambda: c.lambda,
		report: {
			cpu: c.report.cpu,
			memoryMb: c.report.memoryMb,
			defaultTtlSeconds: c.report.defaultTtlSeconds,
			domain: c.report.domain,
			rateLimit: c.report.rateLimit,
			sessionMinutes: c.report.sessionMinutes,
			authDomainPrefix: c.report.authDomainPrefix,
		},
		lake: { rawRetentionDays: c.lake.rawRetentionDays },
		github: c.github,
		stageRunners: c.stageRunners,
		protect: c.protect,
		tags: {
			project: "spanishgas-churn",
			stack: pulumi.getStack(),
			"managed-by": "pulumi",
			...c.tags,
		},
	};
}
