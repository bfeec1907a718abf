import { defineConfig } from "vitest/config";

export default defineConfig({
	test: {
		include: ["test/**/*.test.ts"],
		testTimeout: 120_000,
		hookTimeout: 300_000,
		// Heavy suites (DuckDB, WebAssembly XGBoost) share 2 cores.
		maxWorkers: 2,
		reporters: ["default", "./test/support/summary-reporter.ts"],
	},
});
