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
import { DynamoDbRunManifest } from "../io/dynamodb-manifest.ts";
import { S3ObjectStore } from "../io/s3-object-store.ts";
import { AwsModelRegistry } from "../model/aws-registry.ts";
import { type PublishResult, publishReport, runSitePrefix } from "./publish.ts";

export interface TaskEnv {
	LAKE_BUCKET?: string;
	SITE_BUCKET?: string;
	STATE_TABLE?: string;
	REGISTRY_TABLE?: string;
	RUN_ID?: string;
	LAKE_PREFIX?: string;
	SITE_PREFIX?: string;
	SCRATCH_DIR?: string;
}

export class TaskConfigError extends Error {
	override readonly name = "TaskConfigError";
}

const REQUIRED = [
	"LAKE_BUCKET",
	"SITE_BUCKET",
	"STATE_TABLE",
	"REGISTRY_TABLE",
	"RUN_ID",
] as const;

/** Validate the environment; names every missing variable at once. */
export function taskConfig(env: TaskEnv) {
	const missing = REQUIRED.filter((k) => !env[k]);
	if (missing.length)
		throw new TaskConfigError(
			`report task: missing environment variable(s) ${missing.join(", ")}`,
		);
	return {
		lakeBucket: env.LAKE_BUCKET as string,
		siteBucket: env.SITE_BUCKET as string,
		stateTable: env.STATE_TABLE as string,
		registryTable: env.REGISTRY_TABLE as string,
		runId: env.RUN_ID as string,
		lakePrefix: env.LAKE_PREFIX ?? "",
		sitePrefix: env.SITE_PREFIX ?? "",
		scratchDir: env.SCRATCH_DIR ?? tmpdir(),
	};
}

export async function runReportTask(env: TaskEnv): Promise<PublishResult> {
	const c = taskConfig(env);
	const store = new S3ObjectStore({
		bucket: c.lakeBucket,
		prefix: c.lakePrefix,
	});
	const siteStore = new S3ObjectStore({
		bucket: c.siteBucket,
		prefix: c.sitePrefix,
	});
	return publishReport({
		store,
		manifest: new DynamoDbRunManifest({ table: c.stateTable }),
		registry: new AwsModelRegistry({ table: c.registryTable, store }),
		runId: c.runId,
		scratchDir: c.scratchDir,
		siteStore,
		sitePrefix: runSitePrefix(c.runId),
		onOutput: (line) => process.stderr.write(`${line}\n`),
	});
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
	runReportTask(process.env as TaskEnv).then(
		(r) => process.stdout.write(`${JSON.stringify(r)}\n`),
		(e: unknown) => {
			process.stderr.write(
				`${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`,
			);
			process.exitCode = 1;
		},
	);
}
