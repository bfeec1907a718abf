/**
 * Alerts: the local implementation appends JSON lines to <root>/alerts.log
 * (and logs them); the AWS one publishes to SNS and emits a metric.
 */
import { appendFile, mkdir } from "node:fs/promises";
import { join } from "node:path";

export type AlertKind =
	| "run_failed"
	| "drift_detected"
	| "quality_warning"
	| "model_rejected"
	/** The champion fell below the promotion gate on a labelled score-mode batch: retrain recommended. */
	| "realized_below_gate";

export interface Alert {
	kind: AlertKind;
	runId: string;
	batchId?: string;
	message: string;
	detail?: Record<string, unknown>;
}

export interface Alerts {
	raise(alert: Alert): Promise<void>;
}

export class LocalAlerts implements Alerts {
	readonly path: string;
	constructor(root: string) {
		this.path = join(root, "alerts.log");
	}
	async raise(alert: Alert): Promise<void> {
		await mkdir(join(this.path, ".."), { recursive: true });
		await appendFile(
			this.path,
			`${JSON.stringify({ at: new Date().toISOString(), ...alert })}\n`,
		);
	}
}

/**
 * Alerts as warning lines of the structured log: where no alert topic is
 * configured (a Lambda deployed without one, a test), nothing is lost — the
 * log keeps every alert with its run id.
 */
export class LogAlerts implements Alerts {
	constructor(
		private readonly write: (line: Record<string, unknown>) => void,
	) {}
	async raise(alert: Alert): Promise<void> {
		this.write({ alert: true, ...alert });
	}
}
