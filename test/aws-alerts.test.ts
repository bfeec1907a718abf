/**
 * SNS and CloudWatch have no local protocol peer here, so these use
 * aws-sdk-client-mock (docs/architecture.md ("State") allows it for exactly these two services).
 */
import {
	CloudWatchClient,
	PutMetricDataCommand,
} from "@aws-sdk/client-cloudwatch";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import {
	AwsAlerts,
	METRIC_NAMESPACE,
} from "../runtime/monitoring/aws-alerts.ts";

const sns = mockClient(SNSClient);
const cw = mockClient(CloudWatchClient);
const topicArn = "arn:aws:sns:eu-west-1:123456789012:spanishgas-alerts";

beforeEach(() => {
	sns.reset();
	cw.reset();
});

describe("AwsAlerts", () => {
	it("publishes the alert to the topic and counts it as a metric per stage", async () => {
		sns.on(PublishCommand).resolves({ MessageId: "m1" });
		cw.on(PutMetricDataCommand).resolves({});
		const alerts = new AwsAlerts({
			topicArn,
			stage: "prod",
			sns: new SNSClient({}),
			cloudwatch: new CloudWatchClient({}),
		});
		await alerts.raise({
			kind: "drift_detected",
			runId: "r1",
			batchId: "2024-12",
			message: "3 features drifted",
			detail: { driftedFeatures: ["a"] },
		});

		const published = sns.commandCalls(PublishCommand)[0].args[0].input;
		expect(published.TopicArn).toBe(topicArn);
		expect(published.Subject).toBe("[spanishgas prod] drift_detected: 2024-12");
		expect(JSON.parse(published.Message ?? "{}")).toMatchObject({
			kind: "drift_detected",
			runId: "r1",
			detail: { driftedFeatures: ["a"] },
		});
		const metric = cw.commandCalls(PutMetricDataCommand)[0].args[0].input;
		expect(metric.Namespace).toBe(METRIC_NAMESPACE);
		expect(metric.MetricData?.[0]).toMatchObject({
			MetricName: "DriftDetected",
			Value: 1,
			Unit: "Count",
			Dimensions: [{ Name: "Stage", Value: "prod" }],
		});
	});

	it("keeps subjects within SNS rules (ASCII, ≤ 100 characters)", async () => {
		sns.on(PublishCommand).resolves({});
		cw.on(PutMetricDataCommand).resolves({});
		const alerts = new AwsAlerts({
			topicArn,
			stage: "dev",
			sns: new SNSClient({}),
			cloudwatch: new CloudWatchClient({}),
		});
		await alerts.raise({
			kind: "run_failed",
			runId: "r".repeat(200),
			message: "façade → error",
		});
		const subject =
			sns.commandCalls(PublishCommand)[0].args[0].input.Subject ?? "";
		expect(subject.length).toBeLessThanOrEqual(100);
		expect(/^[\x20-\x7e]+$/.test(subject)).toBe(true);
	});

	it("turns a publishing failure into a TransientIOError so the stage is retried", async () => {
		sns.on(PublishCommand).rejects(new Error("Throttling: Rate exceeded"));
		const alerts = new AwsAlerts({
			topicArn,
			stage: "dev",
			sns: new SNSClient({}),
			cloudwatch: new CloudWatchClient({}),
		});
		await expect(
			alerts.raise({ kind: "run_failed", runId: "r1", message: "x" }),
		).rejects.toMatchObject({ name: "TransientIOError" });
		expect(cw.commandCalls(PutMetricDataCommand)).toHaveLength(0);
	});
});
