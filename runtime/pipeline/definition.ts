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
	"PublishReport",
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
	/** Time limit of each Lambda Task (default 900 s, Lambda's own maximum). */
	taskTimeoutSeconds?: number;
	/** Time limit of the report publication (default 1,800 s: a site build takes minutes). */
	reportTimeoutSeconds?: number;
	/**
	 * INLINE (default, and the only mode the local runner has): the shard list
	 * travels in the state. DISTRIBUTED: a Distributed Map reads the list from
	 * the lake (ValidateRaw's `shardsKey`) and writes its results there, for
	 * shard counts beyond an inline Map's limits (40 concurrent iterations,
	 * 256 KB of state, 25,000 history events).
	 */
	mapMode?: "INLINE" | "DISTRIBUTED";
	/** The lake bucket (DISTRIBUTED only: where the Map reads items and writes results). */
	lakeBucket?: string;
	/**
	 * The report publication task. Default: a Task on resourceFor("PublishReport")
	 * (the local handler). In AWS, the report build container, e.g.
	 * `{ resource: "arn:aws:states:::ecs:runTask.sync", parameters: {...} }`.
	 */
	publishReport?: { resource: string; parameters?: Record<string, unknown> };
}

type State = Record<string, unknown>;

/** Placeholder ARNs for the local run; the deployed definition gets real ones. */
export function localResource(stage: TaskStage): string {
	return `arn:aws:lambda:eu-west-1:000000000000:function:spanishgas-${stage}`;
}

export function buildDefinition(
	o: DefinitionOptions = { resourceFor: localResource },
): State {
	const distributed = o.mapMode === "DISTRIBUTED";
	if (distributed && !o.lakeBucket)
		throw new Error(
			"buildDefinition: mapMode DISTRIBUTED needs lakeBucket (the Map reads its items from the lake)",
		);
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
	// An explicit limit on every Task: Step Functions has none by default (a
	// hung task would hold the run for a year), aws-local-stepfunctions 60 s.
	const timeout = o.taskTimeoutSeconds ?? 900;
	const task = (
		stage: TaskStage,
		next: string,
		resultPath: string | null,
	): State => ({
		Type: "Task",
		Resource: o.resourceFor(stage),
		TimeoutSeconds: timeout,
		ResultPath: resultPath,
		Retry: retry,
		Catch: toFailure,
		Next: next,
	});

	return {
		Comment:
			"SpanishGas churn pipeline: raw → bronze → silver → gold → model → scoring → recommendations → drift → report",
		StartAt: "ValidateRaw",
		States: {
			ValidateRaw: distributed
				? {
						...task("ValidateRaw", "BronzeShards", "$.raw"),
						// Keep the (possibly long) shard list out of the state: the Map reads it from S3.
						ResultSelector: {
							"shardCount.$": "$.shardCount",
							"shardsKey.$": "$.shardsKey",
							"rows.$": "$.rows",
						},
					}
				: task("ValidateRaw", "BronzeShards", "$.raw"),
			BronzeShards: {
				Type: "Map",
				...(distributed
					? {
							ItemReader: {
								Resource: "arn:aws:states:::s3:getObject",
								ReaderConfig: { InputType: "JSON" },
								Parameters: {
									Bucket: o.lakeBucket,
									"Key.$": "$.raw.shardsKey",
								},
							},
							ResultWriter: {
								Resource: "arn:aws:states:::s3:putObject",
								Parameters: { Bucket: o.lakeBucket, Prefix: "map-results" },
							},
						}
					: { ItemsPath: "$.raw.shards" }),
				ItemSelector: {
					"runId.$": "$.runId",
					"shard.$": "$$.Map.Item.Value",
					"index.$": "$$.Map.Item.Index",
				},
				MaxConcurrency: o.maxConcurrency ?? 2,
				ItemProcessor: {
					ProcessorConfig: distributed
						? { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" }
						: { Mode: "INLINE" },
					StartAt: "BronzeShard",
					States: {
						BronzeShard: {
							Type: "Task",
							Resource: o.resourceFor("BronzeShard"),
							TimeoutSeconds: timeout,
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
			Drift: task("Drift", "PublishReport", "$.drift"),
			PublishReport: {
				...task("PublishReport", "MarkSucceeded", "$.report"),
				TimeoutSeconds: o.reportTimeoutSeconds ?? 1800,
				...(o.publishReport
					? {
							Resource: o.publishReport.resource,
							...(o.publishReport.parameters
								? { Parameters: o.publishReport.parameters }
								: {}),
						}
					: {}),
			},
			MarkSucceeded: task("MarkSucceeded", "Done", "$.result"),
			Done: { Type: "Succeed" },
			MarkFailed: {
				Type: "Task",
				Resource: o.resourceFor("MarkFailed"),
				TimeoutSeconds: timeout,
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
