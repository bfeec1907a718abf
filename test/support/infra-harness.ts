/**
 * Runs the Pulumi program (index.ts) under `pulumi.runtime.setMocks` with a
 * stack's configuration (Pulumi.<stack>.yaml, as the CLI would pass it) and
 * records every resource the program registers, with its resolved inputs.
 * The mocks compute the few outputs AWS would (ARNs, names, URLs) so the
 * program's wiring (policies, the state machine definition) can be checked.
 */
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";

export const ACCOUNT = "123456789012";
export const REGION = "eu-west-1";

/** Resolved resource inputs as the mocks receive them: plain, untyped JSON. */
// biome-ignore lint/suspicious/noExplicitAny: resolved mock inputs are untyped JSON
export type Json = Record<string, any>;

export interface MockResource {
	type: string;
	name: string;
	inputs: Json;
	state: Json;
	id: string;
}

/** A stack's config file as the CLI hands it to the program: `ns:key → string` (objects as JSON). */
export function stackConfig(stack: string): Record<string, string> {
	const doc = parse(readFileSync(`Pulumi.${stack}.yaml`, "utf8")) as {
		config: Record<string, unknown>;
	};
	return Object.fromEntries(
		Object.entries(doc.config).map(([k, v]) => [
			k,
			typeof v === "string" ? v : JSON.stringify(v),
		]),
	);
}

const physical = (name: string) =>
	`${name}-${Buffer.from(name).toString("hex").slice(-7)}`;

/** What AWS would compute for a resource (the outputs the program reads). */
function computed(
	type: string,
	name: string,
	inputs: Json,
): Record<string, unknown> {
	const p = physical(name);
	const arn = (service: string, resource: string) =>
		`arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
	switch (type) {
		case "aws:s3/bucket:Bucket":
			return {
				bucket: p,
				arn: `arn:aws:s3:::${p}`,
				bucketRegionalDomainName: `${p}.s3.${REGION}.amazonaws.com`,
			};
		case "aws:lambda/function:Function": {
			const n = inputs.name ?? p;
			const fnArn = `arn:aws:lambda:${inputs.region ?? REGION}:${ACCOUNT}:function:${n}`;
			return {
				name: n,
				arn: fnArn,
				version: inputs.publish ? "1" : "$LATEST",
				qualifiedArn: inputs.publish ? `${fnArn}:1` : fnArn,
			};
		}
		case "aws:iam/policy:Policy":
			return {
				arn: `arn:aws:iam::${ACCOUNT}:policy${inputs.path ?? "/"}${inputs.name ?? p}`,
			};
		case "aws:cognito/userPool:UserPool":
			return {
				id: `${REGION}_MockPool1`,
				arn: arn("cognito-idp", `userpool/${REGION}_MockPool1`),
			};
		case "aws:wafv2/webAcl:WebAcl":
			return {
				arn: `arn:aws:wafv2:us-east-1:${ACCOUNT}:global/webacl/${p}/mock-id`,
			};
		case "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination":
			return {
				arn: `arn:aws:logs:us-east-1:${ACCOUNT}:delivery-destination:${inputs.name}`,
			};
		case "aws:dynamodb/table:Table":
			return { name: p, arn: arn("dynamodb", `table/${p}`) };
		case "aws:iam/role:Role": {
			const n = inputs.name ?? p;
			return {
				name: n,
				arn: `arn:aws:iam::${ACCOUNT}:role${inputs.path ?? "/"}${n}`,
			};
		}
		case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
			return {
				arn: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`,
			};
		case "aws:sns/topic:Topic":
			return { name: p, arn: arn("sns", p) };
		case "aws:sqs/queue:Queue":
			return {
				name: p,
				arn: arn("sqs", p),
				url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${p}`,
			};
		case "aws:cloudwatch/eventRule:EventRule":
			return { name: p, arn: arn("events", `rule/${p}`) };
		case "aws:kms/key:Key":
			return { arn: arn("kms", `key/${p}`), keyId: p };
		case "aws:cloudwatch/logGroup:LogGroup": {
			const n = inputs.name ?? p;
			return { name: n, arn: arn("logs", `log-group:${n}`) };
		}
		case "aws:sfn/stateMachine:StateMachine":
			return { arn: arn("states", `stateMachine:${inputs.name ?? p}`) };
		case "aws:ecs/cluster:Cluster":
			return { name: p, arn: arn("ecs", `cluster/${p}`) };
		case "aws:ecs/taskDefinition:TaskDefinition":
			return {
				arn: arn("ecs", `task-definition/${inputs.family}:1`),
				revision: 1,
			};
		case "aws:ecr/repository:Repository":
			return {
				name: p,
				arn: arn("ecr", `repository/${p}`),
				repositoryUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${p}`,
			};
		case "awsx:ecr:Image":
			return { imageUri: `${inputs.repositoryUrl}@sha256:${"ab".repeat(32)}` };
		case "aws:cloudfront/distribution:Distribution":
			return {
				arn: `arn:aws:cloudfront::${ACCOUNT}:distribution/E${p.length}MOCK`,
				domainName: "d1234abcd.cloudfront.net",
			};
		case "aws:cloudfront/function:Function":
			return { arn: `arn:aws:cloudfront::${ACCOUNT}:function/${p}` };
		case "aws:ec2/vpcEndpoint:VpcEndpoint":
			return {
				arn: arn("ec2", `vpc-endpoint/vpce-${p.length}`),
				// A gateway endpoint's service prefix list (what a security group's egress names).
				...(inputs.vpcEndpointType === "Gateway"
					? {
							prefixListId: `pl-${Buffer.from(name).toString("hex").slice(-8)}`,
						}
					: {}),
			};
		case "aws:scheduler/schedule:Schedule":
			return { name: p, arn: arn("scheduler", `schedule/default/${p}`) };
		default:
			return { arn: arn("mock", `${type}/${p}`) };
	}
}

export interface ProgramRun {
	resources: MockResource[];
	outputs: Record<string, unknown>;
	/** Resources of one type. */
	ofType(type: string): MockResource[];
	/** The one resource of a type whose logical name ends with the suffix. */
	byName(type: string, suffix: string): MockResource;
}

export interface RunOptions {
	/** Config values replacing or adding to the stack file's (`ns:key → string`). */
	overrides?: Record<string, string>;
	/** Keys to remove from the stack's config. */
	remove?: string[];
}

async function settle(read: () => number): Promise<void> {
	let last = -1;
	let stableSince = Date.now();
	for (;;) {
		await new Promise((r) => setTimeout(r, 100));
		const n = read();
		if (n !== last) {
			last = n;
			stableSince = Date.now();
		} else if (Date.now() - stableSince > 500) return;
	}
}

/**
 * Waits until every resource registration has reached the mocks: Pulumi's
 * own wait for outstanding RPCs (what it does before the program exits;
 * internal, so feature-detected), then until the count stays put.
 */
async function allRegistered(count: () => number): Promise<void> {
	const wait = (
		pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }
	).waitForRPCs;
	if (wait) await wait();
	await settle(count);
}

/** Resolves every output in a (nested) value. */
async function resolveAll(value: unknown): Promise<unknown> {
	return new Promise((resolve) => {
		(pulumi.output(value) as pulumi.Output<unknown>).apply((v: unknown) => {
			resolve(v);
			return v;
		});
	});
}

/**
 * Installs the mocks and the stack's configuration (as `pulumi up` on that
 * stack would see it). Returns the list every registered resource is
 * appended to.
 */
export async function installMocks(
	stack: string,
	options: RunOptions = {},
): Promise<MockResource[]> {
	const resources: MockResource[] = [];
	await pulumi.runtime.setMocks(
		{
			newResource(args) {
				const state = {
					...args.inputs,
					...computed(args.type, args.name, args.inputs),
				};
				const id = `${args.name}-id`;
				resources.push({
					type: args.type,
					name: args.name,
					inputs: args.inputs,
					state,
					id,
				});
				return { id, state };
			},
			call(args) {
				switch (args.token) {
					case "aws:index/getCallerIdentity:getCallerIdentity":
						return {
							accountId: ACCOUNT,
							arn: `arn:aws:iam::${ACCOUNT}:user/test`,
							userId: "AIDTEST",
						};
					case "aws:index/getRegion:getRegion":
						return { region: REGION, name: REGION };
					case "aws:index/getAvailabilityZones:getAvailabilityZones":
						return { names: [`${REGION}a`, `${REGION}b`, `${REGION}c`] };
					default:
						throw new Error(`unmocked call ${args.token}`);
				}
			},
		},
		"spanishgas",
		stack,
		false,
	);
	const config = stackConfig(stack);
	for (const k of options.remove ?? []) delete config[k];
	Object.assign(config, options.overrides);
	pulumi.runtime.setAllConfig(config, []);
	return resources;
}

/** Resolves an output (or a plain value) under mocks. */
export function resolved<T>(value: pulumi.Input<T>): Promise<T> {
	return resolveAll(value) as Promise<T>;
}

/**
 * Runs index.ts's program for a stack under mocks. A program error (bad
 * config) rejects with that error.
 */
export async function runProgram(
	stack: string,
	options: RunOptions = {},
): Promise<ProgramRun> {
	const resources = await installMocks(stack, options);
	const program = (await import("../../index.ts")).default;
	const outputs = (await resolveAll(program())) as Record<string, unknown>;
	await allRegistered(() => resources.length);
	return {
		resources,
		outputs,
		ofType: (type) => resources.filter((r) => r.type === type),
		byName(type, suffix) {
			const found = resources.filter(
				(r) => r.type === type && r.name.endsWith(suffix),
			);
			if (found.length !== 1)
				throw new Error(
					`expected one ${type} named *${suffix}, found ${found.length}`,
				);
			return found[0];
		},
	};
}

/** Counts of resources by type. */
export function inventory(resources: MockResource[]): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const r of resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
	return Object.fromEntries(
		Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)),
	);
}
