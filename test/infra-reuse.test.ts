/**
 * A platform team reuses one stage in its own program (the example of
 * components/README.md): a PipelineStage with its own lake, tables and
 * topic, nothing else from the platform. Under mocks: it declares only its
 * own function, role, log group and alarm, with the Score stage's grants.
 */
import * as aws from "@pulumi/aws";
import { describe, expect, it } from "vitest";
import {
	buildLambdaPackage,
	DataLake,
	ManifestTable,
	ModelRegistry,
	PipelineStage,
	type PolicyDocument,
	STAGE_ACCESS,
} from "../components/index.ts";
import { installMocks, resolved } from "./support/infra-harness.ts";

describe("reusing one PipelineStage outside the platform", () => {
	it("declares the stage with its own least-privilege role, log group and alarm", async () => {
		const resources = await installMocks("dev");
		const lake = new DataLake("team-lake");
		const runs = new ManifestTable("team-runs");
		const models = new ModelRegistry("team-models");
		const topic = new aws.sns.Topic("team-alerts");
		const score = new PipelineStage("team-score", {
			stage: "Score",
			package: buildLambdaPackage(),
			resources: {
				lakeBucketName: lake.bucketName,
				lakeBucketArn: lake.arn,
				manifestTableName: runs.tableName,
				manifestTableArn: runs.arn,
				registryTableName: models.tableName,
				registryTableArn: models.arn,
				alertTopicArn: topic.arn,
			},
			memoryMb: 3008,
			logRetentionDays: 30,
			alarmActions: [topic.arn],
		});
		const arn = await resolved(score.arn);
		const policy = JSON.parse(
			await resolved(score.rolePolicy.policy),
		) as PolicyDocument;
		const lakeArn = await resolved(lake.arn);
		expect(arn).toMatch(/^arn:aws:lambda:.*:function:team-score/);
		const granted = (sid: string) =>
			policy.Statement.find((s) => s.Sid === sid)?.Resource;
		expect(granted("LakeRead")).toEqual(
			STAGE_ACCESS.Score.reads.map((p) => `${lakeArn}/${p}`),
		);
		expect(granted("LakeWrite")).toEqual(
			STAGE_ACCESS.Score.writes.map((p) => `${lakeArn}/${p}`),
		);
		await resolved(score.errorAlarm.arn);
		const types = resources.map((r) => r.type);
		expect(
			types.filter((t) => t === "aws:lambda/function:Function"),
		).toHaveLength(1);
		expect(types).not.toContain("aws:sfn/stateMachine:StateMachine");
		const fn = resources.find((r) => r.type === "aws:lambda/function:Function");
		expect(fn?.inputs.memorySize).toBe(3008);
		expect(fn?.inputs.runtime).toBe("nodejs22.x");
	}, 120_000);

	it("rejects a stage that is not a Lambda stage, naming it", async () => {
		await installMocks("dev");
		expect(
			() =>
				new PipelineStage("bad", {
					stage: "PublishReport" as never,
					package: buildLambdaPackage(),
					resources: {
						lakeBucketName: "b",
						lakeBucketArn: "arn:aws:s3:::b",
						manifestTableName: "m",
						manifestTableArn: "arn:m",
						registryTableName: "r",
						registryTableArn: "arn:r",
					},
				}),
		).toThrow(
			/PipelineStage bad: stage must be one of ValidateRaw, .* got "PublishReport"/,
		);
		expect(
			() =>
				new PipelineStage("big", {
					stage: "Train",
					memoryMb: 20000,
					package: buildLambdaPackage(),
					resources: {
						lakeBucketName: "b",
						lakeBucketArn: "arn:aws:s3:::b",
						manifestTableName: "m",
						manifestTableArn: "arn:m",
						registryTableName: "r",
						registryTableArn: "arn:r",
					},
				}),
		).toThrow(
			/PipelineStage big: memoryMb must be an integer between 128 and 10240, got 20000/,
		);
	}, 60_000);
});
