import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { SLOW_TESTS } from "../vitest.unit.config.ts";

describe("npm run test:unit (vitest.unit.config.ts)", () => {
	it("names only test files that exist (a renamed slow file must not slip into the fast subset unnoticed)", () => {
		const root = resolve(import.meta.dirname, "..");
		const missing = SLOW_TESTS.filter((f) => !existsSync(resolve(root, f)));
		expect(missing).toEqual([]);
	});
});
