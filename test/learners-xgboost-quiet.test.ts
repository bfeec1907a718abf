/**
 * ml-xgboost's console noise ("wasm streaming compile failed …", "Tree method
 * is selected …") is dropped on every fit, and nothing else is: the fits run
 * in a child process whose stdout and stderr are captured whole.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { isXgboostNoise } from "../runtime/model/learners/xgboost-quiet.ts";

describe("ml-xgboost console noise", () => {
	it("a process that fits twice prints only its own lines and the library's real messages", () => {
		const r = spawnSync(
			process.execPath,
			["--import", "tsx", "test/support/xgboost-fit-script.ts"],
			{ encoding: "utf8" },
		);
		expect(r.status, r.stderr).toBe(0);
		expect(r.stdout.trim().split("\n")).toEqual([
			"library output that must stay visible",
			"fits done",
		]);
		expect(r.stderr.trim().split("\n")).toEqual([
			"library warning that must stay visible",
			"own warning",
		]);
	}, 60_000);

	it("recognises exactly the known lines", () => {
		expect(
			isXgboostNoise(
				"wasm streaming compile failed: TypeError: Failed to parse URL from /x/xgboost.wasm",
			),
		).toBe(true);
		expect(isXgboostNoise("falling back to ArrayBuffer instantiation")).toBe(
			true,
		);
		expect(
			isXgboostNoise(
				"[14:19:53] Tree method is selected to be 'hist', which uses a single updater grow_fast_histmaker.",
			),
		).toBe(true);
		expect(isXgboostNoise("[14:19:53] WARNING: unknown parameter")).toBe(false);
		expect(isXgboostNoise("abort(OOM)")).toBe(false);
	});
});
