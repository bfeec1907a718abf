/**
 * The SpanishGas churn platform's Pulumi components. Each can be used on its
 * own (e.g. one PipelineStage in another team's program); Platform wires them
 * all together.
 */
export {
	accessStatements,
	DISTRIBUTED_MAP_ACCESS,
	LAMBDA_STAGES,
	type LambdaStage,
	METRIC_NAMESPACE,
	type PolicyDocument,
	type PolicyStatement,
	RECONCILER_ACCESS,
	REPORT_ACCESS,
	STAGE_ACCESS,
	type StageAccess,
	TRIGGER_ACCESS,
} from "./access.ts";
export { Alerts, type AlertsArgs } from "./alerts.ts";
export {
	BatchTrigger,
	type BatchTriggerArgs,
	RAW_PREFIX,
	TRIGGER_RESERVED_CONCURRENCY,
	TRIGGER_RETRY,
} from "./batch-trigger.ts";
export {
	CONFIG_NAMESPACE,
	configSchema,
	loadPlatformArgs,
	parseStackConfig,
	RETIRED_REPORT_PASSWORD_KEY,
	type StackConfig,
	StackConfigError,
} from "./config.ts";
export {
	DataLake,
	type DataLakeArgs,
	LAYER_TAG,
	lakeKeyPolicy,
	RAW_RETENTION_DAYS,
} from "./data-lake.ts";
export {
	DeadLetterQueue,
	type DeadLetterQueueArgs,
} from "./dead-letter-queue.ts";
export {
	GITHUB_OIDC_URL,
	GithubDeployRole,
	type GithubDeployRoleArgs,
} from "./github-deploy-role.ts";
export {
	buildLambdaPackage,
	LAMBDA_EXTERNAL_PACKAGES,
	type LambdaPackage,
	type LambdaPackageArgs,
} from "./lambda-package.ts";
export {
	LOG_PREFIXES,
	LogBucket,
	type LogBucketArgs,
	type LogSources,
} from "./log-bucket.ts";
export {
	WORKLOAD_BOUNDARY_ACTIONS,
	WorkloadBoundary,
	type WorkloadBoundaryArgs,
	withPermissionsBoundary,
} from "./permissions-boundary.ts";
export {
	PipelineStage,
	type PipelineStageArgs,
	STAGE_SIZING,
} from "./pipeline-stage.ts";
export {
	fargateStages,
	Platform,
	type PlatformArgs,
	type StageRunner,
} from "./platform.ts";
export {
	PrivateNetwork,
	type PrivateNetworkArgs,
	TASK_GATEWAY_ENDPOINTS,
	TASK_INTERFACE_ENDPOINTS,
} from "./private-network.ts";
export {
	type EdgeAuthConfig,
	type EdgeAuthSettings,
	edgeAuthCode,
	REPORT_READERS_GROUP,
} from "./report-auth.ts";
export {
	REPORT_CONTAINER,
	ReportBuild,
	type ReportBuildArgs,
} from "./report-build.ts";
export {
	MIN_TLS_POLICY,
	ReportSite,
	type ReportSiteArgs,
} from "./report-site.ts";
export {
	RETRAIN_REQUEST,
	RetrainSchedule,
	type RetrainScheduleArgs,
	WEEKLY_RETRAIN,
} from "./retrain-schedule.ts";
export {
	executionStatusPattern,
	RunReconciler,
	type RunReconcilerArgs,
	SWEEP_SCHEDULE,
} from "./run-reconciler.ts";
export {
	type FunctionSizing,
	LOG_RETENTION_DAYS,
	ROLE_PATH,
	RuntimeFunction,
	type RuntimeFunctionArgs,
	type RuntimeResources,
} from "./runtime-function.ts";
export {
	SecureBucket,
	type SecureBucketArgs,
	tlsOnlyStatement,
} from "./secure-bucket.ts";
export {
	STAGE_CONTAINER,
	STAGE_TASK_COMMAND,
	STAGE_TASK_SIZING,
	type StageTaskSizing,
	StageTasks,
	type StageTasksArgs,
	stageTaskAccess,
	stageTaskEnvironment,
} from "./stage-task.ts";
export {
	ECS_RUN_TASK_SYNC,
	type ReportTaskTarget,
	reportTaskParameters,
	type StageTasksTarget,
	StateMachine,
	type StateMachineArgs,
	stageIoPatterns,
	stageTaskParameters,
} from "./state-machine.ts";
export {
	ManifestTable,
	ModelRegistry,
	type StateTableArgs,
} from "./state-tables.ts";
export { TaskImage, type TaskImageArgs } from "./task-image.ts";
