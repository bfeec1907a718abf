/**
 * Alerts on AWS: each alert is published to the SNS topic (the e-mail
 * subscription reads the subject and message) and counted as a CloudWatch
 * metric (namespace SpanishGasChurn, metric = the alert kind), on which the
 * alarms are set. Failures to publish are transient I/O: the state machine
 * retries the stage that raised them.
 */
import {
	CloudWatchClient,
	PutMetricDataCommand,
} from "@aws-sdk/client-cloudwatch";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { METRIC_NAMESPACE } from "../contract.ts";
import { TransientIOError } from "../errors.ts";
import type { Alert, Alerts } from "./alerts.ts";

export { METRIC_NAMESPACE };

/** Metric names per alert kind (CamelCase, as CloudWatch dashboards show them). */
export const ALERT_METRICS: Record<Alert["kind"], string> = {
	run_failed: "RunFailed",
	drift_detected: "DriftDetected",
	quality_warning: "QualityWarning",
	model_rejected: "ModelRejected",
	realized_below_gate: "RealizedBelowGate",
};

export interface AwsAlertsOptions {
	topicArn: string;
	/** Dimension value that separates stacks (dev, prod). */
	stage: string;
	sns?: SNSClient;
	cloudwatch?: CloudWatchClient;
}

export class AwsAlerts implements Alerts {
	private readonly sns: SNSClient;
	private readonly cloudwatch: CloudWatchClient;
	constructor(private readonly o: AwsAlertsOptions) {
		this.sns = o.sns ?? new SNSClient({});
		this.cloudwatch = o.cloudwatch ?? new CloudWatchClient({});
	}

	async raise(alert: Alert): Promise<void> {
		// SNS subjects: ASCII, ≤ 100 characters, no line breaks.
		const subject =
			`[spanishgas ${this.o.stage}] ${alert.kind}: ${alert.batchId ?? alert.runId}`
				.replace(/[^\x20-\x7e]/g, "?")
				.slice(0, 100);
		const message = JSON.stringify(
			{ ...alert, at: new Date().toISOString() },
			null,
			2,
		);
		try {
			await this.sns.send(
				new PublishCommand({
					TopicArn: this.o.topicArn,
					Subject: subject,
					Message: message,
					MessageAttributes: {
						kind: { DataType: "String", StringValue: alert.kind },
					},
				}),
			);
			await this.cloudwatch.send(
				new PutMetricDataCommand({
					Namespace: METRIC_NAMESPACE,
					MetricData: [
						{
							MetricName: ALERT_METRICS[alert.kind],
							Dimensions: [{ Name: "Stage", Value: this.o.stage }],
							Unit: "Count",
							Value: 1,
						},
					],
				}),
			);
		} catch (e) {
			throw new TransientIOError(
				`alert ${alert.kind} for run ${alert.runId} could not be published: ${(e as Error).message}`,
			);
		}
	}
}
