import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { STATE_TABLE_KEYS } from "../runtime/io/dynamodb-manifest.ts";

export interface StateTableArgs {
	/** Point-in-time recovery (35 days of continuous backups). Default true. */
	pointInTimeRecovery?: boolean;
	/** Refuse deletion (prod). Default false. */
	deletionProtection?: boolean;
	tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * A pay-per-request DynamoDB table with the runtime's key schema
 * (`STATE_TABLE_KEYS`: string `pk` + string `sk`), encrypted at rest, with
 * point-in-time recovery. Base of ManifestTable and ModelRegistry.
 */
abstract class StateTable extends pulumi.ComponentResource {
	public readonly table: aws.dynamodb.Table;
	public readonly tableName: pulumi.Output<string>;
	public readonly arn: pulumi.Output<string>;

	protected constructor(
		type: string,
		name: string,
		args: StateTableArgs,
		opts?: pulumi.ComponentResourceOptions,
	) {
		super(type, name, {}, opts);
		this.table = new aws.dynamodb.Table(
			name,
			{
				billingMode: "PAY_PER_REQUEST",
				hashKey: STATE_TABLE_KEYS.hashKey,
				rangeKey: STATE_TABLE_KEYS.rangeKey,
				attributes: STATE_TABLE_KEYS.attributes.map((a) => ({
					name: a.name,
					type: a.type,
				})),
				pointInTimeRecovery: { enabled: args.pointInTimeRecovery ?? true },
				serverSideEncryption: { enabled: true },
				deletionProtectionEnabled: args.deletionProtection ?? false,
				tags: args.tags,
			},
			{ parent: this },
		);
		this.tableName = this.table.name;
		this.arn = this.table.arn;
		this.registerOutputs({ tableName: this.tableName, arn: this.arn });
	}
}

/**
 * The run manifest: one item per run (status history, stage records,
 * summary) and one claim item per batch, written with conditional updates so
 * that exactly one execution runs a batch (runtime/io/dynamodb-manifest.ts).
 */
export class ManifestTable extends StateTable {
	constructor(
		name: string,
		args: StateTableArgs = {},
		opts?: pulumi.ComponentResourceOptions,
	) {
		super("spanishgas:state:ManifestTable", name, args, opts);
	}
}

/**
 * The model registry: every trained candidate with its metrics, gate decision
 * and status, and the champion pointer (runtime/model/aws-registry.ts). The
 * artifacts live in the data lake under `models/<version>/`.
 */
export class ModelRegistry extends StateTable {
	constructor(
		name: string,
		args: StateTableArgs = {},
		opts?: pulumi.ComponentResourceOptions,
	) {
		super("spanishgas:state:ModelRegistry", name, args, opts);
	}
}
