/**
 * The names the run lifecycle shares with the infrastructure
 * (components/batch-trigger.ts, components/run-reconciler.ts), in a module
 * without dependencies: the Pulumi program loads it without the runtime.
 * docs/batch-manifest.md, docs/run-lifecycle.md.
 */

/** File name of a batch's manifest in its folder, `raw/<batch>/_manifest.json`: the S3 notification's suffix. */
export const BATCH_MANIFEST = "_manifest.json";

/** The EventBridge detail-type of Step Functions' execution status changes. */
export const EXECUTION_STATUS_CHANGE = "Step Functions Execution Status Change";

/** The statuses the reconciler acts on (the EventBridge rule's list). */
export const FINAL_FAILURE_STATUSES = [
	"FAILED",
	"TIMED_OUT",
	"ABORTED",
] as const;

/** Default lease of a started run without a running execution (minutes). */
export const DEFAULT_LEASE_MINUTES = 15;
