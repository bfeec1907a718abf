/** `npm run synth`: write a synthetic raw batch with a progress display. */
import { resolve } from "node:path";
import { Lake } from "../io/lake.ts";
import { generateBatch } from "../synth/generate.ts";
import { phaseProgressBar } from "./progress-bar.ts";

export function defaultBatchId(customers: number, seed: number): string {
	return `default-${customers}-s${seed}`;
}

export async function generateWithProgress(o: {
	customers: number;
	seed: number;
	outDir: string;
	drift?: number;
	hourly?: boolean;
}) {
	const bar = phaseProgressBar();
	try {
		return await generateBatch({ ...o, onProgress: bar.update });
	} finally {
		bar.stop();
	}
}

export async function synthCommand(o: {
	customers: number;
	seed: number;
	out?: string;
	data: string;
	drift: number;
	hourly: boolean;
}): Promise<number> {
	const outDir = resolve(
		o.out ?? new Lake(o.data).rawDir(defaultBatchId(o.customers, o.seed)),
	);
	process.stderr.write(
		`Generating ${o.customers} customers (seed ${o.seed}${o.drift ? `, drift ${o.drift}` : ""}) into ${outDir}\n`,
	);
	const summary = await generateWithProgress({
		customers: o.customers,
		seed: o.seed,
		outDir,
		drift: o.drift,
		hourly: o.hourly,
	});
	process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
	return 0;
}
