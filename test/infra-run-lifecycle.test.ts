/**
 * The run-lifecycle infrastructure under mocks (docs/run-lifecycle.md): the
 * trigger's dead-letter queue, retries and reserved concurrency, its S3
 * notification on the manifest only; the reconciler's EventBridge rule,
 * sweep schedule, dead letters and least-privilege role. The roles are
 * judged with the IAM evaluator: what they must do is allowed, everything
 * else denied, and a widened policy fails the same check.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { PolicyDocument } from "../components/access.ts";
import { TRIGGER_RETRY } from "../components/batch-trigger.ts";
import { FINAL_FAILURE_STATUSES } from "../runtime/pipeline/reconciler.ts";
import {
	ACCOUNT,
	type ProgramRun,
	REGION,
	runProgram,
} from "./support/infra-harness.ts";
import { decide, type Request } from "./support/infra-iam.ts";

const T = {
	fn: "aws:lambda/function:Function",
	queue: "aws:sqs/queue:Queue",
	queuePolicy: "aws:sqs/queuePolicy:QueuePolicy",
	invokeConfig:
		"aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
	rule: "aws:cloudwatch/eventRule:EventRule",
	target: "aws:cloudwatch/eventTarget:EventTarget",
	permission: "aws:lambda/permission:Permission",
	rolePolicy: "aws:iam/rolePolicy:RolePolicy",
	alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
	notification: "aws:s3/bucketNotification:BucketNotification",
	sfn: "aws:sfn/stateMachine:StateMachine",
	table: "aws:dynamodb/table:Table",
	bucket: "aws:s3/bucket:Bucket",
	topic: "aws:sns/topic:Topic",
} as const;

let run: ProgramRun;
let sized: ProgramRun;
beforeAll(async () => {
	run = await runProgram("dev");
	sized = await runProgram("dev", {
		overrides: {
			"spanishgas:lambda": JSON.stringify({
				trigger: { reservedConcurrency: 3 },
			}),
		},
	});
}, 240_000);

const policy = (r: ProgramRun, logical: string): PolicyDocument =>
	JSON.parse(r.byName(T.rolePolicy, logical).inputs.policy);

/** Every request allowed, every forbidden one denied; returns the failures (empty = the policy is right). */
function judge(
	doc: PolicyDocument,
	must: Request[],
	mustNot: Request[],
): string[] {
	const out: string[] = [];
	for (const r of must)
		if (decide([doc], undefined, r) !== "allow")
			out.push(`denied ${r.action} ${r.resource}`);
	for (const r of mustNot)
		if (decide([doc], undefined, r) !== "deny")
			out.push(`allowed ${r.action} ${r.resource}`);
	return out;
}

describe("the batch trigger's hardening", () => {
	it("async invocations: two retries within 10 minutes, then an encrypted, TLS-only dead-letter queue with an alarm", () => {
		const fn = run.byName(T.fn, "spanishgas-trigger-fn");
		const dlq = run.byName(T.queue, "-trigger-dlq");
		const config = run.byName(T.invokeConfig, "-trigger-async");
		expect(config.inputs).toEqual({
			functionName: fn.state.name,
			maximumRetryAttempts: TRIGGER_RETRY.maximumRetryAttempts,
			maximumEventAgeInSeconds: TRIGGER_RETRY.maximumEventAgeInSeconds,
			destinationConfig: { onFailure: { destination: dlq.state.arn } },
		});
		expect(dlq.inputs).toMatchObject({
			sqsManagedSseEnabled: true,
			messageRetentionSeconds: 14 * 24 * 3600,
		});
		const queuePolicy = JSON.parse(
			run.ofType(T.queuePolicy).find((p) => p.inputs.queueUrl === dlq.state.url)
				?.inputs.policy,
		) as PolicyDocument;
		expect(queuePolicy.Statement).toEqual([
			{
				Sid: "DenyInsecureTransport",
				Effect: "Deny",
				Principal: "*",
				Action: "sqs:*",
				Resource: dlq.state.arn,
				Condition: { Bool: { "aws:SecureTransport": "false" } },
			},
		]);
		const alarm = run
			.ofType(T.alarm)
			.find((a) => a.inputs.dimensions?.QueueName === dlq.state.name);
		expect(alarm?.inputs).toMatchObject({
			namespace: "AWS/SQS",
			metricName: "ApproximateNumberOfMessagesVisible",
			threshold: 1,
			alarmActions: [run.ofType(T.topic)[0].state.arn],
		});
	});

	it("reserved concurrency: 2 by default, configurable", () => {
		expect(
			run.byName(T.fn, "spanishgas-trigger-fn").inputs
				.reservedConcurrentExecutions,
		).toBe(2);
		expect(
			sized.byName(T.fn, "spanishgas-trigger-fn").inputs
				.reservedConcurrentExecutions,
		).toBe(3);
		// The stage functions reserve nothing (the account's pool is theirs).
		expect(
			run.byName(T.fn, "spanishgas-Train").inputs.reservedConcurrentExecutions,
		).toBeUndefined();
	});

	it("the S3 notification fires on batch manifests only, not on every part", () => {
		const [n] = run.ofType(T.notification);
		expect(n.inputs.lambdaFunctions).toEqual([
			{
				lambdaFunctionArn: run.byName(T.fn, "spanishgas-trigger-fn").state.arn,
				events: ["s3:ObjectCreated:*"],
				filterPrefix: "raw/",
				filterSuffix: "/_manifest.json",
			},
		]);
	});

	it("its role reads the manifests but not the data, starts and describes only this state machine's runs, sends only to its own queue", () => {
		const lake = run.byName(T.bucket, "-lake").state.arn;
		const sm = run.ofType(T.sfn)[0].state.arn;
		const exec = sm.replace(":stateMachine:", ":execution:");
		const doc = policy(run, "spanishgas-trigger-fn-policy");
		const own = run.byName(T.queue, "-trigger-dlq").state.arn;
		const other = run.byName(T.queue, "-reconciler-dlq").state.arn;
		const must: Request[] = [
			{ action: "s3:GetObject", resource: `${lake}/raw/b1/_manifest.json` },
			{
				action: "s3:ListBucket",
				resource: lake,
				context: { "s3:prefix": "raw/b1/" },
			},
			{ action: "states:StartExecution", resource: sm },
			{ action: "states:DescribeExecution", resource: `${exec}:run-1` },
			{ action: "sqs:SendMessage", resource: own },
		];
		const mustNot: Request[] = [
			{ action: "s3:GetObject", resource: `${lake}/raw/b1/churn_label.csv` },
			{
				action: "s3:GetObject",
				resource: `${lake}/raw/b1/consumption_hourly_2024/part-0.parquet`,
			},
			{ action: "s3:PutObject", resource: `${lake}/raw/b1/_manifest.json` },
			{
				action: "s3:ListBucket",
				resource: lake,
				context: { "s3:prefix": "runs/" },
			},
			{ action: "states:StartExecution", resource: `${sm}-other` },
			{ action: "states:StopExecution", resource: `${exec}:run-1` },
			{
				action: "states:DescribeExecution",
				resource: `${exec.replace("spanishgas-dev", "other")}:run-1`,
			},
			{ action: "sqs:SendMessage", resource: other },
		];
		expect(judge(doc, must, mustNot)).toEqual([]);
	});
});

describe("the run reconciler", () => {
	it("an EventBridge rule sends this state machine's FAILED, TIMED_OUT and ABORTED executions to the reconciler, with retries and dead letters", () => {
		const sm = run.ofType(T.sfn)[0].state.arn;
		const fn = run.byName(T.fn, "spanishgas-reconciler-fn");
		const rule = run.byName(T.rule, "-reconciler-status");
		expect(JSON.parse(rule.inputs.eventPattern)).toEqual({
			source: ["aws.states"],
			"detail-type": ["Step Functions Execution Status Change"],
			detail: {
				stateMachineArn: [sm],
				status: ["FAILED", "TIMED_OUT", "ABORTED"],
			},
		});
		expect([...FINAL_FAILURE_STATUSES]).toEqual([
			"FAILED",
			"TIMED_OUT",
			"ABORTED",
		]);
		const dlq = run.byName(T.queue, "-reconciler-dlq").state.arn;
		const target = run.byName(T.target, "-reconciler-status-target");
		expect(target.inputs).toMatchObject({
			rule: rule.state.name,
			arn: fn.state.arn,
			deadLetterConfig: { arn: dlq },
			retryPolicy: { maximumRetryAttempts: 8, maximumEventAgeInSeconds: 3600 },
		});
		expect(target.inputs.input).toBeUndefined();
		expect(
			run.byName(T.permission, "-reconciler-status-invoke").inputs,
		).toMatchObject({
			principal: "events.amazonaws.com",
			sourceArn: rule.state.arn,
			function: fn.state.name,
		});
		expect(
			run.byName(T.invokeConfig, "-reconciler-async").inputs,
		).toMatchObject({ destinationConfig: { onFailure: { destination: dlq } } });
		expect(fn.inputs.environment.variables).toMatchObject({
			STATE_MACHINE_ARN: sm,
			RUN_LEASE_MINUTES: "15",
		});
	});

	it("a schedule runs the sweep every 15 minutes; only the two rules may put events in its queue", () => {
		const sweep = run.byName(T.rule, "-reconciler-sweep");
		expect(sweep.inputs.scheduleExpression).toBe("rate(15 minutes)");
		const target = run.byName(T.target, "-reconciler-sweep-target");
		expect(JSON.parse(target.inputs.input)).toEqual({ sweep: true });
		expect(target.inputs.arn).toBe(
			run.byName(T.fn, "spanishgas-reconciler-fn").state.arn,
		);
		const dlq = run.byName(T.queue, "-reconciler-dlq");
		const doc = JSON.parse(
			run.ofType(T.queuePolicy).find((p) => p.inputs.queueUrl === dlq.state.url)
				?.inputs.policy,
		) as PolicyDocument;
		const status = run.byName(T.rule, "-reconciler-status").state.arn;
		const send = (source: string): Request => ({
			action: "sqs:SendMessage",
			resource: dlq.state.arn,
			context: { "aws:SourceArn": source, "aws:SecureTransport": "true" },
		});
		expect(
			judge(
				doc,
				[send(status), send(sweep.state.arn)],
				[send(`arn:aws:events:${REGION}:${ACCOUNT}:rule/someone-else`)],
			),
		).toEqual([]);
	});

	it("its role closes run records and raises alerts, and nothing more; a widened policy fails the same check", () => {
		const sm = run.ofType(T.sfn)[0].state.arn;
		const exec = sm.replace(":stateMachine:", ":execution:");
		const manifest = run.byName(T.table, "-manifest").state.arn;
		const registry = run.byName(T.table, "-registry").state.arn;
		const lake = run.byName(T.bucket, "-lake").state.arn;
		const topic = run.ofType(T.topic)[0].state.arn;
		const own = run.byName(T.queue, "-reconciler-dlq").state.arn;
		const runItem = { "dynamodb:LeadingKeys": ["RUN#r1_b"] };
		const must: Request[] = [
			{ action: "dynamodb:GetItem", resource: manifest, context: runItem },
			{ action: "dynamodb:UpdateItem", resource: manifest, context: runItem },
			{ action: "dynamodb:Scan", resource: manifest },
			{ action: "states:DescribeExecution", resource: `${exec}:r1_b` },
			{ action: "sns:Publish", resource: topic },
			{ action: "sqs:SendMessage", resource: own },
		];
		const mustNot: Request[] = [
			{ action: "dynamodb:PutItem", resource: manifest, context: runItem },
			{ action: "dynamodb:DeleteItem", resource: manifest, context: runItem },
			{
				action: "dynamodb:UpdateItem",
				resource: manifest,
				context: { "dynamodb:LeadingKeys": ["BATCH#b"] },
			},
			{
				action: "dynamodb:GetItem",
				resource: registry,
				context: { "dynamodb:LeadingKeys": ["MODEL#x"] },
			},
			{ action: "s3:GetObject", resource: `${lake}/raw/b/_manifest.json` },
			{ action: "s3:ListBucket", resource: lake },
			{ action: "states:StartExecution", resource: sm },
			{ action: "states:StopExecution", resource: `${exec}:r1_b` },
			{
				action: "sqs:SendMessage",
				resource: run.byName(T.queue, "-trigger-dlq").state.arn,
			},
		];
		const doc = policy(run, "spanishgas-reconciler-fn-policy");
		expect(judge(doc, must, mustNot)).toEqual([]);
		// The same check catches a policy that grants more than it should.
		const widened: PolicyDocument = {
			...doc,
			Statement: [
				...doc.Statement,
				{
					Effect: "Allow",
					Action: ["dynamodb:PutItem", "dynamodb:DeleteItem"],
					Resource: manifest,
				},
			],
		};
		expect(judge(widened, must, mustNot)).toEqual([
			`allowed dynamodb:PutItem ${manifest}`,
			`allowed dynamodb:DeleteItem ${manifest}`,
		]);
	});
});
