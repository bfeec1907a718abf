/**
 * Prints the plain closing line CI reads: "N passed, N failed[, N skipped]".
 * A suite that fails to load counts as a failure.
 */
import type { Reporter, TestModule } from "vitest/node";

export default class SummaryReporter implements Reporter {
	onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
		let passed = 0;
		let failed = 0;
		let skipped = 0;
		for (const mod of testModules) {
			if (mod.state() === "failed" && [...mod.children.allTests()].length === 0)
				failed++;
			for (const t of mod.children.allTests()) {
				const s = t.result().state;
				if (s === "passed") passed++;
				else if (s === "failed") failed++;
				else skipped++;
			}
		}
		process.stdout.write(
			`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`,
		);
	}
}
