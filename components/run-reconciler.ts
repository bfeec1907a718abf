import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
	DEFAULT_LEASE_MINUTES,
	EXECUTION_STATUS_CHANGE,
	FINAL_FAILURE_STATUSES,
} from "../runtime/pipeline/lifecycle-contract.ts";
import { RECONCILER_ACCESS } from "./access.ts";
import { TRIGGER_RETRY } from "./batch-trigger.ts";
import { DeadLetterQueue } from "./dead-letter-queue.ts";
import type { LambdaPackage } from "./lambda-package.ts";
import {
	type FunctionSizing,
	RuntimeFunction,
	type RuntimeResources,
} from "./runtime-function.ts";

/** How often the sweep looks for runs left started. */
export const SWEEP_SCHEDULE = "rate(15 minutes)";

/** The EventBridge pattern of the state machine's failed, timed-out and aborted executions. */
export function executionStatusPattern(stateMachineArn: string): string {
	return JSON.stringify({
		source: ["aws.states"],
		"detail-type": [EXECUTION_STATUS_CHANGE],
		detail: {
			stateMachineArn: [stateMachineArn],
			status: [...FINAL_FAILURE_STATUSES],
		},
	});
}

export interface RunReconcilerArgs extends FunctionSizing {
	package: LambdaPackage;
	resources: RuntimeResources;
	/** The state machine whose runs it reconciles. */
	stateMachineArn: pulumi.Input<string>;
	/** Minutes a started run may go without a running execution (> the trigger's retry window). Default 15. */
	leaseMinutes?: number;
	/** Sweep schedule expression. Default {@link SWEEP_SCHEDULE}. */
	sweepSchedule?: string;
	environment?: Record<string, pulumi.Input<string>>;
	logRetentionDays?: number;
	alarmActions?: pulumi.Input<string>[];
	tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * The run reconciler (runtime/pipeline/reconciler.ts, docs/run-lifecycle.md):
 * an EventBridge rule sends the state machine's FAILED, TIMED_OUT and
 * ABORTED status changes to the reconciler function, which marks the run
 * failed or aborted and raises run_failed; a schedule runs its sweep of runs
 * left started without a running execution. Events it could not deliver or
 * handle go to an encrypted dead-letter queue with an alarm. Its role reads
 * and updates run records, scans them, describes this state machine's
 * executions and publishes alerts — nothing of the lake.
 */
export class RunReconciler extends pulumi.ComponentResource {
	public readonly handler: RuntimeFunction;
	public readonly deadLetters: DeadLetterQueue;
	public readonly statusRule: aws.cloudwatch.EventRule;
	public readonly sweepRule: aws.cloudwatch.EventRule;
	public readonly targets: aws.cloudwatch.EventTarget[];
	public readonly permissions: aws.lambda.Permission[];
	public readonly invokeConfig: aws.lambda.FunctionEventInvokeConfig;
	public readonly functionName: pulumi.Output<string>;

	constructor(
		name: string,
		args: RunReconcilerArgs,
		opts?: pulumi.ComponentResourceOptions,
	) {
		super("spanishgas:pipeline:RunReconciler", name, {}, opts);
		const lease = args.leaseMinutes ?? DEFAULT_LEASE_MINUTES;
		// A run the trigger may still retry must not be swept.
		const window = TRIGGER_RETRY.maximumEventAgeInSeconds / 60;
		if (!Number.isInteger(lease) || lease <= window)
			throw new Error(
				`RunReconciler ${name}: leaseMinutes must be an integer above the trigger's retry window (${window} min), got ${lease}`,
			);
		const child = { parent: this };
		this.statusRule = new aws.cloudwatch.EventRule(
			`${name}-status`,
			{
				description:
					"Failed, timed-out and aborted executions of the pipeline → the run reconciler",
				eventPattern: pulumi
					.output(args.stateMachineArn)
					.apply(executionStatusPattern),
				tags: args.tags,
			},
			child,
		);
		this.sweepRule = new aws.cloudwatch.EventRule(
			`${name}-sweep`,
			{
				description:
					"Sweep of runs left started without a running execution → the run reconciler",
				scheduleExpression: args.sweepSchedule ?? SWEEP_SCHEDULE,
				tags: args.tags,
			},
			child,
		);
		const rules = [this.statusRule, this.sweepRule];
		this.deadLetters = new DeadLetterQueue(
			`${name}-dlq`,
			{
				senders: [
					{
						service: "events.amazonaws.com",
						sourceArns: rules.map((r) => r.arn),
					},
				],
				alarmActions: args.alarmActions,
				tags: args.tags,
			},
			child,
		);
		const executions = pulumi
			.output(args.stateMachineArn)
			.apply((arn) => `${arn.replace(":stateMachine:", ":execution:")}:*`);
		this.handler = new RuntimeFunction(
			"spanishgas:pipeline:ReconcilerFunction",
			`${name}-fn`,
			{
				package: args.package,
				entry: { kind: "reconcile" },
				resources: args.resources,
				access: RECONCILER_ACCESS,
				extraStatements: pulumi
					.all([executions, this.deadLetters.arn])
					.apply(([runs, dlq]) => [
						{
							Sid: "DescribeRuns",
							Effect: "Allow" as const,
							Action: "states:DescribeExecution",
							Resource: runs,
						},
						{
							Sid: "DeadLetters",
							Effect: "Allow" as const,
							Action: "sqs:SendMessage",
							Resource: dlq,
						},
					]),
				environment: {
					...args.environment,
					STATE_MACHINE_ARN: args.stateMachineArn,
					RUN_LEASE_MINUTES: String(lease),
				},
				memoryMb: args.memoryMb ?? 256,
				timeoutSeconds: args.timeoutSeconds ?? 120,
				ephemeralStorageMb: args.ephemeralStorageMb,
				logRetentionDays: args.logRetentionDays,
				alarmActions: args.alarmActions,
				tags: args.tags,
			},
			child,
		);
		this.functionName = this.handler.functionName;
		this.invokeConfig = new aws.lambda.FunctionEventInvokeConfig(
			`${name}-async`,
			{
				functionName: this.handler.functionName,
				maximumRetryAttempts: 2,
				maximumEventAgeInSeconds: 3600,
				destinationConfig: {
					onFailure: { destination: this.deadLetters.arn },
				},
			},
			{ ...child, dependsOn: [this.handler.rolePolicy] },
		);
		this.permissions = rules.map(
			(rule, i) =>
				new aws.lambda.Permission(
					`${name}-${i === 0 ? "status" : "sweep"}-invoke`,
					{
						action: "lambda:InvokeFunction",
						function: this.handler.functionName,
						principal: "events.amazonaws.com",
						sourceArn: rule.arn,
					},
					child,
				),
		);
		this.targets = rules.map(
			(rule, i) =>
				new aws.cloudwatch.EventTarget(
					`${name}-${i === 0 ? "status" : "sweep"}-target`,
					{
						rule: rule.name,
						arn: this.handler.arn,
						...(i === 1 ? { input: JSON.stringify({ sweep: true }) } : {}),
						// EventBridge's own retries, then the queue (e.g. the function throttled).
						retryPolicy: {
							maximumRetryAttempts: 8,
							maximumEventAgeInSeconds: 3600,
						},
						deadLetterConfig: { arn: this.deadLetters.arn },
					},
					{ ...child, dependsOn: [this.permissions[i]] },
				),
		);
		this.registerOutputs({
			functionName: this.functionName,
			deadLetterQueueUrl: this.deadLetters.url,
		});
	}
}
