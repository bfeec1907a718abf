/** Registers `report` on the CLI (the work is in report.ts, loaded only when the command runs). */
import { type Command, InvalidArgumentError } from "commander";

function port(v: string): number {
	const n = Number(v);
	if (!Number.isInteger(n) || n < 0 || n > 65535)
		throw new InvalidArgumentError(`--port must be 0–65535, got "${v}"`);
	return n;
}

export function registerReportCommand(program: Command): void {
	program
		.command("report")
		.description(
			"build the report site of the latest successful run into <data>/reports/site/ (--serve: serve it on 127.0.0.1)",
		)
		.option(
			"--data <dir>",
			"data lake root",
			process.env.SPANISHGAS_DATA_DIR ?? "data",
		)
		.option(
			"--run <id>",
			"present this run instead of the latest successful one",
		)
		.option("--serve", "serve the site on 127.0.0.1 after building it", false)
		.option(
			"--no-build",
			"do not rebuild: serve the site already built (built once if there is none)",
		)
		.option("--port <n>", "port of --serve", port, 3000)
		.action(async (o) => {
			const { reportCommand } = await import("./report.ts");
			process.exitCode = await reportCommand(o);
		});
}
