/**
 * Stages that run as Fargate tasks (`stageRunners`) and the private network
 * of every task, under pulumi.runtime.setMocks: a task definition and a task
 * role per Fargate stage from the same access table as its Lambda (no
 * broader), the state machine allowed to run exactly those tasks and pass
 * exactly those roles, the deployed definition with the ECS variant of those
 * stages, and a network without public IPs, internet routes or open egress.
 */
import type * as pulumi from "@pulumi/pulumi";
import aslValidator from "asl-validator";
import { beforeAll, describe, expect, it } from "vitest";
import {
	accessStatements,
	LAMBDA_STAGES,
	type PolicyDocument,
	type PolicyStatement,
	STAGE_ACCESS,
} from "../components/access.ts";
import { CONFIG_NAMESPACE, parseStackConfig } from "../components/config.ts";
import { fargateStages } from "../components/platform.ts";
import {
	PrivateNetwork,
	TASK_GATEWAY_ENDPOINTS,
	TASK_INTERFACE_ENDPOINTS,
} from "../components/private-network.ts";
import { ReportBuild } from "../components/report-build.ts";
import {
	STAGE_CONTAINER,
	STAGE_TASK_COMMAND,
	STAGE_TASK_SIZING,
	StageTasks,
	stageTaskAccess,
} from "../components/stage-task.ts";
import {
	ECS_RUN_TASK_SYNC,
	reportTaskParameters,
	stageTaskParameters,
} from "../components/state-machine.ts";
import { buildDefinition } from "../runtime/pipeline/definition.ts";
import {
	installMocks,
	type Json,
	type ProgramRun,
	REGION,
	resolved,
	runProgram,
	stackConfig,
} from "./support/infra-harness.ts";

const T = {
	taskDef: "aws:ecs/taskDefinition:TaskDefinition",
	role: "aws:iam/role:Role",
	rolePolicy: "aws:iam/rolePolicy:RolePolicy",
	fn: "aws:lambda/function:Function",
	sfn: "aws:sfn/stateMachine:StateMachine",
	bucket: "aws:s3/bucket:Bucket",
	table: "aws:dynamodb/table:Table",
	topic: "aws:sns/topic:Topic",
	key: "aws:kms/key:Key",
	image: "awsx:ecr:Image",
	repo: "aws:ecr/repository:Repository",
	cluster: "aws:ecs/cluster:Cluster",
	logGroup: "aws:cloudwatch/logGroup:LogGroup",
	vpc: "aws:ec2/vpc:Vpc",
	subnet: "aws:ec2/subnet:Subnet",
	routeTable: "aws:ec2/routeTable:RouteTable",
	route: "aws:ec2/route:Route",
	association: "aws:ec2/routeTableAssociation:RouteTableAssociation",
	igw: "aws:ec2/internetGateway:InternetGateway",
	eigw: "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
	nat: "aws:ec2/natGateway:NatGateway",
	eip: "aws:ec2/eip:Eip",
	endpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
	sg: "aws:ec2/securityGroup:SecurityGroup",
	sgRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
	ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
	egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
} as const;

const asArray = <X>(x: X | X[] | undefined): X[] =>
	x === undefined ? [] : Array.isArray(x) ? x : [x];

/** Train sized explicitly, Silver with the defaults, Gold named but left on Lambda. */
const RUNNERS = {
	Train: {
		runner: "fargate",
		cpu: 8192,
		memoryMb: 32768,
		timeoutSeconds: 21600,
	},
	Silver: "fargate",
	Gold: "lambda",
};
const ON_FARGATE = ["Silver", "Train"] as const;

describe("stage runners and the task network under mocks (dev with stageRunners)", () => {
	let run: ProgramRun;
	const policyOf = (logical: string): PolicyDocument =>
		JSON.parse(run.byName(T.rolePolicy, logical).inputs.policy);
	const taskDefOf = (stage: string) =>
		run.byName(T.taskDef, `spanishgas-stage-tasks-${stage}`);
	const containerOf = (stage: string) =>
		JSON.parse(taskDefOf(stage).inputs.containerDefinitions)[0];
	const smPolicy = () => policyOf("spanishgas-pipeline-policy");
	const statement = (doc: PolicyDocument, sid: string) =>
		doc.Statement.find((s) => s.Sid === sid) as PolicyStatement;

	beforeAll(async () => {
		run = await runProgram("dev", {
			overrides: { "spanishgas:stageRunners": JSON.stringify(RUNNERS) },
		});
	}, 180_000);

	it("the config maps runners to Fargate stages with their sizes; unknown stages and bad sizes are refused", () => {
		expect(
			fargateStages(
				parseStackConfig({
					alertEmail: "a@b.example",
					stageRunners: JSON.stringify(RUNNERS),
				}).stageRunners,
			),
		).toEqual({
			Train: { cpu: 8192, memoryMb: 32768, timeoutSeconds: 21600 },
			Silver: {},
		});
		expect(() =>
			parseStackConfig({
				alertEmail: "a@b.example",
				stageRunners: JSON.stringify({ BronzeShard: "fargate" }),
			}),
		).toThrow(`${CONFIG_NAMESPACE}:stageRunners.BronzeShard: unknown key`);
		expect(() =>
			parseStackConfig({
				alertEmail: "a@b.example",
				stageRunners: JSON.stringify({ Train: "ec2" }),
			}),
		).toThrow(/spanishgas:stageRunners\.Train/);
	});

	it("declares one task definition per Fargate stage, of the platform's image, running the entry point with its Lambda's environment and STAGE", () => {
		const image = run.ofType(T.image);
		expect(image).toHaveLength(1); // one image for the report and the stages
		expect(run.ofType(T.repo)).toHaveLength(1);
		expect(run.ofType(T.cluster)).toHaveLength(1);
		const stageDefs = run
			.ofType(T.taskDef)
			.filter((t) => t.name.startsWith("spanishgas-stage-tasks-"));
		expect(stageDefs.map((t) => t.name).sort()).toEqual(
			ON_FARGATE.map((s) => `spanishgas-stage-tasks-${s}`),
		);
		const execution = run.byName(T.role, "stage-tasks-execution-role");
		for (const stage of ON_FARGATE) {
			const def = taskDefOf(stage);
			const want = {
				...STAGE_TASK_SIZING[stage],
				...(stage === "Train" ? RUNNERS.Train : {}),
			};
			expect(def.inputs).toMatchObject({
				family: `spanishgas-dev-${stage}`,
				requiresCompatibilities: ["FARGATE"],
				networkMode: "awsvpc",
				cpu: String(want.cpu),
				memory: String(want.memoryMb),
				ephemeralStorage: { sizeInGib: want.ephemeralStorageGiB },
				taskRoleArn: run.byName(T.role, `stage-tasks-${stage}-role`).state.arn,
				executionRoleArn: execution.state.arn,
			});
			const c = containerOf(stage);
			expect(c.name).toBe(STAGE_CONTAINER);
			expect(c.image).toBe(image[0].state.imageUri);
			expect(c.command).toEqual(STAGE_TASK_COMMAND);
			expect(c.command).toEqual([
				"node",
				"--import",
				"tsx",
				"runtime/pipeline/task-entry.ts",
			]);
			const env = Object.fromEntries(
				c.environment.map((e: { name: string; value: string }) => [
					e.name,
					e.value,
				]),
			);
			// Exactly the stage Lambda's environment, plus the stage to run.
			const lambdaEnv = run.byName(T.fn, `spanishgas-${stage}`).inputs
				.environment.variables;
			expect(env).toEqual({ ...lambdaEnv, STAGE: stage });
			expect(c.logConfiguration).toEqual({
				logDriver: "awslogs",
				options: {
					"awslogs-group": run.byName(T.logGroup, "stage-tasks-logs").state
						.name,
					"awslogs-region": REGION,
					"awslogs-stream-prefix": stage,
				},
			});
		}
		// Task roles are assumable by ECS tasks only.
		for (const stage of ON_FARGATE)
			expect(
				JSON.parse(
					run.byName(T.role, `stage-tasks-${stage}-role`).inputs
						.assumeRolePolicy,
				).Statement,
			).toEqual([
				{
					Effect: "Allow",
					Principal: { Service: "ecs-tasks.amazonaws.com" },
					Action: "sts:AssumeRole",
				},
			]);
	});

	it("each stage task role has exactly its Lambda's grants plus its own input and output documents", () => {
		const lake = run.byName(T.bucket, "-lake").state.arn;
		for (const stage of ON_FARGATE) {
			const task = policyOf(`stage-tasks-${stage}-policy`);
			const lambda = policyOf(`spanishgas-${stage}-policy`);
			const io = `runs/*/stage-io/${stage}/*`;
			expect(asArray(statement(task, "LakeRead").Resource)).toEqual(
				[...STAGE_ACCESS[stage].reads, `${io}/input.json`].map(
					(p) => `${lake}/${p}`,
				),
			);
			expect(asArray(statement(task, "LakeWrite").Resource)).toEqual(
				[...STAGE_ACCESS[stage].writes, `${io}/output.json`].map(
					(p) => `${lake}/${p}`,
				),
			);
			// Without the stage-io documents (resources, and the listing prefix the
			// read implies), the task's statements are the Lambda's (minus its log group).
			const notIo = (r: string) => !r.includes("/stage-io/");
			const withoutIo = task.Statement.map((s) => {
				const prefix = s.Condition?.StringLike?.["s3:prefix"];
				return {
					...s,
					...(s.Resource !== undefined
						? {
								Resource: Array.isArray(s.Resource)
									? s.Resource.filter(notIo)
									: s.Resource,
							}
						: {}),
					...(prefix !== undefined
						? {
								Condition: {
									...s.Condition,
									StringLike: {
										...s.Condition?.StringLike,
										"s3:prefix": asArray(prefix as string | string[]).filter(
											notIo,
										),
									},
								},
							}
						: {}),
				};
			});
			expect(withoutIo).toEqual(
				lambda.Statement.filter((s) => s.Sid !== "OwnLogs"),
			);
			expect(stageTaskAccess(stage).manifest).toBe(
				STAGE_ACCESS[stage].manifest,
			);
			expect(stageTaskAccess(stage).registry).toBe(
				STAGE_ACCESS[stage].registry,
			);
		}
		// The builder is the one the Lambda roles use.
		expect(policyOf("stage-tasks-Train-policy").Statement).toEqual(
			accessStatements(stageTaskAccess("Train"), {
				lakeBucketArn: lake,
				manifestTableArn: run.byName(T.table, "-manifest").state.arn,
				registryTableArn: run.byName(T.table, "-registry").state.arn,
				alertTopicArn: run.ofType(T.topic)[0].state.arn,
				alertKeyArn: run.ofType(T.key)[0].state.arn,
			}),
		);
		// The shared execution role pulls the task image and writes the stage log group only.
		const exec = policyOf("stage-tasks-execution-policy");
		expect(statement(exec, "PullTaskImage").Resource).toBe(
			run.ofType(T.repo)[0].state.arn,
		);
		expect(statement(exec, "TaskLogs").Resource).toBe(
			`${run.byName(T.logGroup, "stage-tasks-logs").state.arn}:*`,
		);
	});

	it("the state machine may run exactly those task definitions, pass exactly those roles, and no longer invokes their functions", () => {
		const doc = smPolicy();
		const cluster = run.ofType(T.cluster)[0].state.arn;
		expect(statement(doc, "RunStageTasks")).toEqual({
			Sid: "RunStageTasks",
			Effect: "Allow",
			Action: "ecs:RunTask",
			Resource: ON_FARGATE.map((s) => taskDefOf(s).state.arn),
			Condition: { ArnEquals: { "ecs:cluster": cluster } },
		});
		expect(statement(doc, "PassStageTaskRoles")).toEqual({
			Sid: "PassStageTaskRoles",
			Effect: "Allow",
			Action: "iam:PassRole",
			Resource: [
				...ON_FARGATE.map(
					(s) => run.byName(T.role, `stage-tasks-${s}-role`).state.arn,
				),
				run.byName(T.role, "stage-tasks-execution-role").state.arn,
			],
			Condition: {
				StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" },
			},
		});
		const lake = run.byName(T.bucket, "-lake").state.arn;
		expect(statement(doc, "StageTaskInputs")).toMatchObject({
			Action: "s3:PutObject",
			Resource: ON_FARGATE.map(
				(s) => `${lake}/runs/*/stage-io/${s}/*/input.json`,
			),
		});
		expect(statement(doc, "StageTaskOutputs")).toMatchObject({
			Action: "s3:GetObject",
			Resource: ON_FARGATE.map(
				(s) => `${lake}/runs/*/stage-io/${s}/*/output.json`,
			),
		});
		const invoked = asArray(statement(doc, "InvokeStageFunctions").Resource);
		const onLambda = LAMBDA_STAGES.filter(
			(s) => !(ON_FARGATE as readonly string[]).includes(s),
		);
		const arns = onLambda.map(
			(s) => run.byName(T.fn, `spanishgas-${s}`).state.arn,
		);
		expect(new Set(invoked)).toEqual(
			new Set([...arns, ...arns.map((a) => `${a}:*`)]),
		);
		// RunTask on anything else: only the report task.
		const runTasks = doc.Statement.filter((s) =>
			asArray(s.Action).includes("ecs:RunTask"),
		);
		expect(runTasks.flatMap((s) => asArray(s.Resource)).sort()).toEqual(
			run
				.ofType(T.taskDef)
				.map((t) => t.state.arn)
				.sort(),
		);
	});

	it("deploys the definition with the ECS variant of exactly those stages, in the private subnets without a public IP", () => {
		const deployed = JSON.parse(run.ofType(T.sfn)[0].inputs.definition);
		const fn = (s: string) => run.byName(T.fn, `spanishgas-${s}`).state.arn;
		const network = {
			clusterArn: run.ofType(T.cluster)[0].state.arn,
			subnetIds: run.ofType(T.subnet).map((s) => s.id),
			securityGroupIds: [run.byName(T.sg, "-task-sg").id],
		};
		const report = run.byName(T.taskDef, "report-build-task");
		const expected = buildDefinition({
			resourceFor: (s) =>
				(LAMBDA_STAGES as readonly string[]).includes(s)
					? fn(s)
					: ECS_RUN_TASK_SYNC,
			maxConcurrency: JSON.parse(
				stackConfig("dev")["spanishgas:maxConcurrency"],
			),
			mapMode: "INLINE",
			lakeBucket: run.byName(T.bucket, "-lake").state.bucket,
			publishReport: {
				resource: ECS_RUN_TASK_SYNC,
				parameters: reportTaskParameters({
					...network,
					taskDefinitionArn: report.state.arn,
					containerName: "report",
					taskRoleArn: "",
					executionRoleArn: "",
				}),
			},
			ecsStages: {
				Train: {
					parameters: stageTaskParameters(
						network,
						taskDefOf("Train").state.arn,
					),
					containerName: STAGE_CONTAINER,
					timeoutSeconds: 21600,
				},
				Silver: {
					parameters: stageTaskParameters(
						network,
						taskDefOf("Silver").state.arn,
					),
					containerName: STAGE_CONTAINER,
					timeoutSeconds: STAGE_TASK_SIZING.Silver.timeoutSeconds,
				},
			},
		});
		expect(deployed).toEqual(expected);
		const { isValid, errors } = aslValidator(structuredClone(deployed));
		expect(errors).toEqual([]);
		expect(isValid).toBe(true);
		const states = deployed.States as Record<string, Json>;
		// Train's ECS variant is the first branch of the Parallel state it shares with the ladder.
		const train = states.TrainParallel.Branches[0].States.Train;
		expect(train.Type).toBe("Parallel");
		expect(states.Silver.Type).toBe("Parallel");
		expect(states.Gold.Resource).toBe(fn("Gold"));
		const trainRun = train.Branches[0].States.TrainRun;
		expect(trainRun.TimeoutSeconds).toBe(21600);
		for (const params of [trainRun.Parameters, states.PublishReport.Parameters])
			expect(params.NetworkConfiguration.AwsvpcConfiguration).toEqual({
				Subnets: network.subnetIds,
				SecurityGroups: network.securityGroupIds,
				AssignPublicIp: "DISABLED",
			});
	});

	it("the task network has private subnets only: no public IPs, no internet or NAT gateway, no route out of the VPC", () => {
		const vpcs = run.ofType(T.vpc);
		expect(vpcs).toHaveLength(1);
		expect(vpcs[0].inputs).toMatchObject({
			enableDnsHostnames: true,
			enableDnsSupport: true,
		});
		for (const t of [T.igw, T.eigw, T.nat, T.eip, T.route, T.sgRule])
			expect(run.ofType(t), t).toEqual([]);
		const subnets = run.ofType(T.subnet);
		expect(subnets.length).toBeGreaterThanOrEqual(2);
		expect(new Set(subnets.map((s) => s.inputs.availabilityZone)).size).toBe(
			subnets.length,
		);
		for (const s of subnets) {
			expect(s.inputs.mapPublicIpOnLaunch, s.name).toBe(false);
			expect(s.inputs.assignIpv6AddressOnCreation ?? false).toBe(false);
		}
		// Each task subnet's route table has no route at all (only the implicit local one and the gateway endpoints).
		const tables = run.ofType(T.routeTable);
		for (const s of subnets) {
			const assoc = run
				.ofType(T.association)
				.filter((a) => a.inputs.subnetId === s.id);
			expect(assoc, s.name).toHaveLength(1);
			const table = tables.find(
				(t) => t.id === assoc[0].inputs.routeTableId,
			) as Json;
			expect(table.inputs.routes ?? [], s.name).toEqual([]);
		}
	});

	it("the VPC endpoints cover what the tasks call: S3 and DynamoDB gateways on the task route table, interface endpoints with private DNS", () => {
		const endpoints = run.ofType(T.endpoint);
		const service = (e: Json) =>
			String(e.inputs.serviceName).replace(`com.amazonaws.${REGION}.`, "");
		const table = run.ofType(T.routeTable)[0];
		const gateways = endpoints.filter(
			(e) => e.inputs.vpcEndpointType === "Gateway",
		);
		expect(gateways.map(service).sort()).toEqual(
			[...TASK_GATEWAY_ENDPOINTS].sort(),
		);
		expect(gateways.map(service).sort()).toEqual(["dynamodb", "s3"]);
		for (const g of gateways)
			expect(g.inputs.routeTableIds).toEqual([table.id]);
		const interfaces = endpoints.filter(
			(e) => e.inputs.vpcEndpointType === "Interface",
		);
		expect(interfaces.map(service).sort()).toEqual(
			[...TASK_INTERFACE_ENDPOINTS].sort(),
		);
		for (const must of [
			"ecr.api",
			"ecr.dkr",
			"logs",
			"sts",
			"sns",
			"monitoring",
		])
			expect(interfaces.map(service)).toContain(must);
		const endpointSg = run.byName(T.sg, "-endpoint-sg");
		const subnets = run.ofType(T.subnet).map((s) => s.id);
		for (const i of interfaces) {
			expect(i.inputs.privateDnsEnabled, service(i)).toBe(true);
			expect(i.inputs.subnetIds).toEqual(subnets);
			expect(i.inputs.securityGroupIds).toEqual([endpointSg.id]);
		}
		expect(endpoints.map((e) => e.inputs.vpcId)).toEqual(
			endpoints.map(() => run.ofType(T.vpc)[0].id),
		);
	});

	it("security groups: tasks take no inbound and send HTTPS only to the endpoints; the endpoints take HTTPS from the tasks only", () => {
		const taskSg = run.byName(T.sg, "-task-sg");
		const endpointSg = run.byName(T.sg, "-endpoint-sg");
		for (const sg of run.ofType(T.sg)) {
			// No inline rules (they would fight the standalone ones), so no default allow-all either.
			expect(sg.inputs.ingress ?? [], sg.name).toEqual([]);
			expect(sg.inputs.egress ?? [], sg.name).toEqual([]);
		}
		const https = { ipProtocol: "tcp", fromPort: 443, toPort: 443 };
		const egress = run.ofType(T.egress);
		const prefixLists = run
			.ofType(T.endpoint)
			.filter((e) => e.inputs.vpcEndpointType === "Gateway")
			.map((e) => e.state.prefixListId);
		expect(prefixLists.every((p) => /^pl-/.test(p))).toBe(true);
		for (const r of egress) {
			expect(r.inputs.securityGroupId).toBe(taskSg.id);
			expect(r.inputs).toMatchObject(https);
			expect(r.inputs.cidrIpv4).toBeUndefined();
			expect(r.inputs.cidrIpv6).toBeUndefined();
		}
		expect(
			egress
				.map((r) => r.inputs.referencedSecurityGroupId ?? r.inputs.prefixListId)
				.sort(),
		).toEqual([endpointSg.id, ...prefixLists].sort());
		const ingress = run.ofType(T.ingress);
		expect(ingress).toHaveLength(1);
		expect(ingress[0].inputs).toMatchObject({
			...https,
			securityGroupId: endpointSg.id,
			referencedSecurityGroupId: taskSg.id,
		});
		// The report build runs there too.
		const report = JSON.parse(run.ofType(T.sfn)[0].inputs.definition).States
			.PublishReport;
		expect(
			report.Parameters.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp,
		).toBe("DISABLED");
	});
});

describe("the default stack keeps every stage on Lambda", () => {
	it("declares no stage task and grants the state machine no stage task", async () => {
		const run = await runProgram("dev");
		expect(run.ofType(T.taskDef).map((t) => t.name)).toEqual([
			"spanishgas-report-build-task",
		]);
		const doc = JSON.parse(
			run.byName(T.rolePolicy, "spanishgas-pipeline-policy").inputs.policy,
		) as PolicyDocument;
		expect(doc.Statement.map((s) => s.Sid)).not.toContain("RunStageTasks");
		expect(doc.Statement.map((s) => s.Sid)).not.toContain("PassStageTaskRoles");
		const states = JSON.parse(run.ofType(T.sfn)[0].inputs.definition)
			.States as Record<string, Json>;
		expect(states.Silver.Type).toBe("Task");
		expect(states.TrainParallel.Branches[0].States.Train.Type).toBe("Task");
	}, 180_000);
});

describe("the task components on their own", () => {
	const resources = {
		lakeBucketName: "lake",
		lakeBucketArn: "arn:aws:s3:::lake",
		manifestTableName: "runs",
		manifestTableArn: "arn:aws:dynamodb:eu-west-1:123456789012:table/runs",
		registryTableName: "models",
		registryTableArn: "arn:aws:dynamodb:eu-west-1:123456789012:table/models",
	};

	it("a ReportBuild without a network gets a private one of its own (no public IP), and an image of its own", async () => {
		const created = await installMocks("dev");
		const build = new ReportBuild("solo", {
			...resources,
			siteBucketName: "site",
			siteBucketArn: "arn:aws:s3:::site",
		});
		expect(build.ownNetwork).toBeInstanceOf(PrivateNetwork);
		expect(build.ownImage).toBeDefined();
		expect(await resolved(build.target.assignPublicIp)).toBe(false);
		const subnets = await resolved(build.subnetIds);
		await resolved(build.taskDefinition.arn);
		await resolved(
			build.ownNetwork?.interfaceEndpoints["ecr.dkr"]
				.id as pulumi.Output<string>,
		);
		const ofType = (t: string) => created.filter((r) => r.type === t);
		expect(subnets).toEqual(ofType(T.subnet).map((s) => s.id));
		expect(ofType(T.igw)).toEqual([]);
		for (const s of ofType(T.subnet))
			expect(s.inputs.mapPublicIpOnLaunch).toBe(false);
		expect(ofType(T.image)).toHaveLength(1);
	}, 60_000);

	it("StageTasks refuses a stage that cannot be a task and a size Fargate does not offer, naming the stage", async () => {
		await installMocks("dev");
		const image = {
			repositoryArn: "arn:aws:ecr:eu-west-1:123456789012:repository/r",
			imageUri: "r@sha256:00",
		};
		expect(
			() =>
				new StageTasks("bad", {
					stages: { PlanModel: {} } as never,
					image,
					resources,
				}),
		).toThrow(/StageTasks bad: PlanModel cannot run as a task/);
		expect(
			() =>
				new StageTasks("big", {
					stages: { Train: { cpu: 8192, memoryMb: 3000 } },
					image,
					resources,
				}),
		).toThrow(
			/StageTasks big Train: memoryMb must be a multiple of 4096 from 16384 to 61440 for cpu 8192, got 3000/,
		);
		expect(
			() =>
				new StageTasks("slow", {
					stages: { Gold: { timeoutSeconds: 10 } },
					image,
					resources,
				}),
		).toThrow(/StageTasks slow Gold: timeoutSeconds/);
	});
});
