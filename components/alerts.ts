import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { METRIC_NAMESPACE } from "./access.ts";

export interface AlertsArgs {
	/** Address subscribed to the topic (AWS sends a confirmation e-mail first). */
	email?: pulumi.Input<string>;
	/** Value of the `Stage` dimension of the runtime's alert metrics (the runtime's STACK_NAME). */
	metricStage: pulumi.Input<string>;
	tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/**
 * Where the platform tells people something went wrong: an SNS topic
 * (encrypted with its own KMS key, which CloudWatch alarms may use — they
 * cannot publish to a topic under the AWS-managed SNS key) with an e-mail
 * subscription, and alarms on the runtime's alert metrics (namespace
 * SpanishGasChurn): drift detected and run failed. Stage error alarms live
 * with each PipelineStage and the failed-executions alarm with the
 * StateMachine; all of them notify this topic.
 */
export class Alerts extends pulumi.ComponentResource {
	public readonly key: aws.kms.Key;
	public readonly topic: aws.sns.Topic;
	public readonly topicArn: pulumi.Output<string>;
	public readonly keyArn: pulumi.Output<string>;
	public readonly subscription?: aws.sns.TopicSubscription;
	public readonly driftAlarm: aws.cloudwatch.MetricAlarm;
	public readonly runFailedAlarm: aws.cloudwatch.MetricAlarm;

	constructor(
		name: string,
		args: AlertsArgs,
		opts?: pulumi.ComponentResourceOptions,
	) {
		super("spanishgas:monitoring:Alerts", name, {}, opts);
		if (typeof args.email === "string" && !EMAIL.test(args.email))
			throw new Error(
				`Alerts ${name}: email must be an e-mail address, got ${JSON.stringify(args.email)}`,
			);
		const child = { parent: this };
		const account = aws.getCallerIdentityOutput({}, child).accountId;
		this.key = new aws.kms.Key(
			`${name}-key`,
			{
				description: "SpanishGas churn alert topic",
				enableKeyRotation: true,
				deletionWindowInDays: 7,
				policy: account.apply((id) =>
					JSON.stringify({
						Version: "2012-10-17",
						Statement: [
							{
								Sid: "AccountAdministers",
								Effect: "Allow",
								Principal: { AWS: `arn:aws:iam::${id}:root` },
								Action: "kms:*",
								Resource: "*",
							},
							{
								Sid: "CloudWatchAlarmsPublish",
								Effect: "Allow",
								Principal: { Service: "cloudwatch.amazonaws.com" },
								Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
								Resource: "*",
							},
						],
					}),
				),
				tags: args.tags,
			},
			child,
		);
		this.keyArn = this.key.arn;
		this.topic = new aws.sns.Topic(
			name,
			{ kmsMasterKeyId: this.key.id, tags: args.tags },
			child,
		);
		this.topicArn = this.topic.arn;
		if (args.email !== undefined)
			this.subscription = new aws.sns.TopicSubscription(
				`${name}-email`,
				{ topic: this.topic.arn, protocol: "email", endpoint: args.email },
				child,
			);
		const metricAlarm = (id: string, metricName: string, description: string) =>
			new aws.cloudwatch.MetricAlarm(
				`${name}-${id}`,
				{
					alarmDescription: description,
					namespace: METRIC_NAMESPACE,
					metricName,
					dimensions: { Stage: args.metricStage },
					statistic: "Sum",
					period: 300,
					evaluationPeriods: 1,
					threshold: 1,
					comparisonOperator: "GreaterThanOrEqualToThreshold",
					treatMissingData: "notBreaching",
					alarmActions: [this.topic.arn],
					tags: args.tags,
				},
				child,
			);
		this.driftAlarm = metricAlarm(
			"drift",
			"DriftDetected",
			"A run found drift against the champion's training population (KS p < 0.01): see runs/<runId>/monitoring/drift.json",
		);
		this.runFailedAlarm = metricAlarm(
			"run-failed",
			"RunFailed",
			"A pipeline run failed: see the run manifest for the error",
		);
		this.registerOutputs({ topicArn: this.topicArn });
	}
}
