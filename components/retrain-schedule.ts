import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy, policyDocument } from "./access.ts";
import { ROLE_PATH } from "./runtime-function.ts";

/** Every Monday at 06:00 UTC. */
export const WEEKLY_RETRAIN = "cron(0 6 ? * MON *)";

/** What the schedule sends the trigger: re-run the last successful batch, training a new candidate. */
export const RETRAIN_REQUEST = { rerun: true, mode: "train" } as const;

/** EventBridge Scheduler expressions: cron(6 fields), rate(n unit) or at(…). */
const EXPRESSION =
	/^(cron\((\S+\s+){5}\S+\)|rate\(\d+\s+(minute|minutes|hour|hours|day|days)\)|at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\))$/;

export interface RetrainScheduleArgs {
	/** The trigger function the schedule invokes. */
	triggerFunctionArn: pulumi.Input<string>;
	/** Schedule expression. Default weekly, Monday 06:00 (WEEKLY_RETRAIN). */
	expression?: string;
	/** Time zone of the expression. Default UTC. */
	timezone?: string;
	/** Turn the schedule off without deleting it. Default true. */
	enabled?: boolean;
	/** Payload sent to the trigger. Default RETRAIN_REQUEST. */
	input?: Record<string, unknown>;
	tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * The weekly retrain: an EventBridge Scheduler schedule that invokes the
 * batch trigger with `{"rerun": true, "mode": "train"}` — re-run the batch
 * of the last successful run and train a new candidate, which replaces the
 * champion only if it passes the promotion gate. The same request started by
 * hand is the manual retrain:
 *
 *     aws lambda invoke --function-name <trigger> \
 *       --cli-binary-format raw-in-base64-out \
 *       --payload '{"rerun": true, "mode": "train"}' out.json
 */
export class RetrainSchedule extends pulumi.ComponentResource {
	public readonly schedule: aws.scheduler.Schedule;
	public readonly role: aws.iam.Role;
	public readonly rolePolicy: aws.iam.RolePolicy;
	public readonly expression: string;

	constructor(
		name: string,
		args: RetrainScheduleArgs,
		opts?: pulumi.ComponentResourceOptions,
	) {
		super("spanishgas:pipeline:RetrainSchedule", name, {}, opts);
		const expression = args.expression ?? WEEKLY_RETRAIN;
		if (!EXPRESSION.test(expression))
			throw new Error(
				`RetrainSchedule ${name}: expression must be an EventBridge Scheduler expression such as "${WEEKLY_RETRAIN}", got ${JSON.stringify(expression)}`,
			);
		this.expression = expression;
		const child = { parent: this };
		this.role = new aws.iam.Role(
			`${name}-role`,
			{
				path: ROLE_PATH,
				assumeRolePolicy: assumeRolePolicy("scheduler.amazonaws.com"),
				tags: args.tags,
			},
			child,
		);
		this.rolePolicy = new aws.iam.RolePolicy(
			`${name}-policy`,
			{
				role: this.role.id,
				policy: pulumi.output(args.triggerFunctionArn).apply((arn) =>
					JSON.stringify(
						policyDocument([
							{
								Sid: "InvokeTrigger",
								Effect: "Allow",
								Action: "lambda:InvokeFunction",
								Resource: [arn, `${arn}:*`],
							},
						]),
					),
				),
			},
			child,
		);
		this.schedule = new aws.scheduler.Schedule(
			name,
			{
				description:
					"Weekly retrain: re-run the last successful batch in train mode",
				scheduleExpression: expression,
				scheduleExpressionTimezone: args.timezone ?? "UTC",
				state: args.enabled === false ? "DISABLED" : "ENABLED",
				flexibleTimeWindow: { mode: "OFF" },
				target: {
					arn: args.triggerFunctionArn,
					roleArn: this.role.arn,
					input: JSON.stringify(args.input ?? RETRAIN_REQUEST),
					retryPolicy: { maximumRetryAttempts: 2 },
				},
			},
			{ ...child, dependsOn: [this.rolePolicy] },
		);
		this.registerOutputs({ scheduleName: this.schedule.name });
	}
}
