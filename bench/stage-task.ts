/**
 * One stage handler in its own process, as a Lambda or container task runs
 * it, so its wall time and peak RSS are the stage's own. Reads the stage input
 * as JSON from a file, writes the handler's output JSON to another and prints
 * { seconds, maxRssMb } as its last line.
 *
 *   tsx bench/stage-task.ts <Stage> <input.json> <output.json>
 */
import { readFile, writeFile } from "node:fs/promises";
import { createHandlers } from "../runtime/pipeline/handlers.ts";

type Handler = (input: unknown) => Promise<unknown>;

async function main() {
	const [stage, inputFile, outputFile] = process.argv.slice(2);
	const handlers = createHandlers() as unknown as Record<string, Handler>;
	const handler = handlers[stage];
	if (!handler) throw new Error(`unknown stage ${stage}`);
	const input = JSON.parse(await readFile(inputFile, "utf8"));
	const t0 = performance.now();
	const output = await handler(input);
	const seconds = (performance.now() - t0) / 1000;
	await writeFile(outputFile, JSON.stringify(output ?? null));
	const maxRssMb = process.resourceUsage().maxRSS / 1024;
	process.stdout.write(`${JSON.stringify({ seconds, maxRssMb })}\n`);
}

main().catch((e) => {
	process.stderr.write(
		`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
	);
	process.exit(1);
});
