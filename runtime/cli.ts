#!/usr/bin/env node
/**
 * Command line of the platform (the embedded default):
 *   run          generate the default batch if needed, run the whole pipeline locally
 *   synth        write a synthetic raw batch
 *   experiments  run the experiment ladder on the latest gold table
 *   manifest     write a batch folder's _manifest.json (before uploading it)
 */
import { Command, InvalidArgumentError } from "commander";
import { registerReportCommand } from "./commands/report-command.ts";
import { RUN_DEFAULTS } from "./contract.ts";
import { DEFAULT_DRIFT_THRESHOLDS } from "./monitoring/drift.ts";
import { DEFAULT_TOLERANCES } from "./monitoring/quality.ts";

function positiveInt(name: string) {
	return (v: string): number => {
		const n = Number(v);
		if (!Number.isInteger(n) || n <= 0)
			throw new InvalidArgumentError(
				`${name} must be a positive integer, got "${v}"`,
			);
		return n;
	};
}
function share(name: string) {
	return (v: string): number => {
		const n = Number(v);
		if (v.trim() === "" || !Number.isFinite(n) || n < 0 || n > 1)
			throw new InvalidArgumentError(
				`${name} must be a share between 0 and 1, got "${v}"`,
			);
		return n;
	};
}
function nonNegative(name: string) {
	return (v: string): number => {
		const n = Number(v);
		if (!Number.isFinite(n) || n < 0)
			throw new InvalidArgumentError(
				`${name} must be a number ≥ 0, got "${v}"`,
			);
		return n;
	};
}

const program = new Command()
	.name("spanishgas")
	.description("SpanishGas churn platform — local runner")
	.showHelpAfterError();

program
	.command("run")
	.description(
		"run the pipeline on a batch (generates the default synthetic batch when none exists)",
	)
	.option(
		"--batch <id>",
		"batch id under <data>/raw/ (default: the generated default batch)",
	)
	.option(
		"--customers <n>",
		"customers of the generated batch",
		positiveInt("--customers"),
		20_099,
	)
	.option(
		"--seed <n>",
		"seed of the generated batch, the split and the model",
		positiveInt("--seed"),
		RUN_DEFAULTS.seed,
	)
	.option(
		"--data <dir>",
		"data lake root",
		process.env.SPANISHGAS_DATA_DIR ?? "data",
	)
	.option(
		"--shards <n>",
		"consumption shards for the bronze Map",
		positiveInt("--shards"),
		RUN_DEFAULTS.shardCount,
	)
	.option(
		"--concurrency <n>",
		"shards processed in parallel",
		positiveInt("--concurrency"),
		2,
	)
	.option(
		"--mode <mode>",
		"auto (train when no champion, else score) | train | score",
		RUN_DEFAULTS.mode,
	)
	.option(
		"--gate <pr_auc>",
		"promotion gate on test PR-AUC",
		nonNegative("--gate"),
		RUN_DEFAULTS.gate,
	)
	.option(
		"--promotion-margin <pr_auc>",
		`a candidate becomes champion only if its test PR-AUC beats the champion's on the same rows by this much (default ${RUN_DEFAULTS.promotionMargin}; docs/models.md "Promotion")`,
		nonNegative("--promotion-margin"),
	)
	.option(
		"--force",
		"run even if the manifest shows a run of this batch still started (e.g. after a crash)",
		false,
	)
	.option(
		"--no-ladder",
		"do not run the experiment ladder beside Train (docs/models.md)",
	)
	.option(
		"--no-report",
		"skip building the report site in PublishReport (about a minute)",
	)
	.option(
		"--max-invalid-share <share>",
		`quality: largest share of rows missing a value the domain says exists (no attributes, contract, consumption or cost row) before the run stops (default ${DEFAULT_TOLERANCES.maxInvalidShare}; docs/data-quality.md)`,
		share("--max-invalid-share"),
	)
	.option(
		"--max-imputed-price-share <share>",
		`quality: largest share of customer-months whose electricity price is missing before imputation (default ${DEFAULT_TOLERANCES.maxImputedPriceShare}; docs/data-quality.md)`,
		share("--max-imputed-price-share"),
	)
	.option(
		"--max-invalid-hourly-share <share>",
		`quality: largest share of hourly consumption rows dropped for an unparsable or out-of-year timestamp or an unparsable reading before the run stops (default ${DEFAULT_TOLERANCES.maxInvalidHourlyShare}; docs/data-quality.md)`,
		share("--max-invalid-hourly-share"),
	)
	.option(
		"--drift-alpha <p>",
		`drift: significance level of the per-feature tests (default ${DEFAULT_DRIFT_THRESHOLDS.alpha}; docs/drift.md)`,
		share("--drift-alpha"),
	)
	.option(
		"--drift-min-wasserstein <d>",
		`drift: smallest normed Wasserstein distance that counts as drift for a continuous feature (default ${DEFAULT_DRIFT_THRESHOLDS.wasserstein}; docs/drift.md)`,
		share("--drift-min-wasserstein"),
	)
	.option(
		"--drift-min-jensen-shannon <d>",
		`drift: smallest Jensen–Shannon distance that counts as drift for a flag or category (default ${DEFAULT_DRIFT_THRESHOLDS.jensenShannon}; docs/drift.md)`,
		share("--drift-min-jensen-shannon"),
	)
	.action(async (o) => {
		const { runCommand } = await import("./commands/run.ts");
		const code = await runCommand(o);
		// Stopped by a signal: the run is marked aborted; end now rather than
		// wait for the stage still computing in this process.
		if (code >= 128) process.exit(code);
		process.exitCode = code;
	});

program
	.command("synth")
	.description("write a synthetic raw batch")
	.option(
		"--customers <n>",
		"number of customers",
		positiveInt("--customers"),
		20_099,
	)
	.option("--seed <n>", "random seed", positiveInt("--seed"), RUN_DEFAULTS.seed)
	.option(
		"--out <dir>",
		"output folder (default: <data>/raw/default-<customers>-s<seed>)",
	)
	.option(
		"--data <dir>",
		"data lake root (for the default output folder)",
		process.env.SPANISHGAS_DATA_DIR ?? "data",
	)
	.option(
		"--drift <x>",
		"distribution shift (0 none, 1 clearly drifted)",
		nonNegative("--drift"),
		0,
	)
	.option("--no-hourly", "skip the hourly consumption")
	.action(async (o) => {
		const { synthCommand } = await import("./commands/synth.ts");
		process.exitCode = await synthCommand(o);
	});

program
	.command("manifest")
	.description(
		"write <folder>/_manifest.json (every file, its size and SHA-256) for a batch about to be uploaded; upload it last (docs/batch-manifest.md)",
	)
	.argument("<folder>", "the batch folder, e.g. data/raw/2025-01")
	.action(async (folder: string) => {
		const { manifestCommand } = await import("./commands/manifest.ts");
		process.exitCode = await manifestCommand(folder);
	});

program
	.command("experiments")
	.description(
		"run the experiment ladder E0–E8 × algorithms on the latest gold table",
	)
	.option(
		"--data <dir>",
		"data lake root",
		process.env.SPANISHGAS_DATA_DIR ?? "data",
	)
	.option(
		"--seed <n>",
		"split and model seed",
		positiveInt("--seed"),
		RUN_DEFAULTS.seed,
	)
	.action(async (o) => {
		const { experimentsCommand } = await import(
			"./model/experiments-command.ts"
		);
		process.exitCode = await experimentsCommand(o);
	});

registerReportCommand(program);

program.parseAsync(process.argv).catch((e: unknown) => {
	process.stderr.write(
		`error: ${e instanceof Error ? e.message : String(e)}\n`,
	);
	process.exitCode = 1;
});
