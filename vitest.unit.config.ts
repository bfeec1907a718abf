import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.ts";

/**
 * `npm run test:unit`: the fast subset (docs/testing.md), every test file
 * except the end-to-end runs, the packaged Lambda/task archives, the report
 * site build (Evidence), the whole Pulumi program under mocks, the
 * full-size generator checks and the suites that push big tables
 * through DuckDB. The full `npm test` (CI) runs them all.
 */
export const SLOW_TESTS = [
	// end to end: a whole pipeline run, locally, under the state machine or from the CLI
	"test/pipeline.test.ts",
	"test/state-machine.test.ts",
	"test/calibration-e2e.test.ts",
	"test/cli.test.ts",
	"test/data/conformance.test.ts",
	// infrastructure: the whole Pulumi program under mocks, once per stack
	// variant (≈ 10 CPU-s each; infra-cicd and infra-edge-auth stay)
	"test/infra-dev.test.ts",
	"test/infra-distributed.test.ts",
	"test/infra-config.test.ts",
	"test/infra-prod.test.ts",
	"test/infra-reuse.test.ts",
	"test/infra-stage-runners.test.ts",
	// packaged: the built Lambda and task archives, run as shipped
	"test/infra-package.test.ts",
	"test/lambda.test.ts",
	"test/stage-task-entry.test.ts",
	"test/learners-xgboost-quiet.test.ts", // fits in child processes and worker threads
	// the report: export of a real run and the offline Evidence build
	"test/report-site.test.ts",
	"test/report-export.test.ts",
	"test/explain-report.test.ts",
	// the generator's statistics at full size, and big tables through DuckDB
	"test/synth-calibration.test.ts",
	"test/data/bronze-reference.test.ts",
	"test/data/csv-staging.test.ts",
	// numerical reference sweep: kstwo.sf against SciPy in every regime (≈ 12 s of CPU)
	"test/ks.test.ts",
];

export default mergeConfig(
	base,
	defineConfig({
		test: {
			exclude: [...SLOW_TESTS, "**/node_modules/**"],
			// Big-table blocks inside fast files skip themselves (test/support/fast-subset.ts).
			env: { TEST_SUBSET: "unit" },
		},
	}),
);
