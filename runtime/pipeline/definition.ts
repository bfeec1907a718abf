/**
 * The one Amazon States Language definition (DESIGN.md "The one state
 * machine"), generated from the list of stages. AWS Step Functions runs it
 * with Lambda ARNs; the local runner runs the very same JSON with every Task
 * overridden by the in-process handler of the same name.
 */

/** Task states in execution order; each is one handler in runtime/pipeline/handlers.ts. */
export const TASK_STAGES = [
	"ValidateRaw",
	"BronzeShard",
	"BronzeReduce",
	"Silver",
	"Gold",
	"PlanModel",
	"Train",
	"Score",
	"Recommend",
	"Drift",
	"MarkSucceeded",
	"MarkFailed",
] as const;
export type TaskStage = (typeof TASK_STAGES)[number];

/** Errors that are worth a retry (typed errors of runtime/errors.ts and Lambda's own). */
export const TRANSIENT_ERRORS = [
	"TransientIOError",
	"Lambda.ServiceException",
	"Lambda.AWSLambdaException",
	"Lambda.SdkClientException",
	"Lambda.TooManyRequestsException",
];

export interface DefinitionOptions {
	/** Resource (ARN) of the task for a stage. */
	resourceFor(stage: TaskStage): string;
	/** Parallel shard iterations (Map MaxConcurrency). */
	maxConcurrency?: number;
	/** Seconds before the first retry of a transient error. */
	retryIntervalSeconds?: number;
}

type State = Record<string, unknown>;

/** Placeholder ARNs for the local run; the deployed definition gets real ones. */
export function localResource(stage: TaskStage): string {
	return `arn:aws:lambda:eu-west-1:000000000000:function:spanishgas-${stage}`;
}

export function buildDefinition(
	o: DefinitionOptions = { resourceFor: localResource },
): State {
	const retry = [
		{
			ErrorEquals: TRANSIENT_ERRORS,
			IntervalSeconds: o.retryIntervalSeconds ?? 2,
			MaxAttempts: 3,
			BackoffRate: 2,
		},
	];
	const toFailure = [
		{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "MarkFailed" },
	];
	const task = (
		stage: TaskStage,
		next: string,
		resultPath: string | null,
	): State => ({
		Type: "Task",
		Resource: o.resourceFor(stage),
		ResultPath: resultPath,
		Retry: retry,
		Catch: toFailure,
		Next: next,
	});

	return {
		Comment:
			"SpanishGas churn pipeline: raw → bronze → silver → gold → model → scoring → recommendations → drift",
		StartAt: "ValidateRaw",
		States: {
			ValidateRaw: task("ValidateRaw", "BronzeShards", "$.raw"),
			BronzeShards: {
				Type: "Map",
				ItemsPath: "$.raw.shards",
				ItemSelector: {
					"runId.$": "$.runId",
					"dataRoot.$": "$.dataRoot",
					"shard.$": "$$.Map.Item.Value",
					"index.$": "$$.Map.Item.Index",
				},
				MaxConcurrency: o.maxConcurrency ?? 2,
				ItemProcessor: {
					ProcessorConfig: { Mode: "INLINE" },
					StartAt: "BronzeShard",
					States: {
						BronzeShard: {
							Type: "Task",
							Resource: o.resourceFor("BronzeShard"),
							Retry: retry,
							End: true,
						},
					},
				},
				ResultPath: "$.bronzeShards",
				Catch: toFailure,
				Next: "BronzeReduce",
			},
			BronzeReduce: task("BronzeReduce", "Silver", "$.bronze"),
			Silver: task("Silver", "Gold", "$.silver"),
			Gold: task("Gold", "PlanModel", "$.gold"),
			PlanModel: task("PlanModel", "ModelMode", "$.plan"),
			ModelMode: {
				Type: "Choice",
				Choices: [
					{ Variable: "$.plan.action", StringEquals: "train", Next: "Train" },
				],
				Default: "Score",
			},
			Train: task("Train", "Score", "$.train"),
			Score: task("Score", "Recommend", "$.score"),
			Recommend: task("Recommend", "Drift", "$.recommend"),
			Drift: task("Drift", "MarkSucceeded", "$.drift"),
			MarkSucceeded: task("MarkSucceeded", "Done", "$.result"),
			Done: { Type: "Succeed" },
			MarkFailed: {
				Type: "Task",
				Resource: o.resourceFor("MarkFailed"),
				ResultPath: "$.failure",
				Retry: retry,
				Next: "Failed",
			},
			Failed: {
				Type: "Fail",
				Error: "PipelineFailed",
				Cause: "A stage failed; see the run manifest for the error.",
			},
		},
	};
}
