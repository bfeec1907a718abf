import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";

export interface TaskImageArgs {
	/** Docker build context (the repository root). Default ".". */
	context?: string;
	/** Dockerfile, relative to the working directory. Default components/report-build/Dockerfile. */
	dockerfile?: string;
	/** Delete the repository with its images when the stack is destroyed. Default true. */
	forceDeleteRepository?: boolean;
	/** Images kept in the repository. Default 10. */
	keepImages?: number;
	tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * The one container image of the platform's Fargate tasks: the repository
 * and the runtime with the Evidence project (components/report-build/
 * Dockerfile), built by `awsx.ecr.Image` and pushed to its own ECR
 * repository (scanned on push, last images kept). The report build runs its
 * default command (runtime/report/task.ts); a stage task overrides the
 * command with runtime/pipeline/task-entry.ts.
 */
export class TaskImage extends pulumi.ComponentResource {
	public readonly repository: aws.ecr.Repository;
	public readonly image: awsx.ecr.Image;
	public readonly repositoryArn: pulumi.Output<string>;
	/** Image URI with digest: a new build is a new task definition revision. */
	public readonly imageUri: pulumi.Output<string>;

	constructor(
		name: string,
		args: TaskImageArgs = {},
		opts?: pulumi.ComponentResourceOptions,
	) {
		super("spanishgas:tasks:TaskImage", name, {}, opts);
		const keep = args.keepImages ?? 10;
		if (!Number.isInteger(keep) || keep < 1)
			throw new Error(
				`TaskImage ${name}: keepImages must be a positive integer, got ${keep}`,
			);
		const child = { parent: this };
		this.repository = new aws.ecr.Repository(
			`${name}-repo`,
			{
				imageScanningConfiguration: { scanOnPush: true },
				imageTagMutability: "MUTABLE",
				encryptionConfigurations: [{ encryptionType: "AES256" }],
				forceDelete: args.forceDeleteRepository ?? true,
				tags: args.tags,
			},
			child,
		);
		new aws.ecr.LifecyclePolicy(
			`${name}-repo-lifecycle`,
			{
				repository: this.repository.name,
				policy: JSON.stringify({
					rules: [
						{
							rulePriority: 1,
							description: `keep the last ${keep} images`,
							selection: {
								tagStatus: "any",
								countType: "imageCountMoreThan",
								countNumber: keep,
							},
							action: { type: "expire" },
						},
					],
				}),
			},
			child,
		);
		this.image = new awsx.ecr.Image(
			`${name}-image`,
			{
				repositoryUrl: this.repository.repositoryUrl,
				context: args.context ?? ".",
				dockerfile: args.dockerfile ?? "components/report-build/Dockerfile",
				platform: "linux/amd64",
			},
			child,
		);
		this.repositoryArn = this.repository.arn;
		this.imageUri = this.image.imageUri;
		this.registerOutputs({ imageUri: this.imageUri });
	}
}
