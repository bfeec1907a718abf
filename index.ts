/**
 * The Pulumi program (`pulumi up` on the dev or prod stack): reads and
 * validates the stack configuration (components/config.ts), builds the whole
 * platform (components/platform.ts) and exports what an operator needs.
 *
 * The default export is the program: Pulumi calls it and publishes the
 * returned object as the stack outputs; the infrastructure tests call it the
 * same way under `pulumi.runtime.setMocks`.
 */
import { loadPlatformArgs } from "./components/config.ts";
import { Platform } from "./components/platform.ts";
import { REPORT_READERS_GROUP } from "./components/report-auth.ts";

export default function program() {
	const platform = new Platform("spanishgas", loadPlatformArgs());
	return {
		lakeBucket: platform.lakeBucketName,
		stateMachineArn: platform.stateMachineArn,
		reportUrl: platform.reportUrl,
		reportUserPoolId: platform.reportSite.userPoolId,
		addReportReader: platform.reportSite.userPoolId.apply(
			(pool) =>
				`aws cognito-idp admin-create-user --user-pool-id ${pool} --username <email> --user-attributes Name=email,Value=<email> Name=email_verified,Value=true --desired-delivery-mediums EMAIL && aws cognito-idp admin-add-user-to-group --user-pool-id ${pool} --username <email> --group-name ${REPORT_READERS_GROUP}`,
		),
		alertTopicArn: platform.alertTopicArn,
		triggerFunction: platform.triggerFunctionName,
		manifestTable: platform.manifest.tableName,
		registryTable: platform.registry.tableName,
		reportImage: platform.reportBuild.imageUri,
		retrainSchedule: platform.retrain.expression,
		uploadInstructions: platform.uploadInstructions,
		manualRetrain: platform.triggerFunctionName.apply(
			(fn) =>
				`aws lambda invoke --function-name ${fn} --cli-binary-format raw-in-base64-out --payload '{"rerun": true, "mode": "train"}' /dev/stdout`,
		),
		githubDeployRoleArn: platform.github?.deployRoleArn,
		githubPreviewRoleArn: platform.github?.previewRoleArn,
		githubOidcProviderArn: platform.github?.providerArn,
	};
}
