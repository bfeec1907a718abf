/**
 * Stage metrics in CloudWatch's Embedded Metric Format, built by Powertools
 * for AWS Lambda's Metrics: in Lambda the document goes to stdout (CloudWatch
 * turns it into metrics); locally the very same document is appended to the
 * run's metrics.jsonl.
 */
import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { METRIC_NAMESPACE } from "./aws-alerts.ts";

export interface StageMetricsInput {
	runId: string;
	stage: string;
	seconds: number;
	rows?: Record<string, number>;
	faults?: Record<string, number>;
	/** Local JSON-lines file; ignored in Lambda, where stdout is the sink. */
	localPath?: string;
}

const inLambda = () => process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined;

/** Emits one EMF document for a finished stage and returns it. */
export async function emitStageMetrics(
	o: StageMetricsInput,
): Promise<Record<string, unknown>> {
	const m = new Metrics({
		namespace: METRIC_NAMESPACE,
		serviceName: "spanishgas-churn",
	});
	m.addDimension("Stage", o.stage);
	m.addMetadata("runId", o.runId);
	m.addMetric("DurationSeconds", MetricUnit.Seconds, o.seconds);
	for (const [table, n] of Object.entries(o.rows ?? {}))
		m.addMetric(`Rows_${table}`, MetricUnit.Count, n);
	const faults = Object.values(o.faults ?? {}).reduce((a, v) => a + v, 0);
	if (o.faults) m.addMetric("FaultsAbsorbed", MetricUnit.Count, faults);
	const doc = m.serializeMetrics() as unknown as Record<string, unknown>;
	if (inLambda()) m.publishStoredMetrics();
	else if (o.localPath) {
		await mkdir(dirname(o.localPath), { recursive: true });
		await appendFile(o.localPath, `${JSON.stringify(doc)}\n`);
	}
	m.clearMetrics();
	return doc;
}
