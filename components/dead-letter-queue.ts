import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type PolicyStatement, policyDocument } from "./access.ts";

/** SQS keeps a message at most 14 days. */
export const DLQ_RETENTION_SECONDS = 14 * 24 * 3600;

export interface DeadLetterQueueArgs {
	/** Services that deliver to the queue themselves (EventBridge rules' targets), with the sources allowed. */
	senders?: Array<{
		service: string;
		sourceArns: pulumi.Input<pulumi.Input<string>[]>;
	}>;
	/** Alarm actions when a message lands (SNS topic ARNs). */
	alarmActions?: pulumi.Input<string>[];
	tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * Where events that could not be handled end up instead of being dropped
 * (docs/run-lifecycle.md): an SQS queue, encrypted (SSE-SQS), TLS-only,
 * keeping messages 14 days, with an alarm as soon as one arrives. Functions
 * send to it with their own role (an on-failure destination); services in
 * `senders` through the queue policy, from their listed sources only.
 */
export class DeadLetterQueue extends pulumi.ComponentResource {
	public readonly queue: aws.sqs.Queue;
	public readonly policy: aws.sqs.QueuePolicy;
	public readonly alarm: aws.cloudwatch.MetricAlarm;
	public readonly arn: pulumi.Output<string>;
	public readonly url: pulumi.Output<string>;

	constructor(
		name: string,
		args: DeadLetterQueueArgs = {},
		opts?: pulumi.ComponentResourceOptions,
	) {
		super("spanishgas:pipeline:DeadLetterQueue", name, {}, opts);
		const child = { parent: this };
		this.queue = new aws.sqs.Queue(
			name,
			{
				sqsManagedSseEnabled: true,
				messageRetentionSeconds: DLQ_RETENTION_SECONDS,
				tags: args.tags,
			},
			child,
		);
		this.arn = this.queue.arn;
		this.url = this.queue.url;
		const senders = args.senders ?? [];
		this.policy = new aws.sqs.QueuePolicy(
			`${name}-policy`,
			{
				queueUrl: this.queue.url,
				policy: pulumi
					.all([
						this.queue.arn,
						pulumi.all(
							senders.map((s) => pulumi.output(s.sourceArns)),
						) as pulumi.Output<string[][]>,
					])
					.apply(([arn, sources]) =>
						JSON.stringify(
							policyDocument([
								{
									Sid: "DenyInsecureTransport",
									Effect: "Deny",
									Principal: "*",
									Action: "sqs:*",
									Resource: arn,
									Condition: { Bool: { "aws:SecureTransport": "false" } },
								},
								...senders.map(
									(s, i): PolicyStatement => ({
										Sid: `From${i}`,
										Effect: "Allow",
										Principal: { Service: s.service },
										Action: "sqs:SendMessage",
										Resource: arn,
										Condition: { ArnEquals: { "aws:SourceArn": sources[i] } },
									}),
								),
							]),
						),
					),
			},
			child,
		);
		this.alarm = new aws.cloudwatch.MetricAlarm(
			`${name}-messages`,
			{
				alarmDescription: pulumi.interpolate`Dead-letter queue ${this.queue.name} holds an event that was not handled (docs/run-lifecycle.md)`,
				namespace: "AWS/SQS",
				metricName: "ApproximateNumberOfMessagesVisible",
				dimensions: { QueueName: this.queue.name },
				statistic: "Maximum",
				period: 300,
				evaluationPeriods: 1,
				threshold: 1,
				comparisonOperator: "GreaterThanOrEqualToThreshold",
				treatMissingData: "notBreaching",
				alarmActions: args.alarmActions ?? [],
				tags: args.tags,
			},
			child,
		);
		this.registerOutputs({ arn: this.arn, url: this.url });
	}
}
