/**
 * True under `npm run test:unit` (vitest.unit.config.ts sets TEST_SUBSET):
 * a test block that needs big tables is skipped there with
 * `describe.skipIf(IN_FAST_SUBSET)` and runs in the full `npm test`
 * (docs/testing.md). A whole slow file is listed in SLOW_TESTS instead.
 */
export const IN_FAST_SUBSET = process.env.TEST_SUBSET === "unit";
