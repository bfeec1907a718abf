/**
 * A stage task run locally the way Fargate would run it: a child process of
 * the task definition's command (components/stage-task.ts
 * STAGE_TASK_COMMAND, i.e. the container's runtime/pipeline/task-entry.ts)
 * with the environment the task definition sets (stageTaskEnvironment) plus
 * the state machine's overrides, against the loopback S3 and DynamoDB
 * peers. And overrides for aws-local-stepfunctions that play the ECS
 * variant's S3 and runTask.sync states with it.
 */
import { spawn } from "node:child_process";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import {
	STAGE_TASK_COMMAND,
	stageTaskEnvironment,
} from "../../components/stage-task.ts";
import type { EcsCapableStage } from "../../runtime/pipeline/definition.ts";
import type { DynamoPeer, S3Peer } from "./peers.ts";

export interface StageTaskWorld {
	s3: S3Peer;
	dynamo: DynamoPeer;
	lakeBucket: string;
	manifestTable: string;
	registryTable: string;
	/** The platform's run settings (STACK_NAME, SHARD_COUNT, PROMOTION_GATE, SEED). */
	environment: Record<string, string>;
}

export interface TaskRun {
	exitCode: number | null;
	stdout: string;
	stderr: string;
}

/** The container's environment: the task definition's, the overrides, and what points the SDK at the peers. */
export function taskEnvironment(
	w: StageTaskWorld,
	stage: string,
	overrides: Record<string, string>,
): Record<string, string> {
	const fromTaskDefinition = Object.fromEntries(
		stageTaskEnvironment(
			stage as EcsCapableStage,
			{
				lakeBucketName: w.lakeBucket,
				manifestTableName: w.manifestTable,
				registryTableName: w.registryTable,
			},
			w.environment,
		).map((e) => [e.name, e.value]),
	);
	return {
		PATH: process.env.PATH ?? "",
		HOME: process.env.HOME ?? "",
		...fromTaskDefinition,
		...overrides,
		// In Fargate: the task role's credentials and the region; here the peers.
		AWS_REGION: "eu-west-1",
		AWS_ACCESS_KEY_ID: "S3RVER",
		AWS_SECRET_ACCESS_KEY: "S3RVER",
		AWS_ENDPOINT_URL_S3: w.s3.endpoint,
		AWS_ENDPOINT_URL_DYNAMODB: w.dynamo.endpoint,
		S3_FORCE_PATH_STYLE: "true",
	};
}

/** Runs the container command as a child process; resolves when it exits. */
export function runStageTaskProcess(
	env: Record<string, string>,
	timeoutMs = 120_000,
): Promise<TaskRun> {
	const [node, ...args] = STAGE_TASK_COMMAND;
	if (node !== "node") throw new Error(`unexpected command ${node}`);
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, args, {
			cwd: process.cwd(),
			env,
			stdio: ["ignore", "pipe", "pipe"],
		});
		let stdout = "";
		let stderr = "";
		child.stdout.on("data", (d) => {
			stdout += d;
		});
		child.stderr.on("data", (d) => {
			stderr += d;
		});
		const timer = setTimeout(() => {
			child.kill("SIGKILL");
			reject(new Error(`stage task timed out\n${stderr}`));
		}, timeoutMs);
		child.on("error", reject);
		child.on("close", (exitCode) => {
			clearTimeout(timer);
			resolve({ exitCode, stdout, stderr });
		});
	});
}

/** An ECS task's failure as runTask.sync reports it (the container exited non-zero). */
export class TaskFailedError extends Error {
	override readonly name = "States.TaskFailed";
}

/**
 * aws-local-stepfunctions overrides for the ECS variant of `stages`: the S3
 * states on the S3 peer, `<Stage>Run` as the child process.
 */
export function ecsStageOverrides(
	w: StageTaskWorld,
	stages: readonly string[],
	runs: Array<{ stage: string; run: TaskRun }> = [],
): Record<string, (input: never) => Promise<unknown>> {
	const out: Record<string, (input: never) => Promise<unknown>> = {};
	type S3Params = { Bucket: string; Key: string; Body?: string };
	const get = async (i: S3Params) => {
		const r = await w.s3.client.send(
			new GetObjectCommand({ Bucket: i.Bucket, Key: i.Key }),
		);
		return { Body: await r.Body?.transformToString() };
	};
	for (const stage of stages) {
		out[`${stage}PutInput`] = async (i: never) => {
			const p = i as S3Params;
			await w.s3.client.send(
				new PutObjectCommand({ Bucket: p.Bucket, Key: p.Key, Body: p.Body }),
			);
			return {};
		};
		out[`${stage}GetOutput`] = (i: never) => get(i as S3Params);
		out[`${stage}GetError`] = (i: never) => get(i as S3Params);
		out[`${stage}Run`] = async (i: never) => {
			const params = i as {
				Overrides: {
					ContainerOverrides: Array<{
						Environment: Array<{ Name: string; Value: string }>;
					}>;
				};
			};
			const overrides = Object.fromEntries(
				params.Overrides.ContainerOverrides[0].Environment.map((e) => [
					e.Name,
					e.Value,
				]),
			);
			const run = await runStageTaskProcess(
				taskEnvironment(w, stage, overrides),
			);
			runs.push({ stage, run });
			if (run.exitCode !== 0)
				throw new TaskFailedError(
					JSON.stringify({
						StopCode: "EssentialContainerExited",
						Containers: [{ ExitCode: run.exitCode }],
					}),
				);
			return { Containers: [{ ExitCode: 0 }] };
		};
	}
	return out;
}
