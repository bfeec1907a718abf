/**
 * The platform of a deployed stage, from its Lambda environment (set by the
 * Pulumi stage component): S3 lake, DynamoDB manifest and registry, SNS +
 * CloudWatch alerts, /tmp as scratch. The loopback peers of the tests
 * (s3rver, dynalite) are reached through the SDK's own endpoint variables
 * (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_DYNAMODB) plus S3_FORCE_PATH_STYLE.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { PLATFORM_ENV } from "../contract.ts";
import { DynamoDbRunManifest } from "../io/dynamodb-manifest.ts";
import { lakeObjectTags } from "../io/lake.ts";
import { S3ObjectStore } from "../io/s3-object-store.ts";
import { rootLogger } from "../log.ts";
import { AwsModelRegistry } from "../model/aws-registry.ts";
import { LogAlerts } from "../monitoring/alerts.ts";
import { AwsAlerts } from "../monitoring/aws-alerts.ts";
import type { Platform } from "./platform.ts";

/** The environment variables a stage function reads (the contract with components/). */
export { PLATFORM_ENV };

/** A required variable is missing: the function was deployed without its configuration. */
export class PlatformConfigError extends Error {
	override readonly name = "PlatformConfigError";
}

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
	const v = env[name];
	if (!v)
		throw new PlatformConfigError(
			`environment variable ${name} is not set: the stage function needs it (set by the Pulumi stage component)`,
		);
	return v;
}

export function awsPlatform(env: Env = process.env): Platform {
	const s3 = new S3Client({
		forcePathStyle: env[PLATFORM_ENV.forcePathStyle] === "true",
	});
	const dynamo = new DynamoDBClient({});
	const store = new S3ObjectStore({
		bucket: required(env, PLATFORM_ENV.lakeBucket),
		prefix: env[PLATFORM_ENV.lakePrefix],
		client: s3,
		tagsFor: lakeObjectTags,
	});
	const topicArn = env[PLATFORM_ENV.alertTopicArn];
	const siteBucket = env[PLATFORM_ENV.siteBucket];
	const scratchDir = join(tmpdir(), "spanishgas-scratch");
	return {
		store,
		manifest: new DynamoDbRunManifest({
			table: required(env, PLATFORM_ENV.stateTable),
			client: dynamo,
		}),
		registry: new AwsModelRegistry({
			table: required(env, PLATFORM_ENV.registryTable),
			store,
			client: dynamo,
		}),
		alerts: topicArn
			? new AwsAlerts({
					topicArn,
					stage: env[PLATFORM_ENV.stackName] ?? "dev",
				})
			: new LogAlerts((line) => rootLogger.warn("alert", line)),
		...(siteBucket
			? { siteStore: new S3ObjectStore({ bucket: siteBucket, client: s3 }) }
			: {}),
		scratchDir,
	};
}
