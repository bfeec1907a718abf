/**
 * Benchmark task "sentiment": scoring 20,099 CRM notes of ≈ 2,100 distinct
 * texts (a template-heavy extract; repeats are scored once). Moved here from
 * test/nlp.test.ts, where a wall-time bound made a unit test depend on the
 * machine's load; the test keeps the determinism check. One measurement per
 * process, like bench/task.ts: prints a JSON line { seconds, maxRssMb, detail }.
 *
 *   npm run bench -- --tasks sentiment --runs 5
 */
import { createSentimentScorer } from "../runtime/data/nlp/sentiment.ts";

const BASE = [
	"Customer not satisfied with bill",
	"Routine follow-up, all good",
	"Thanks, happy with the offer",
];

async function main() {
	const texts = Array.from(
		{ length: 20_099 },
		(_, i) => `${BASE[i % 3]} ref ${i % 700}`,
	);
	const scorer = createSentimentScorer();
	const t0 = performance.now();
	const scores = await scorer.score(texts);
	const seconds = (performance.now() - t0) / 1000;
	if (scores.length !== texts.length)
		throw new Error("bench sentiment: one score per text expected");
	const maxRssMb = process.resourceUsage().maxRSS / 1024;
	const detail = { texts: texts.length, distinct: new Set(texts).size };
	process.stdout.write(`${JSON.stringify({ seconds, maxRssMb, detail })}\n`);
}

main().catch((e) => {
	process.stderr.write(
		`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
	);
	process.exit(1);
});
