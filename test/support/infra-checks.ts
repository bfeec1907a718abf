/**
 * The checks every stack must pass under mocks (test/infra-dev.test.ts and
 * test/infra-prod.test.ts run them with Pulumi.dev.yaml and Pulumi.prod.yaml).
 */
import aslValidator from "asl-validator";
import { beforeAll, describe, expect, it } from "vitest";
import {
	DISTRIBUTED_MAP_ACCESS,
	LAMBDA_STAGES,
	METRIC_NAMESPACE,
	MODEL_ITEMS,
	type PolicyDocument,
	type PolicyStatement,
	RECONCILER_ACCESS,
	REPORT_ACCESS,
	RUN_ITEMS,
	STAGE_ACCESS,
	TRIGGER_ACCESS,
} from "../../components/access.ts";
import { STAGE_SIZING } from "../../components/pipeline-stage.ts";
import {
	ECS_RUN_TASK_SYNC,
	reportTaskParameters,
} from "../../components/state-machine.ts";
import { buildDefinition } from "../../runtime/pipeline/definition.ts";
import { STAGE_NODE_OPTIONS } from "../../runtime/pipeline/node-options.ts";
import {
	ACCOUNT,
	inventory,
	type Json,
	type ProgramRun,
	REGION,
	runProgram,
	stackConfig,
} from "./infra-harness.ts";
import {
	ALLOW_EVERYTHING,
	decide,
	POWER_USER_ACCESS,
	type Request,
} from "./infra-iam.ts";

const T = {
	bucket: "aws:s3/bucket:Bucket",
	sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
	versioning: "aws:s3/bucketVersioning:BucketVersioning",
	block: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
	ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
	bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
	lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
	fn: "aws:lambda/function:Function",
	role: "aws:iam/role:Role",
	rolePolicy: "aws:iam/rolePolicy:RolePolicy",
	logGroup: "aws:cloudwatch/logGroup:LogGroup",
	alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
	sfn: "aws:sfn/stateMachine:StateMachine",
	schedule: "aws:scheduler/schedule:Schedule",
	table: "aws:dynamodb/table:Table",
	topic: "aws:sns/topic:Topic",
	subscription: "aws:sns/topicSubscription:TopicSubscription",
	distribution: "aws:cloudfront/distribution:Distribution",
	cfFunction: "aws:cloudfront/function:Function",
	oac: "aws:cloudfront/originAccessControl:OriginAccessControl",
	taskDef: "aws:ecs/taskDefinition:TaskDefinition",
	cluster: "aws:ecs/cluster:Cluster",
	image: "awsx:ecr:Image",
	repo: "aws:ecr/repository:Repository",
	notification: "aws:s3/bucketNotification:BucketNotification",
	oidc: "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
	subnet: "aws:ec2/subnet:Subnet",
	sg: "aws:ec2/securityGroup:SecurityGroup",
	kmsKey: "aws:kms/key:Key",
	logging: "aws:s3/bucketLogging:BucketLogging",
	iamPolicy: "aws:iam/policy:Policy",
	attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
	userPool: "aws:cognito/userPool:UserPool",
	userPoolClient: "aws:cognito/userPoolClient:UserPoolClient",
	userGroup: "aws:cognito/userGroup:UserGroup",
	webAcl: "aws:wafv2/webAcl:WebAcl",
	logSource: "aws:cloudwatch/logDeliverySource:LogDeliverySource",
	logDestination:
		"aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination",
	logDelivery: "aws:cloudwatch/logDelivery:LogDelivery",
	ssmParameter: "aws:ssm/parameter:Parameter",
	queue: "aws:sqs/queue:Queue",
	eventRule: "aws:cloudwatch/eventRule:EventRule",
} as const;

const asArray = <X>(x: X | X[] | undefined): X[] =>
	x === undefined ? [] : Array.isArray(x) ? x : [x];

/** An S3 key pattern as a regular expression (IAM semantics: `*` matches anything). */
const patternRegex = (p: string) =>
	new RegExp(
		`^${p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`,
	);

function config(stack: string, overrides: Record<string, string> = {}) {
	const c = { ...stackConfig(stack), ...overrides };
	const json = (k: string) =>
		c[`spanishgas:${k}`] === undefined
			? undefined
			: JSON.parse(c[`spanishgas:${k}`]);
	return { raw: c, json };
}

/**
 * Registers the checks for a stack; `overrides` changes config values (as
 * `pulumi config set` would) for a variant of the stack.
 */
export function describeStack(
	stack: "dev" | "prod",
	overrides: Record<string, string> = {},
): void {
	const variant = Object.keys(overrides).length
		? ` with ${Object.entries(overrides)
				.map(([k, v]) => `${k}=${v}`)
				.join(", ")}`
		: "";
	describe(`stack ${stack}${variant} under mocks`, () => {
		let run: ProgramRun;
		const cfg = config(stack, overrides);
		const lake = () => run.byName(T.bucket, "-lake");
		const alertKey = () =>
			run.ofType(T.kmsKey).filter((k) => !k.name.endsWith("-lake-key"))[0];
		const fnOf = (stage: string) => run.byName(T.fn, `spanishgas-${stage}`);
		const policyOf = (logical: string): PolicyDocument =>
			JSON.parse(run.byName(T.rolePolicy, logical).inputs.policy);
		const stagePolicy = (stage: string) =>
			policyOf(`spanishgas-${stage}-policy`);

		beforeAll(async () => {
			run = await runProgram(stack, { overrides });
		}, 180_000);

		it("keeps the run manifest and the registry encrypted, recoverable and, in a protected stack, undeletable", () => {
			// Written out by hand (not read from the component): the key schema the
			// runtime's DynamoDB code (runtime/io/dynamodb-manifest.ts,
			// runtime/model/aws-registry.ts) reads and writes.
			const prot = cfg.json("protect") === true;
			expect(prot).toBe(stack === "prod");
			for (const suffix of ["-manifest", "-registry"]) {
				const t = run.byName(T.table, suffix).inputs;
				expect(t, suffix).toMatchObject({
					billingMode: "PAY_PER_REQUEST",
					hashKey: "pk",
					rangeKey: "sk",
					serverSideEncryption: { enabled: true },
					pointInTimeRecovery: { enabled: true },
					deletionProtectionEnabled: prot,
				});
				expect(
					[...t.attributes].sort((a: { name: string }, b: { name: string }) =>
						a.name.localeCompare(b.name),
					),
					suffix,
				).toEqual([
					{ name: "pk", type: "S" },
					{ name: "sk", type: "S" },
				]);
				expect(t.globalSecondaryIndexes ?? [], suffix).toEqual([]);
			}
		});

		it("runs to completion and declares the expected inventory", () => {
			const counts = inventory(run.resources);
			console.log(`[infra] ${stack} inventory`, JSON.stringify(counts));
			const stages = LAMBDA_STAGES.length;
			const github = cfg.json("github") ? 1 : 0;
			expect(counts[T.fn]).toBe(stages + 1 + 1 + 1); // stages + trigger + reconciler + report sign-in (Lambda@Edge)
			expect(counts["spanishgas:pipeline:PipelineStage"]).toBe(stages);
			expect(counts[T.logGroup]).toBe(stages + 2 + 1 + 1); // functions, state machine, report task
			expect(counts[T.queue]).toBe(2); // the trigger's and the reconciler's dead letters
			expect(counts[T.eventRule]).toBe(2); // execution status changes, the sweep
			expect(counts[T.sfn]).toBe(1);
			expect(counts[T.table]).toBe(2);
			expect(counts[T.bucket]).toBe(3); // lake, report site, logs
			expect(counts[T.topic]).toBe(1);
			expect(counts[T.subscription]).toBe(1);
			expect(counts[T.schedule]).toBe(1);
			expect(counts[T.notification]).toBe(1);
			expect(counts[T.distribution]).toBe(1);
			expect(counts[T.cfFunction] ?? 0).toBe(0); // the Basic-auth gate is gone
			expect(counts[T.userPool]).toBe(1);
			expect(counts[T.webAcl]).toBe(1);
			expect(counts[T.logDelivery]).toBe(1);
			expect(counts[T.oac]).toBe(1);
			expect(counts[T.image]).toBe(1);
			expect(counts[T.taskDef]).toBe(1);
			expect(counts[T.cluster]).toBe(1);
			expect(counts[T.oidc] ?? 0).toBe(
				github && !cfg.json("github")?.oidcProviderArn ? 1 : 0,
			);
			// stage roles + trigger + reconciler + state machine + scheduler + task + execution + edge sign-in (+ deploy + preview)
			expect(counts[T.role]).toBe(stages + 2 + 1 + 1 + 2 + 1 + 2 * github);
			expect(counts["spanishgas:index:Platform"]).toBe(1);
			expect(run.outputs.reportUrl).toBe(
				`https://${cfg.json("report")?.domain?.name ?? "d1234abcd.cloudfront.net"}/`,
			);
			expect(run.outputs.uploadInstructions).toMatch(
				new RegExp(`s3://${lake().state.bucket}/raw/<batch_id>/`),
			);
		});

		it("every bucket is encrypted, versioned, private (all public access blocked, no ACLs) and TLS-only", () => {
			const buckets = run.ofType(T.bucket);
			expect(buckets.length).toBeGreaterThan(0);
			for (const b of buckets) {
				const of = (type: string) =>
					run.ofType(type).filter((r) => r.inputs.bucket === b.id);
				const [sse] = of(T.sse);
				expect(sse, b.name).toBeDefined();
				expect(
					sse.inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm,
				).toMatch(/^(aws:kms|AES256)$/);
				expect(of(T.versioning)[0]?.inputs.versioningConfiguration.status).toBe(
					"Enabled",
				);
				expect(of(T.block)[0]?.inputs).toMatchObject({
					blockPublicAcls: true,
					blockPublicPolicy: true,
					ignorePublicAcls: true,
					restrictPublicBuckets: true,
				});
				expect(of(T.ownership)[0]?.inputs.rule.objectOwnership).toBe(
					"BucketOwnerEnforced",
				);
				const policies = of(T.bucketPolicy);
				expect(policies, b.name).toHaveLength(1);
				const doc = JSON.parse(policies[0].inputs.policy) as PolicyDocument;
				const arn = b.state.arn;
				expect(doc.Statement).toContainEqual({
					Sid: "DenyInsecureTransport",
					Effect: "Deny",
					Principal: "*",
					Action: "s3:*",
					Resource: [arn, `${arn}/*`],
					Condition: { Bool: { "aws:SecureTransport": "false" } },
				});
				// Nothing is granted to everyone.
				for (const s of doc.Statement)
					if (s.Effect === "Allow") expect(s.Principal).not.toBe("*");
				expect(b.inputs.acl).toBeUndefined();
			}
		});

		it("the lake's lifecycle moves bronze to STANDARD_IA after 90 days and expires scored outputs after 365", () => {
			const rules = run
				.ofType(T.lifecycle)
				.find((l) => l.inputs.bucket === lake().id)?.inputs
				.rules as Array<Json>;
			const bronze = rules.find((r) => r.filter?.and?.tags?.layer === "bronze");
			expect(bronze?.status).toBe("Enabled");
			expect(bronze?.filter.and.prefix).toBe("runs/");
			expect(bronze?.transitions).toEqual([
				{ days: 90, storageClass: "STANDARD_IA" },
			]);
			const scored = rules.find((r) => r.filter?.and?.tags?.layer === "scored");
			expect(scored?.expiration).toEqual({ days: 365 });
			expect(
				rules.find((r) => r.id === "noncurrent-versions")
					?.noncurrentVersionExpiration,
			).toEqual({ noncurrentDays: 30 });
		});

		it("the lake is encrypted with its own rotating KMS key, usable only through S3 in this account, and logs every access to the log bucket", () => {
			const key = run.byName(T.kmsKey, "-lake-key");
			expect(key.inputs).toMatchObject({
				enableKeyRotation: true,
				deletionWindowInDays: 30,
			});
			const sse = run.ofType(T.sse).find((e) => e.inputs.bucket === lake().id)
				?.inputs.rules[0];
			expect(sse).toEqual({
				applyServerSideEncryptionByDefault: {
					sseAlgorithm: "aws:kms",
					kmsMasterKeyId: key.state.arn,
				},
				bucketKeyEnabled: true,
			});
			// The key policy: the account administers it; anyone else only through S3 here.
			const policy = JSON.parse(key.inputs.policy) as PolicyDocument;
			for (const st of policy.Statement) {
				expect(st.Effect).toBe("Allow");
				const principal = (st.Principal as { AWS?: string }).AWS;
				if (principal === `arn:aws:iam::${ACCOUNT}:root`) continue;
				expect(st.Condition, st.Sid).toEqual({
					StringEquals: {
						"kms:CallerAccount": ACCOUNT,
						"kms:ViaService": `s3.${REGION}.amazonaws.com`,
					},
				});
				for (const a of asArray(st.Action))
					expect(a, st.Sid).toMatch(
						/^kms:(Encrypt|Decrypt|ReEncrypt\*|GenerateDataKey\*|DescribeKey)$/,
					);
			}
			// S3 server access logs of the lake and the site go to the dedicated log bucket.
			const logs = run.byName(T.bucket, "-logs");
			const logging = (b: Json) =>
				run.ofType(T.logging).find((l) => l.inputs.bucket === b.id)?.inputs;
			expect(logging(lake())).toEqual({
				bucket: lake().id,
				targetBucket: logs.state.bucket,
				targetPrefix: "s3/lake/",
			});
			expect(
				logging(run.byName(T.bucket, "-report-content"))?.targetBucket,
			).toBe(logs.state.bucket);
			expect(logging(logs)).toBeUndefined();
			// Logs: SSE-S3 (S3 access logging cannot write SSE-KMS), expiring, and only the log service, per source.
			expect(
				run.ofType(T.sse).find((e) => e.inputs.bucket === logs.id)?.inputs
					.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm,
			).toBe("AES256");
			const logPolicy = JSON.parse(
				run.ofType(T.bucketPolicy).find((p) => p.inputs.bucket === logs.id)
					?.inputs.policy,
			) as PolicyDocument;
			const s3Logs = logPolicy.Statement.filter(
				(s) =>
					(s.Principal as { Service?: string })?.Service ===
					"logging.s3.amazonaws.com",
			);
			expect(
				s3Logs.map((s) => [
					s.Resource,
					s.Condition?.ArnEquals?.["aws:SourceArn"],
				]),
			).toEqual([
				[`${logs.state.arn}/s3/lake/*`, lake().state.arn],
				[
					`${logs.state.arn}/s3/report-site/*`,
					run.byName(T.bucket, "-report-content").state.arn,
				],
			]);
			for (const s of s3Logs)
				expect(s.Condition?.StringEquals).toEqual({
					"aws:SourceAccount": ACCOUNT,
				});
		});

		it("raw uploads (personal data) expire after the configured retention", () => {
			const rules = run
				.ofType(T.lifecycle)
				.find((l) => l.inputs.bucket === lake().id)?.inputs
				.rules as Array<Json>;
			const raw = rules.filter((r) => r.filter?.prefix === "raw/");
			expect(raw).toEqual([
				{
					id: "raw-expiry",
					status: "Enabled",
					filter: { prefix: "raw/" },
					expiration: { days: cfg.json("lake")?.rawRetentionDays ?? 90 },
				},
			]);
		});

		it("every stage function runs the packaged runtime on nodejs22.x with its own role, log group, sizes and environment", () => {
			const retention = cfg.json("logRetentionDays");
			const lambdaCfg = cfg.json("lambda") ?? {};
			const table = (suffix: string) => run.byName(T.table, suffix).state;
			for (const stage of LAMBDA_STAGES) {
				const fn = fnOf(stage);
				expect(fn.inputs.runtime).toBe("nodejs22.x");
				expect(fn.inputs.handler).toBe("__index.handler");
				const role = run.byName(T.role, `spanishgas-${stage}-role`);
				expect(fn.inputs.role).toBe(role.state.arn);
				expect(role.inputs.path).toBe("/spanishgas/");
				const logGroup = run.byName(T.logGroup, `spanishgas-${stage}-logs`);
				expect(fn.inputs.loggingConfig.logGroup).toBe(logGroup.state.name);
				expect(logGroup.inputs.retentionInDays).toBe(retention);
				const want = {
					...STAGE_SIZING[stage],
					...lambdaCfg.defaults,
					...lambdaCfg.stages?.[stage],
				};
				expect(fn.inputs.memorySize, stage).toBe(want.memoryMb);
				expect(fn.inputs.timeout, stage).toBe(want.timeoutSeconds);
				expect(fn.inputs.ephemeralStorage.size, stage).toBe(
					want.ephemeralStorageMb,
				);
				expect(fn.inputs.environment.variables).toEqual({
					NODE_OPTIONS: STAGE_NODE_OPTIONS,
					LAKE_BUCKET: lake().state.bucket,
					STATE_TABLE: table("-manifest").name,
					REGISTRY_TABLE: table("-registry").name,
					ALERT_TOPIC_ARN: run.ofType(T.topic)[0].state.arn,
					STACK_NAME: stack,
					SHARD_COUNT: String(cfg.json("shardCount")),
					PROMOTION_GATE: String(cfg.json("promotionGate")),
					PROMOTION_MARGIN: String(cfg.json("promotionMargin") ?? 0.005),
					SEED: String(cfg.json("seed")),
					...(stage === "MarkSucceeded" || stage === "MarkFailed"
						? {
								SITE_BUCKET: run.byName(T.bucket, "-report-content").state
									.bucket,
							}
						: {}),
				});
				expect(fn.inputs.tags.environment).toBe(stack);
			}
			const trigger = run.byName(T.fn, "spanishgas-trigger-fn");
			expect(trigger.inputs.runtime).toBe("nodejs22.x");
			expect(trigger.inputs.environment.variables.STATE_MACHINE_ARN).toBe(
				run.ofType(T.sfn)[0].state.arn,
			);
		});

		it("every role's policy stays within its stage's prefixes, tables and actions (no * on data)", () => {
			const lakeArn = lake().state.arn;
			const manifestArn = run.byName(T.table, "-manifest").state.arn;
			const registryArn = run.byName(T.table, "-registry").state.arn;
			const topicArn = run.ofType(T.topic)[0].state.arn;
			const keyArn = alertKey().state.arn;
			const check = (
				who: string,
				doc: PolicyDocument,
				access: typeof REPORT_ACCESS,
			) => {
				const allowedObjects = (actions: string[]) =>
					actions.includes("s3:DeleteObject")
						? (access.deletes ?? [])
						: actions.includes("s3:GetObjectVersion")
							? (access.pinnedReads ?? [])
							: actions.some((a) => a === "s3:GetObject")
								? access.reads
								: access.writes;
				for (const s of doc.Statement) {
					expect(s.Effect, who).toBe("Allow");
					const actions = asArray(s.Action);
					const resources = asArray(s.Resource);
					for (const a of actions) {
						expect(a, `${who}: wildcard action`).not.toMatch(/\*/);
					}
					// Reads and deletes are never granted by a write grant.
					if (actions.includes("s3:DeleteObject"))
						expect(actions, who).toEqual(["s3:DeleteObject"]);
					for (const r of resources) {
						if (r === "*") {
							// Only metric publishing, scoped by its namespace condition.
							expect(actions, who).toEqual(["cloudwatch:PutMetricData"]);
							expect(s.Condition).toEqual({
								StringEquals: { "cloudwatch:namespace": METRIC_NAMESPACE },
							});
							continue;
						}
						if (actions.some((a) => a.startsWith("s3:"))) {
							if (actions.includes("s3:ListBucket")) {
								expect(actions, who).toEqual(["s3:ListBucket"]);
								expect(r).toBe(lakeArn);
								// Listing only where the stage reads (or lists), never the whole bucket.
								expect(s.Condition, `${who}: ListBucket`).toEqual({
									StringLike: {
										"s3:prefix": [
											...new Set([...access.reads, ...(access.lists ?? [])]),
										],
									},
								});
								continue;
							}
							expect(r.startsWith(`${lakeArn}/`), `${who}: ${r}`).toBe(true);
							const key = r.slice(lakeArn.length + 1);
							expect(key, `${who}: bare * on the lake`).not.toBe("*");
							const allowed = allowedObjects(actions);
							expect(allowed, `${who}: ${actions} on ${key}`).toContain(key);
							// A write grant of one stage is never reads of everything.
							expect(key.length).toBeGreaterThan(2);
						} else if (actions.some((a) => a.startsWith("dynamodb:"))) {
							const table = r;
							if (table === manifestArn)
								expect(access.manifest, who).not.toBe("none");
							else if (table === registryArn)
								expect(access.registry, who).not.toBe("none");
							else throw new Error(`${who}: table ${r}`);
							const level =
								table === manifestArn ? access.manifest : access.registry;
							if (actions.some((a) => /Put|Delete/.test(a)))
								expect(level, who).toBe("readwrite");
							else if (actions.includes("dynamodb:UpdateItem"))
								expect(["update", "readwrite"], who).toContain(level);
							if (actions.includes("dynamodb:Scan")) {
								// Scan names no key: alone, on the manifest, for readers (and the reconciler's sweep) only.
								expect(actions, who).toEqual(["dynamodb:Scan"]);
								expect(table, who).toBe(manifestArn);
								if (!access.manifestScan)
									expect(["read", "readwrite"], who).toContain(level);
								continue;
							}
							// Every keyed action is limited to the item kinds the stage uses.
							expect(
								s.Condition,
								`${who}: ${actions} without LeadingKeys`,
							).toEqual({
								"ForAllValues:StringLike": {
									"dynamodb:LeadingKeys":
										table === manifestArn
											? [...(access.manifestKeys ?? RUN_ITEMS)]
											: [...MODEL_ITEMS],
								},
							});
						} else if (actions.includes("sns:Publish")) {
							expect(r).toBe(topicArn);
							expect(access.alerts).toBe(true);
						} else if (actions.some((a) => a.startsWith("kms:"))) {
							expect(r).toBe(keyArn);
						} else if (actions.some((a) => a.startsWith("logs:"))) {
							expect(r).toMatch(/^arn:aws:logs:.*:log-group:.*:\*$/);
						} else if (actions.includes("states:StartExecution")) {
							expect(who).toBe("trigger");
							expect(actions).toEqual(["states:StartExecution"]);
							expect(r).toBe(run.ofType(T.sfn)[0].state.arn);
						} else if (actions.includes("states:DescribeExecution")) {
							// Only this state machine's executions (the runs).
							expect(["trigger", "reconciler"]).toContain(who);
							expect(actions).toEqual(["states:DescribeExecution"]);
							expect(r).toBe(
								`${run
									.ofType(T.sfn)[0]
									.state.arn.replace(":stateMachine:", ":execution:")}:*`,
							);
						} else if (actions.includes("sqs:SendMessage")) {
							// Its own dead-letter queue only.
							expect(actions).toEqual(["sqs:SendMessage"]);
							expect(r).toBe(
								run.byName(
									T.queue,
									who === "trigger" ? "-trigger-dlq" : "-reconciler-dlq",
								).state.arn,
							);
						} else throw new Error(`${who}: unexpected ${actions} on ${r}`);
					}
				}
			};
			const siteArn = run.byName(T.bucket, "-report-content").state.arn;
			const onSite = (st: PolicyDocument["Statement"][number]) =>
				asArray(st.Resource).some((r) => r.startsWith(siteArn));
			// MarkSucceeded switches the live site, MarkFailed switches it back
			// (docs/run-lifecycle.md): they alone hold site-bucket grants, on it only.
			const SITE_SWITCHERS: readonly string[] = ["MarkSucceeded", "MarkFailed"];
			for (const stage of LAMBDA_STAGES) {
				const full = stagePolicy(stage);
				const siteStatements = full.Statement.filter(onSite);
				if (SITE_SWITCHERS.includes(stage)) {
					expect(siteStatements.length, stage).toBeGreaterThan(0);
					for (const st of siteStatements)
						for (const r of asArray(st.Resource))
							expect([siteArn, `${siteArn}/*`], stage).toContain(r);
				} else expect(siteStatements, stage).toEqual([]);
				const doc = {
					...full,
					Statement: full.Statement.filter((st) => !onSite(st)),
				};
				check(stage, doc, STAGE_ACCESS[stage]);
				// Own log group only.
				const logs = doc.Statement.find((s) => s.Sid === "OwnLogs");
				expect(logs?.Resource).toBe(
					`${run.byName(T.logGroup, `spanishgas-${stage}-logs`).state.arn}:*`,
				);
				// Exactly the prefixes of the access table: nothing missing either.
				const granted = (sid: string) =>
					asArray(doc.Statement.find((s) => s.Sid === sid)?.Resource).map((r) =>
						r.slice(lakeArn.length + 1),
					);
				expect(granted("LakeRead").sort()).toEqual(
					[...new Set(STAGE_ACCESS[stage].reads)].sort(),
				);
				expect(granted("LakeWrite").sort()).toEqual(
					[...new Set(STAGE_ACCESS[stage].writes)].sort(),
				);
				// The runtime never deletes from the lake: no stage may.
				expect(
					doc.Statement.flatMap((s) => asArray(s.Action)),
					stage,
				).not.toContain("s3:DeleteObject");
				// Keyed table actions only on the manifest's and registry's own item kinds.
				for (const s of doc.Statement.filter((s) =>
					asArray(s.Action).some((a) => a.startsWith("dynamodb:")),
				)) {
					const keys = s.Condition?.["ForAllValues:StringLike"]?.[
						"dynamodb:LeadingKeys"
					] as string[] | undefined;
					if (asArray(s.Action).includes("dynamodb:Scan")) continue;
					expect(keys, `${stage} ${s.Sid}`).toBeDefined();
					for (const k of keys ?? [])
						expect(["RUN#*", "BATCH#*", "MODEL#*"], stage).toContain(k);
				}
			}
			check(
				"trigger",
				policyOf("spanishgas-trigger-fn-policy"),
				TRIGGER_ACCESS,
			);
			check(
				"reconciler",
				policyOf("spanishgas-reconciler-fn-policy"),
				RECONCILER_ACCESS,
			);
			const task = policyOf("spanishgas-report-build-task-policy");
			const site = run.byName(T.bucket, "-report-content").state.arn;
			check(
				"report task",
				{
					...task,
					Statement: task.Statement.filter(
						(s) => !asArray(s.Resource).some((r) => r.startsWith(site)),
					),
				},
				REPORT_ACCESS,
			);
			// The site grants are on the site bucket only.
			for (const s of task.Statement.filter((s) =>
				asArray(s.Resource).some((r) => r.startsWith(site)),
			))
				for (const r of asArray(s.Resource))
					expect([site, `${site}/*`]).toContain(r);
			// Every role in the stack: no Allow of "*" actions or of all of S3/DynamoDB.
			for (const p of run.ofType(T.rolePolicy)) {
				const doc = JSON.parse(p.inputs.policy) as PolicyDocument;
				for (const s of doc.Statement)
					for (const a of asArray(s.Action))
						expect(a, p.name).not.toMatch(
							/^(\*|s3:\*|dynamodb:\*|lambda:\*|iam:\*)$/,
						);
			}
			// Role trust: each service role is assumable by its one service.
			for (const stage of LAMBDA_STAGES) {
				const trust = JSON.parse(
					run.byName(T.role, `spanishgas-${stage}-role`).inputs
						.assumeRolePolicy,
				) as PolicyDocument;
				expect(trust.Statement).toEqual([
					{
						Effect: "Allow",
						Principal: { Service: "lambda.amazonaws.com" },
						Action: "sts:AssumeRole",
					},
				]);
			}
		});

		it("the state machine role may invoke only the stage functions and run only the report task", () => {
			const doc = policyOf("spanishgas-pipeline-policy");
			const fnArns = LAMBDA_STAGES.map((s) => fnOf(s).state.arn);
			const invoke = doc.Statement.find((s) =>
				asArray(s.Action).includes("lambda:InvokeFunction"),
			) as PolicyStatement;
			expect(new Set(asArray(invoke.Resource))).toEqual(
				new Set([...fnArns, ...fnArns.map((a) => `${a}:*`)]),
			);
			const taskDef = run.ofType(T.taskDef)[0].state.arn;
			const runTask = doc.Statement.find((s) =>
				asArray(s.Action).includes("ecs:RunTask"),
			);
			expect(runTask?.Resource).toBe(taskDef);
			const pass = doc.Statement.find((s) =>
				asArray(s.Action).includes("iam:PassRole"),
			);
			expect(new Set(asArray(pass?.Resource))).toEqual(
				new Set([
					run.byName(T.role, "report-build-task-role").state.arn,
					run.byName(T.role, "report-build-execution-role").state.arn,
				]),
			);
			for (const s of doc.Statement)
				if (asArray(s.Resource).includes("*"))
					for (const a of asArray(s.Action)) expect(a).toMatch(/^logs:/);
			const distributed = cfg.raw["spanishgas:mapMode"] === "DISTRIBUTED";
			const lakeArn = lake().state.arn;
			const s3Resources = doc.Statement.filter((s) =>
				asArray(s.Action).some((a) => a.startsWith("s3:")),
			).flatMap((s) => asArray(s.Resource));
			expect(s3Resources).toEqual(
				distributed
					? [
							...DISTRIBUTED_MAP_ACCESS.reads,
							...DISTRIBUTED_MAP_ACCESS.writes,
						].map((p) => `${lakeArn}/${p}`)
					: [],
			);
			const smArn = run.ofType(T.sfn)[0].state.arn;
			const states = doc.Statement.filter((s) =>
				asArray(s.Action).some((a) => a.startsWith("states:")),
			);
			expect(states).toEqual(
				distributed
					? [
							{
								Sid: "DistributedMapChildren",
								Effect: "Allow",
								Action: "states:StartExecution",
								Resource: smArn,
							},
							{
								Sid: "DistributedMapRuns",
								Effect: "Allow",
								Action: ["states:DescribeExecution", "states:StopExecution"],
								Resource: `${smArn.replace(":stateMachine:", ":execution:")}/*`,
							},
						]
					: [],
			);
		});

		it("the deployed definition is the runtime's buildDefinition with the real ARNs, and it is valid ASL", () => {
			const sm = run.ofType(T.sfn)[0];
			const deployed = JSON.parse(sm.inputs.definition);
			const arns = Object.fromEntries(
				LAMBDA_STAGES.map((s) => [s, fnOf(s).state.arn]),
			);
			const taskDef = run.ofType(T.taskDef)[0];
			const expected = buildDefinition({
				resourceFor: (s) => arns[s] ?? ECS_RUN_TASK_SYNC,
				maxConcurrency: cfg.json("maxConcurrency"),
				mapMode: cfg.raw["spanishgas:mapMode"] as "INLINE" | "DISTRIBUTED",
				lakeBucket: lake().state.bucket,
				publishReport: {
					resource: ECS_RUN_TASK_SYNC,
					parameters: reportTaskParameters({
						clusterArn: run.ofType(T.cluster)[0].state.arn,
						taskDefinitionArn: taskDef.state.arn,
						containerName: JSON.parse(taskDef.inputs.containerDefinitions)[0]
							.name,
						subnetIds: run.ofType(T.subnet).map((s) => s.id),
						// The tasks' group (the other one is the VPC endpoints').
						securityGroupIds: [run.byName(T.sg, "-task-sg").id],
						taskRoleArn: "",
						executionRoleArn: "",
						assignPublicIp: false,
					}),
				},
			});
			expect(deployed).toEqual(expected);
			// Every Lambda task state points at that stage's deployed function.
			const states = deployed.States as Record<string, Json>;
			for (const stage of LAMBDA_STAGES) {
				const state = findTaskState(states, stage) ?? {};
				expect(state.Resource, stage).toBe(arns[stage]);
			}
			expect(states.PublishReport.Resource).toBe(
				"arn:aws:states:::ecs:runTask.sync",
			);
			expect(states.PublishReport.Parameters.TaskDefinition).toBe(
				taskDef.state.arn,
			);
			expect(
				states.PublishReport.Parameters.Overrides.ContainerOverrides[0],
			).toEqual({
				Name: "report",
				Environment: [
					{ Name: "RUN_ID", "Value.$": "$.runId" },
					{ Name: "BATCH_ID", "Value.$": "$.batchId" },
				],
			});
			const validate = aslValidator as unknown as (d: unknown) => {
				isValid: boolean;
				errors: unknown;
			};
			const v = validate(deployed);
			expect(v.isValid, JSON.stringify(v.errors)).toBe(true);
			expect(sm.inputs.loggingConfiguration.logDestination).toBe(
				`${run.byName(T.logGroup, "spanishgas-pipeline-logs").state.arn}:*`,
			);
			expect(sm.inputs.roleArn).toBe(
				run.byName(T.role, "spanishgas-pipeline-role").state.arn,
			);
		});

		it("alarms: every function's errors, failed executions and drift notify the alert topic; the e-mail is subscribed", () => {
			const topic = run.ofType(T.topic)[0];
			expect(topic.inputs.kmsMasterKeyId).toBeDefined();
			expect(run.ofType(T.subscription)[0].inputs).toMatchObject({
				protocol: "email",
				endpoint: cfg.raw["spanishgas:alertEmail"],
				topic: topic.state.arn,
			});
			const alarms = run.ofType(T.alarm);
			for (const a of alarms)
				expect(a.inputs.alarmActions, a.name).toEqual([topic.state.arn]);
			const fnNames = [
				...LAMBDA_STAGES.map((s) => fnOf(s).state.name),
				run.byName(T.fn, "spanishgas-trigger-fn").state.name,
				run.byName(T.fn, "spanishgas-reconciler-fn").state.name,
			];
			const errorAlarms = alarms.filter(
				(a) =>
					a.inputs.namespace === "AWS/Lambda" &&
					a.inputs.metricName === "Errors",
			);
			expect(
				new Set(errorAlarms.map((a) => a.inputs.dimensions.FunctionName)),
			).toEqual(new Set(fnNames));
			const failed = alarms.find(
				(a) => a.inputs.metricName === "ExecutionsFailed",
			);
			expect(failed?.inputs).toMatchObject({
				namespace: "AWS/States",
				dimensions: { StateMachineArn: run.ofType(T.sfn)[0].state.arn },
				threshold: 1,
			});
			const drift = alarms.find((a) => a.inputs.metricName === "DriftDetected");
			expect(drift?.inputs).toMatchObject({
				namespace: METRIC_NAMESPACE,
				dimensions: { Stage: stack },
			});
		});

		it("the weekly retrain schedule and the S3 batch trigger invoke the trigger function", () => {
			const trigger = run.byName(T.fn, "spanishgas-trigger-fn");
			const schedule = run.ofType(T.schedule)[0];
			expect(schedule.inputs).toMatchObject({
				scheduleExpression: "cron(0 6 ? * MON *)",
				scheduleExpressionTimezone: "UTC",
				state: cfg.json("retrainEnabled") === false ? "DISABLED" : "ENABLED",
			});
			expect(schedule.inputs.target.arn).toBe(trigger.state.arn);
			expect(JSON.parse(schedule.inputs.target.input)).toEqual({
				rerun: true,
				mode: "train",
			});
			const schedulerRole = run.byName(T.role, "spanishgas-retrain-role");
			expect(schedule.inputs.target.roleArn).toBe(schedulerRole.state.arn);
			const inline = policyOf("spanishgas-retrain-policy");
			expect(inline.Statement[0].Resource).toEqual([
				trigger.state.arn,
				`${trigger.state.arn}:*`,
			]);
			const notification = run.ofType(T.notification)[0];
			expect(notification.inputs.bucket).toBe(lake().state.bucket);
			expect(notification.inputs.lambdaFunctions).toEqual([
				{
					lambdaFunctionArn: trigger.state.arn,
					events: ["s3:ObjectCreated:*"],
					filterPrefix: "raw/",
					filterSuffix: "/_manifest.json",
				},
			]);
			const permission = run.byName(
				"aws:lambda/permission:Permission",
				"-trigger-s3-invoke",
			);
			expect(permission.inputs).toMatchObject({
				principal: "s3.amazonaws.com",
				sourceArn: lake().state.arn,
				sourceAccount: ACCOUNT,
			});
		});

		it("the report site is private behind CloudFront with origin access control, and every request passes the Cognito sign-in check at the edge", () => {
			const site = run.byName(T.bucket, "-report-content");
			const dist = run.ofType(T.distribution)[0];
			const oac = run.ofType(T.oac)[0];
			expect(dist.inputs.origins).toHaveLength(1);
			expect(dist.inputs.origins[0]).toMatchObject({
				domainName: site.state.bucketRegionalDomainName,
				originAccessControlId: oac.id,
			});
			expect(oac.inputs).toMatchObject({
				originAccessControlOriginType: "s3",
				signingBehavior: "always",
				signingProtocol: "sigv4",
			});
			const behavior = dist.inputs.defaultCacheBehavior;
			expect(behavior.viewerProtocolPolicy).toBe("redirect-to-https");
			// The one way in: the Lambda@Edge check on the viewer request (no shared-password function).
			const edge = run.byName(T.fn, "-report-auth");
			expect(edge.inputs).toMatchObject({
				region: "us-east-1",
				publish: true,
				runtime: "nodejs22.x",
				memorySize: 128,
				timeout: 5,
			});
			expect(behavior.functionAssociations ?? []).toEqual([]);
			expect(behavior.lambdaFunctionAssociations).toEqual([
				{
					eventType: "viewer-request",
					lambdaArn: edge.state.qualifiedArn,
					includeBody: false,
				},
			]);
			expect(dist.inputs.cacheBehaviors ?? []).toEqual([]);
			// The user pool: administrators add people, MFA for everyone, strong passwords.
			const pool = run.ofType(T.userPool)[0];
			expect(pool.inputs).toMatchObject({
				adminCreateUserConfig: { allowAdminCreateUserOnly: true },
				mfaConfiguration: "ON",
				softwareTokenMfaConfiguration: { enabled: true },
			});
			expect(pool.inputs.passwordPolicy.minimumLength).toBeGreaterThanOrEqual(
				12,
			);
			const group = run.ofType(T.userGroup)[0];
			expect(group.inputs).toMatchObject({
				userPoolId: pool.id,
				name: "report-readers",
			});
			const siteHost =
				cfg.json("report")?.domain?.name ?? dist.state.domainName;
			// A public client for the code flow only, back to this site alone.
			const client = run.ofType(T.userPoolClient)[0];
			expect(client.inputs).toMatchObject({
				userPoolId: pool.id,
				generateSecret: false,
				allowedOauthFlows: ["code"],
				allowedOauthScopes: ["openid", "email"],
				supportedIdentityProviders: ["COGNITO"],
				callbackUrls: [`https://${siteHost}/_auth/callback`],
				logoutUrls: [`https://${siteHost}/`],
				preventUserExistenceErrors: "ENABLED",
			});
			expect(client.inputs.allowedOauthFlows).not.toContain("implicit");
			// What the edge function checks tokens against: this pool, this client, the readers group.
			const param = run.ofType(T.ssmParameter)[0];
			expect(param.inputs.region).toBe("us-east-1");
			expect(JSON.parse(param.inputs.insecureValue)).toEqual({
				issuer: `https://cognito-idp.${REGION}.amazonaws.com/${pool.id}`,
				clientId: client.id,
				authDomain: `https://spanishgas-report-${stack}-${ACCOUNT}.auth.${REGION}.amazoncognito.com`,
				group: "report-readers",
			});
			// The function's code (edgeAuthCode) reads this parameter: test/infra-config.test.ts runs it.
			expect(param.inputs.name).toBe(`/spanishgas/${stack}/report-auth`);
			// The edge role reads that parameter and writes its logs, nothing else.
			const edgePolicy = policyOf("-report-auth-policy");
			expect(edgePolicy.Statement.map((s) => [s.Action, s.Resource])).toEqual([
				[
					["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
					`arn:aws:logs:*:${ACCOUNT}:log-group:/aws/lambda/us-east-1.${edge.state.name}:*`,
				],
				[
					"ssm:GetParameter",
					`arn:aws:ssm:us-east-1:${ACCOUNT}:parameter${param.inputs.name}`,
				],
			]);
			const policy = JSON.parse(
				run.ofType(T.bucketPolicy).find((p) => p.inputs.bucket === site.id)
					?.inputs.policy,
			) as PolicyDocument;
			const allows = policy.Statement.filter((s) => s.Effect === "Allow");
			expect(allows).toEqual([
				{
					Sid: "CloudFrontReadsThroughOAC",
					Effect: "Allow",
					Principal: { Service: "cloudfront.amazonaws.com" },
					Action: "s3:GetObject",
					Resource: `${site.state.arn}/*`,
					Condition: { StringEquals: { "AWS:SourceArn": dist.state.arn } },
				},
			]);
		});

		it("the distribution has a WAF web ACL with a per-IP rate limit, access logs to the log bucket, and the default certificate unless a domain is set", () => {
			const dist = run.ofType(T.distribution)[0];
			const acl = run.ofType(T.webAcl)[0];
			expect(dist.inputs.webAclId).toBe(acl.state.arn);
			expect(acl.inputs).toMatchObject({
				scope: "CLOUDFRONT",
				region: "us-east-1",
				defaultAction: { allow: {} },
			});
			const rate = (acl.inputs.rules as Json[]).find(
				(r) => r.statement.rateBasedStatement,
			);
			expect(rate?.action).toEqual({ block: {} });
			const limit = cfg.json("report")?.rateLimit ?? 300;
			expect(rate?.statement.rateBasedStatement).toEqual({
				limit,
				evaluationWindowSec: 300,
				aggregateKeyType: "IP",
			});
			expect(rate?.priority).toBe(0);
			// Standard logging v2: the distribution → a destination that is the log bucket.
			const logs = run.byName(T.bucket, "-logs");
			const source = run.ofType(T.logSource)[0];
			expect(source.inputs).toMatchObject({
				logType: "ACCESS_LOGS",
				resourceArn: dist.state.arn,
				region: "us-east-1",
			});
			const destination = run.ofType(T.logDestination)[0];
			expect(
				destination.inputs.deliveryDestinationConfiguration
					.destinationResourceArn,
			).toBe(logs.state.arn);
			expect(run.ofType(T.logDelivery)[0].inputs).toMatchObject({
				deliverySourceName: source.inputs.name,
				deliveryDestinationArn: destination.state.arn,
			});
			// The log bucket admits CloudFront's log delivery only for this account's sources.
			const logPolicy = JSON.parse(
				run.ofType(T.bucketPolicy).find((p) => p.inputs.bucket === logs.id)
					?.inputs.policy,
			) as PolicyDocument;
			const cf = logPolicy.Statement.find(
				(s) => s.Sid === "CloudFrontAccessLogs",
			);
			expect(cf).toEqual({
				Sid: "CloudFrontAccessLogs",
				Effect: "Allow",
				Principal: { Service: "delivery.logs.amazonaws.com" },
				Action: "s3:PutObject",
				Resource: `${logs.state.arn}/AWSLogs/${ACCOUNT}/CloudFront/*`,
				Condition: {
					StringEquals: {
						"aws:SourceAccount": ACCOUNT,
						"s3:x-amz-acl": "bucket-owner-full-control",
					},
					ArnLike: {
						"aws:SourceArn": `arn:aws:logs:us-east-1:${ACCOUNT}:delivery-source:*`,
					},
				},
			});
			const domain = cfg.json("report")?.domain;
			if (domain) {
				expect(dist.inputs.aliases).toEqual([domain.name]);
				expect(dist.inputs.viewerCertificate).toEqual({
					acmCertificateArn: domain.certificateArn,
					sslSupportMethod: "sni-only",
					minimumProtocolVersion: "TLSv1.2_2021",
				});
			} else
				expect(dist.inputs.viewerCertificate).toEqual({
					cloudfrontDefaultCertificate: true,
				});
		});

		it("the report build is an awsx ECR image run as a Fargate task with the lake, site and tables", () => {
			const image = run.ofType(T.image)[0];
			const repo = run.ofType(T.repo)[0];
			expect(image.inputs).toMatchObject({
				repositoryUrl: repo.state.repositoryUrl,
				context: ".",
				dockerfile: "components/report-build/Dockerfile",
				platform: "linux/amd64",
			});
			const task = run.ofType(T.taskDef)[0];
			expect(task.inputs).toMatchObject({
				requiresCompatibilities: ["FARGATE"],
				networkMode: "awsvpc",
			});
			const [container] = JSON.parse(task.inputs.containerDefinitions);
			expect(container.image).toBe(image.state.imageUri);
			const env = Object.fromEntries(
				container.environment.map((e: { name: string; value: string }) => [
					e.name,
					e.value,
				]),
			);
			expect(env).toMatchObject({
				LAKE_BUCKET: lake().state.bucket,
				SITE_BUCKET: run.byName(T.bucket, "-report-content").state.bucket,
				STATE_TABLE: run.byName(T.table, "-manifest").state.name,
				REGISTRY_TABLE: run.byName(T.table, "-registry").state.name,
			});
			expect(container.logConfiguration.options["awslogs-region"]).toBe(REGION);
		});

		it("tags every taggable resource with the stack's tags", () => {
			const tags = cfg.json("tags") as Record<string, string>;
			const taggable = run.resources.filter(
				(r) => r.type.startsWith("aws:") && r.inputs.tags !== undefined,
			);
			expect(taggable.length).toBeGreaterThan(40);
			for (const r of taggable)
				expect(r.inputs.tags, `${r.type} ${r.name}`).toMatchObject({
					...tags,
					stack,
				});
			const untagged = run.resources.filter(
				(r) =>
					[
						T.bucket,
						T.fn,
						T.role,
						T.table,
						T.sfn,
						T.logGroup,
						T.topic,
					].includes(r.type as never) && r.inputs.tags === undefined,
			);
			expect(untagged.map((r) => r.name)).toEqual([]);
		});

		it("every role carries the workload permissions boundary, which caps it without breaking it", () => {
			const boundary = run.byName(T.iamPolicy, "spanishgas-boundary");
			const boundaryDoc = JSON.parse(boundary.inputs.policy) as PolicyDocument;
			const ci = (name: string) =>
				name.endsWith("-github-deploy") || name.endsWith("-github-preview");
			const roles = run.ofType(T.role).filter((r) => !ci(r.name));
			expect(roles.length).toBeGreaterThan(12);
			for (const r of roles)
				expect(r.inputs.permissionsBoundary, r.name).toBe(boundary.state.arn);
			// The cap: no IAM but PassRole, no STS, nothing organisation-wide, no wildcards.
			for (const st of boundaryDoc.Statement) {
				expect(st.Effect).toBe("Allow");
				for (const a of asArray(st.Action)) {
					expect(a, "boundary wildcard").not.toMatch(/\*/);
					if (a.startsWith("iam:")) expect(a).toBe("iam:PassRole");
					expect(a).not.toMatch(/^(sts|organizations|account):/);
				}
			}
			// Not breaking: every action any role is granted is inside the boundary.
			for (const r of roles) {
				const docs = run
					.ofType(T.rolePolicy)
					.filter(
						(p) => p.inputs.role === r.id || p.inputs.role === r.state.name,
					)
					.map((p) => JSON.parse(p.inputs.policy) as PolicyDocument);
				expect(docs.length, r.name).toBeGreaterThan(0);
				for (const d of docs)
					for (const st of d.Statement)
						for (const a of asArray(st.Action))
							for (const res of asArray(st.Resource))
								expect(
									decide([ALLOW_EVERYTHING], boundaryDoc, {
										action: a,
										resource: res,
									}),
									`${r.name}: ${a} outside the boundary`,
								).toBe("allow");
			}
			expect(
				run.ofType(T.attachment).filter((a) => !a.name.includes("-github-")),
			).toEqual([]);
		});

		it("GitHub OIDC roles exist exactly when the stack names a repository: deploys only from the stack's GitHub environment, and the deploy role cannot escalate", () => {
			const github = cfg.json("github") as
				| { repository: string; environment?: string }
				| undefined;
			const deploys = run.resources.filter(
				(r) => r.type === T.role && r.name.endsWith("-github-deploy"),
			);
			if (!github) {
				expect(deploys).toHaveLength(0);
				return;
			}
			const deploy = deploys[0];
			const trust = JSON.parse(
				deploy.inputs.assumeRolePolicy,
			) as PolicyDocument;
			expect(trust.Statement).toHaveLength(1);
			expect(trust.Statement[0].Condition).toEqual({
				StringEquals: {
					"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
					"token.actions.githubusercontent.com:sub": `repo:${github.repository}:environment:${github.environment ?? stack}`,
				},
			});
			const attached = (role: Json) =>
				run
					.ofType(T.attachment)
					.filter((p) => p.inputs.role === role.state.name)
					.map((p) => p.inputs.policyArn);
			expect(attached(deploy)).toEqual([
				"arn:aws:iam::aws:policy/PowerUserAccess",
			]);
			const deployBoundary = run.byName(T.iamPolicy, "-github-deploy-boundary");
			expect(deploy.inputs.permissionsBoundary).toBe(deployBoundary.state.arn);
			const boundaryDoc = JSON.parse(
				deployBoundary.inputs.policy,
			) as PolicyDocument;
			const identity = [
				POWER_USER_ACCESS,
				policyOf("-github-deploy-platform-iam"),
			];
			const workload = run.byName(T.iamPolicy, "spanishgas-boundary").state.arn;
			const self = deploy.state.arn;
			const preview = run.byName(T.role, "-github-preview");
			const platformRole = run.byName(T.role, "spanishgas-Train-role").state
				.arn;
			const tagged = (extra: Record<string, string> = {}) => ({
				"aws:ResourceTag/stack": stack,
				...extra,
			});
			const may = (r: Request) => decide(identity, boundaryDoc, r);
			// What a deployment needs.
			const needed: Request[] = [
				{
					action: "iam:CreateRole",
					resource: `arn:aws:iam::${ACCOUNT}:role/spanishgas/new-role`,
					context: {
						"iam:PermissionsBoundary": workload,
						"aws:RequestTag/stack": stack,
					},
				},
				{
					action: "iam:PutRolePolicy",
					resource: platformRole,
					context: tagged({ "iam:PermissionsBoundary": workload }),
				},
				{
					action: "iam:PassRole",
					resource: platformRole,
					context: tagged({ "iam:PassedToService": "lambda.amazonaws.com" }),
				},
				{ action: "iam:GetRole", resource: self },
				{ action: "lambda:CreateFunction", resource: "*" },
			];
			for (const r of needed)
				expect(may(r), `${r.action} ${r.resource}`).toBe("allow");
			// Every way to more power is refused.
			const escalations: Request[] = [
				// Change itself or the preview role.
				{
					action: "iam:PutRolePolicy",
					resource: self,
					context: { "iam:PermissionsBoundary": workload, ...tagged() },
				},
				{ action: "iam:AttachRolePolicy", resource: self, context: tagged() },
				{
					action: "iam:DeleteRolePermissionsBoundary",
					resource: self,
					context: tagged(),
				},
				{
					action: "iam:UpdateAssumeRolePolicy",
					resource: self,
					context: tagged(),
				},
				{
					action: "iam:UpdateAssumeRolePolicy",
					resource: preview.state.arn,
					context: tagged(),
				},
				// Change a boundary.
				{ action: "iam:CreatePolicyVersion", resource: workload },
				{
					action: "iam:CreatePolicyVersion",
					resource: deployBoundary.state.arn,
				},
				{ action: "iam:SetDefaultPolicyVersion", resource: workload },
				// A role without the boundary, or a stripped one, or an admin policy on one.
				{
					action: "iam:CreateRole",
					resource: `arn:aws:iam::${ACCOUNT}:role/spanishgas/x`,
					context: { "aws:RequestTag/stack": stack },
				},
				{
					action: "iam:CreateRole",
					resource: `arn:aws:iam::${ACCOUNT}:role/admin`,
					context: {
						"iam:PermissionsBoundary": workload,
						"aws:RequestTag/stack": stack,
					},
				},
				{
					action: "iam:DeleteRolePermissionsBoundary",
					resource: platformRole,
					context: tagged({ "iam:PermissionsBoundary": workload }),
				},
				{
					action: "iam:AttachRolePolicy",
					resource: platformRole,
					context: tagged({
						"iam:PermissionsBoundary": workload,
						"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess",
					}),
				},
				{
					action: "iam:PutRolePermissionsBoundary",
					resource: platformRole,
					context: tagged({
						"iam:PermissionsBoundary":
							"arn:aws:iam::aws:policy/AdministratorAccess",
					}),
				},
				// Another stack's roles (tagged for another stack).
				{
					action: "iam:PutRolePolicy",
					resource: platformRole,
					context: {
						"aws:ResourceTag/stack": "other",
						"iam:PermissionsBoundary": workload,
					},
				},
				{
					action: "iam:PassRole",
					resource: platformRole,
					context: {
						"aws:ResourceTag/stack": "other",
						"iam:PassedToService": "lambda.amazonaws.com",
					},
				},
				{
					action: "iam:PassRole",
					resource: platformRole,
					context: tagged({ "iam:PassedToService": "ec2.amazonaws.com" }),
				},
				// Users, keys, new trust, other roles' credentials.
				{
					action: "iam:CreateUser",
					resource: `arn:aws:iam::${ACCOUNT}:user/x`,
				},
				{
					action: "iam:CreateAccessKey",
					resource: `arn:aws:iam::${ACCOUNT}:user/x`,
				},
				{ action: "iam:AddClientIDToOpenIDConnectProvider", resource: "*" },
				{
					action: "sts:AssumeRole",
					resource: `arn:aws:iam::${ACCOUNT}:role/OrganizationAccountAccessRole`,
				},
				{ action: "organizations:LeaveOrganization", resource: "*" },
			];
			for (const r of escalations)
				expect(
					may(r),
					`${r.action} ${r.resource} ${JSON.stringify(r.context ?? {})}`,
				).toBe("deny");
			// The preview role: metadata only, whatever its managed policy allows.
			const previewTrust = JSON.parse(
				preview.inputs.assumeRolePolicy,
			) as PolicyDocument;
			expect(previewTrust.Statement[0].Condition?.StringEquals).toEqual({
				"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
				"token.actions.githubusercontent.com:sub": `repo:${github.repository}:pull_request`,
			});
			expect(attached(preview)).toEqual([
				"arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
			]);
			const previewDocs = [
				ALLOW_EVERYTHING,
				policyOf("-github-preview-no-data"),
			];
			const lakeArn = lake().state.arn;
			const tables = run.ofType(T.table).map((t) => t.state.arn);
			const data: Request[] = [
				{
					action: "s3:GetObject",
					resource: `${lakeArn}/raw/b1/customer_attributes.csv`,
				},
				{
					action: "s3:GetObjectVersion",
					resource: `${lakeArn}/runs/r1/gold/gold_customer.parquet`,
				},
				...tables.flatMap((t) =>
					[
						"dynamodb:Scan",
						"dynamodb:GetItem",
						"dynamodb:Query",
						"dynamodb:BatchGetItem",
					].map((action) => ({ action, resource: t })),
				),
				{
					action: "kms:Decrypt",
					resource: run.byName(T.kmsKey, "-lake-key").state.arn,
				},
				{ action: "secretsmanager:GetSecretValue", resource: "*" },
				{ action: "logs:GetLogEvents", resource: "*" },
				{
					action: "cognito-idp:ListUsers",
					resource: run.ofType(T.userPool)[0].state.arn,
				},
			];
			for (const r of data)
				expect(
					decide(previewDocs, undefined, r),
					`preview ${r.action} ${r.resource}`,
				).toBe("deny");
			for (const p of run
				.ofType(T.rolePolicy)
				.filter((p) => p.inputs.role === preview.id))
				for (const st of (JSON.parse(p.inputs.policy) as PolicyDocument)
					.Statement)
					expect(st.Effect, p.name).toBe("Deny");
		});

		it("only MarkSucceeded moves latest.json; only Train writes a model, and Drift only its reference", () => {
			// Hand-written, not derived from STAGE_ACCESS: every role policy of the
			// stack, asked whether it may put these keys of the lake.
			const lakeArn = lake().state.arn;
			const writers = (key: string) =>
				run
					.ofType(T.rolePolicy)
					.filter(
						(p) =>
							decide([JSON.parse(p.inputs.policy)], undefined, {
								action: "s3:PutObject",
								resource: `${lakeArn}/${key}`,
							}) === "allow",
					)
					.map((p) => p.name)
					.sort();
			expect(writers("latest.json")).toEqual([
				"spanishgas-MarkSucceeded-policy",
			]);
			expect(writers("models/v0001/model.json")).toEqual([
				"spanishgas-Train-policy",
			]);
			expect(writers("models/v0001/drift_reference.parquet")).toEqual([
				"spanishgas-Drift-policy",
				"spanishgas-Train-policy",
			]);
			// The raw uploads are read-only to every role of the stack.
			expect(writers("raw/b1/churn_label.csv")).toEqual([]);
		});

		it("stage access patterns match real lake keys of the runtime's layout", () => {
			// Guards the access table against typos: each pattern matches a key the layout produces.
			const samples = [
				"raw/b1/churn_label.csv",
				"raw/b1/_manifest.json",
				"runs/r1/staged/churnLabel.parquet",
				"runs/r1/staged/shards.json",
				"runs/r1/bronze/shards/s0.parquet",
				"runs/r1/bronze/bronze_customer.parquet",
				"runs/r1/quality/gold_customer.json",
				"runs/r1/silver/silver_customer.parquet",
				"runs/r1/gold/gold_customer.parquet",
				"runs/r1/scored/scores.parquet",
				"runs/r1/monitoring/drift.json",
				"runs/r1/monitoring/realized_performance.json",
				"runs/r1/models/experiments.parquet",
				"runs/r1/run_report.json",
				"models/v0001/model.json",
				"models/v0001/drift_reference.parquet",
				"latest.json",
				"reports/data/runs.parquet",
			];
			for (const access of [
				...Object.values(STAGE_ACCESS),
				TRIGGER_ACCESS,
				RECONCILER_ACCESS,
				REPORT_ACCESS,
			])
				for (const p of [...access.reads, ...access.writes])
					expect(
						samples.some((k) => patternRegex(p).test(k)),
						p,
					).toBe(true);
		});
	});
}

/**
 * A Task state by name anywhere in a definition's States: top level, a Map's
 * ItemProcessor, a Parallel state's branches (Train and Ladder run in one).
 */
function findTaskState(states: Json, name: string): Json | undefined {
	if (states[name]) return states[name];
	for (const st of Object.values(states) as Json[]) {
		const inner = [
			...(st.ItemProcessor ? [st.ItemProcessor.States] : []),
			...((st.Branches ?? []) as Json[]).map((b) => b.States),
		];
		for (const s of inner) {
			const found = findTaskState(s, name);
			if (found) return found;
		}
	}
	return undefined;
}
