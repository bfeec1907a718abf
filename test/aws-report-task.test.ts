/**
 * The report build task's wiring (runtime/report/task.ts): its environment
 * (runtime/contract.ts names) and the stores it builds from it, against
 * s3rver. The build itself is tested in test/report-site.test.ts.
 */
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLATFORM_ENV, REPORT_TASK_ENV } from "../runtime/contract.ts";
import {
	reportTaskDeps,
	TaskConfigError,
	taskConfig,
} from "../runtime/report/task.ts";
import { type S3Peer, startS3Peer } from "./support/peers.ts";

let s3: S3Peer;
const saved = { ...process.env };
beforeAll(async () => {
	s3 = await startS3Peer();
	await s3.createBucket("report-lake");
	await s3.createBucket("report-site");
	// The SDK clients the task builds read the endpoint and credentials from the environment.
	Object.assign(process.env, {
		AWS_ENDPOINT_URL_S3: s3.endpoint,
		AWS_REGION: "eu-west-1",
		AWS_ACCESS_KEY_ID: "S3RVER",
		AWS_SECRET_ACCESS_KEY: "S3RVER",
	});
});
afterAll(async () => {
	process.env = saved;
	await s3?.stop();
});

const env = {
	[PLATFORM_ENV.lakeBucket]: "report-lake",
	[PLATFORM_ENV.lakePrefix]: "lake",
	[PLATFORM_ENV.stateTable]: "runs",
	[PLATFORM_ENV.registryTable]: "models",
	[PLATFORM_ENV.forcePathStyle]: "true",
	[REPORT_TASK_ENV.siteBucket]: "report-site",
	[REPORT_TASK_ENV.sitePrefix]: "site",
	[REPORT_TASK_ENV.runId]: "r-1",
	[REPORT_TASK_ENV.scratchDir]: "/tmp/report-scratch",
};

describe("the report task", () => {
	it("names every missing variable at once", () => {
		expect(() => taskConfig({ [REPORT_TASK_ENV.runId]: "r-1" })).toThrow(
			new TaskConfigError(
				"report task: missing environment variable(s) LAKE_BUCKET, SITE_BUCKET, STATE_TABLE, REGISTRY_TABLE",
			),
		);
	});

	it("reads the lake under LAKE_PREFIX and writes the site under SITE_PREFIX", async () => {
		const deps = reportTaskDeps(env);
		expect(deps.runId).toBe("r-1");
		expect(deps.scratchDir).toBe("/tmp/report-scratch");
		await s3.client.send(
			new PutObjectCommand({
				Bucket: "report-lake",
				Key: "lake/latest.json",
				Body: '{"runId":"r-1"}',
			}),
		);
		expect(await deps.store.getText("latest.json")).toBe('{"runId":"r-1"}');
		await deps.siteStore.put("index.html", "<html></html>");
		const got = await s3.client.send(
			new GetObjectCommand({ Bucket: "report-site", Key: "site/index.html" }),
		);
		expect(await got.Body?.transformToString()).toBe("<html></html>");
	});
});
