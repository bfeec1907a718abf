/**
 * Counts of the run lifecycle (docs/run-lifecycle.md): uploads the trigger
 * skipped, files it ignored, runs the reconciler closed. CloudWatch Embedded
 * Metric Format through Powertools, like the stage metrics: in Lambda the
 * document goes to stdout and CloudWatch turns it into the metric; elsewhere
 * it is only returned (the structured log line beside it says the same).
 */
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { METRIC_NAMESPACE } from "./aws-alerts.ts";

export type LifecycleMetric =
	/** An upload (or rerun request) that did not start a run; dimension Reason. */
	| "SkippedUploads"
	/** Files in a batch folder that its manifest does not list (ignored). */
	| "UnlistedRawFiles"
	/** Runs the reconciler marked failed or aborted; dimension Reason. */
	| "RunsReconciled";

export type MetricSink = (
	metric: LifecycleMetric,
	value: number,
	dimensions: Record<string, string>,
	metadata?: Record<string, unknown>,
) => void;

const inLambda = () => process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined;

/** Builds one EMF document (and publishes it when running in Lambda). */
export function emfDocument(
	metric: LifecycleMetric,
	value: number,
	dimensions: Record<string, string>,
	metadata: Record<string, unknown> = {},
): Record<string, unknown> {
	const m = new Metrics({
		namespace: METRIC_NAMESPACE,
		serviceName: "spanishgas-churn",
	});
	for (const [k, v] of Object.entries(dimensions)) m.addDimension(k, v);
	for (const [k, v] of Object.entries(metadata)) m.addMetadata(k, String(v));
	m.addMetric(metric, MetricUnit.Count, value);
	const doc = m.serializeMetrics() as unknown as Record<string, unknown>;
	if (inLambda()) m.publishStoredMetrics();
	m.clearMetrics();
	return doc;
}

/** The default sink: EMF (stdout in Lambda). */
export const emfSink: MetricSink = (metric, value, dimensions, metadata) => {
	emfDocument(metric, value, dimensions, metadata);
};
