/**
 * Container entry point of the report build task (AWS Fargate), started by
 * the state machine's PublishReport step with the run id:
 *
 *   node --import tsx runtime/report/task.ts      (working directory: the repository)
 *
 * Environment: LAKE_BUCKET (the data lake), SITE_BUCKET (the private report
 * bucket), STATE_TABLE (run manifest), REGISTRY_TABLE (model registry),
 * RUN_ID (the run to present); optional LAKE_PREFIX, SITE_PREFIX (default
 * "" — the live site at the bucket's root, as CloudFront serves it),
 * SCRATCH_DIR (default the OS temp folder). The task builds the run's site
 * under reports/runs/<runId>/site/ of the site bucket; MarkSucceeded makes
 * it live (docs/run-lifecycle.md, "Promotion and publication"). AWS region and credentials come from the
 * task role, as for every AWS SDK client.
 *
 * Prints one JSON line with the result (seconds, files, bytes, siteKey);
 * exits 1 with the error on failure.
 */
import { tmpdir } from "node:os";
import { pathToFileURL } from "node:url";
import { S3Client } from "@aws-sdk/client-s3";
import { PLATFORM_ENV, REPORT_TASK_ENV } from "../contract.ts";
import { S3ObjectStore } from "../io/s3-object-store.ts";
import { awsPlatform } from "../pipeline/aws-platform.ts";
import {
	type PublishDeps,
	type PublishResult,
	publishReport,
	runSitePrefix,
} from "./publish.ts";

/** The task's environment (names: runtime/contract.ts PLATFORM_ENV, REPORT_TASK_ENV). */
export type TaskEnv = Record<string, string | undefined>;

export class TaskConfigError extends Error {
	override readonly name = "TaskConfigError";
}

const REQUIRED = [
	PLATFORM_ENV.lakeBucket,
	REPORT_TASK_ENV.siteBucket,
	PLATFORM_ENV.stateTable,
	PLATFORM_ENV.registryTable,
	REPORT_TASK_ENV.runId,
] as const;

/** Validate the environment; names every missing variable at once. */
export function taskConfig(env: TaskEnv) {
	const missing = REQUIRED.filter((k) => !env[k]);
	const value = (name: string) => env[name] ?? "";
	if (missing.length)
		throw new TaskConfigError(
			`report task: missing environment variable(s) ${missing.join(", ")}`,
		);
	return {
		siteBucket: value(REPORT_TASK_ENV.siteBucket),
		runId: value(REPORT_TASK_ENV.runId),
		sitePrefix: value(REPORT_TASK_ENV.sitePrefix),
		scratchDir: env[REPORT_TASK_ENV.scratchDir] ?? tmpdir(),
	};
}

/**
 * What the report build reads and writes: the lake, the manifest and the
 * registry of the AWS platform (the same a stage function gets from the same
 * variables), and the site bucket.
 */
export function reportTaskDeps(env: TaskEnv): PublishDeps {
	const c = taskConfig(env);
	const platform = awsPlatform(env);
	const siteStore = new S3ObjectStore({
		bucket: c.siteBucket,
		prefix: c.sitePrefix,
		client: new S3Client({
			forcePathStyle: env[PLATFORM_ENV.forcePathStyle] === "true",
		}),
	});
	return {
		store: platform.store,
		manifest: platform.manifest,
		registry: platform.registry,
		runId: c.runId,
		scratchDir: c.scratchDir,
		siteStore,
		// Under the run's own prefix (of SITE_PREFIX); MarkSucceeded makes it
		// live (docs/run-lifecycle.md, "Promotion and publication").
		sitePrefix: runSitePrefix(c.runId),
		onOutput: (line) => process.stderr.write(`${line}\n`),
	};
}

export async function runReportTask(env: TaskEnv): Promise<PublishResult> {
	return publishReport(reportTaskDeps(env));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
	runReportTask(process.env).then(
		(r) => process.stdout.write(`${JSON.stringify(r)}\n`),
		(e: unknown) => {
			process.stderr.write(
				`${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`,
			);
			process.exitCode = 1;
		},
	);
}
