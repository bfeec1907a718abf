import { describe, expect, it } from "vitest";
import * as errors from "../runtime/errors.ts";
import {
	DataQualityError,
	deserializeError,
	InvalidHourlyRowsError,
	ModelInputError,
	ObjectNotFoundError,
	RawContractError,
	serializeError,
	TYPED_ERRORS,
} from "../runtime/errors.ts";
import {
	runTasks,
	workerThreadsAvailable,
} from "../runtime/model/learners/parallel.ts";
import type { FitTask } from "../runtime/model/learners/worker-protocol.ts";
import { executeFitTask } from "../runtime/model/learners/worker-tasks.ts";

/** What a worker's postMessage does to the payload. */
const acrossBoundary = (e: unknown) =>
	deserializeError(structuredClone(serializeError(e)));

describe("typed errors across a boundary (TYPED_ERRORS)", () => {
	it("registers every Error class errors.ts exports, under its own name", () => {
		const classes = Object.entries(errors).filter(
			([, v]) => typeof v === "function" && v.prototype instanceof Error,
		);
		expect(classes.length).toBeGreaterThanOrEqual(8);
		for (const [exported, cls] of classes)
			expect(TYPED_ERRORS[exported as keyof typeof TYPED_ERRORS]).toBe(cls);
	});

	it("rebuilds the class, name, message and the class's own fields", () => {
		const raw = new RawContractError(
			{ file: "customers.csv", row: 7, column: "province" },
			"unknown province",
		);
		const back = acrossBoundary(raw);
		expect(back).toBeInstanceOf(RawContractError);
		expect(back.name).toBe("RawContractError");
		expect(back.message).toBe(raw.message);
		expect((back as RawContractError).location).toEqual(raw.location);
		expect((back as RawContractError).problem).toBe("unknown province");
		expect(back.stack).toBe(raw.stack);

		const dq = new DataQualityError([
			{ table: "gold", rule: "unique", severity: "error", detail: "2 dups" },
		]);
		const dqBack = acrossBoundary(dq) as DataQualityError;
		expect(dqBack).toBeInstanceOf(DataQualityError);
		expect(dqBack.violations).toEqual(dq.violations);

		const hourly = new InvalidHourlyRowsError(3, 1000, 0.001, [
			{
				file: "c.csv",
				customer_id: "C1",
				timestamp: "x",
				consumption_elec_kwh: "1",
				consumption_gas_m3: null,
			},
		]);
		const hb = acrossBoundary(hourly) as InvalidHourlyRowsError;
		expect(hb).toBeInstanceOf(InvalidHourlyRowsError);
		expect([hb.dropped, hb.rows, hb.maxShare]).toEqual([3, 1000, 0.001]);
		expect(hb.examples).toEqual(hourly.examples);

		const nf = acrossBoundary(new ObjectNotFoundError("a/b", "s3://x/"));
		expect(nf).toBeInstanceOf(ObjectNotFoundError);
		expect((nf as ObjectNotFoundError).key).toBe("a/b");
	});

	it("keeps the name of an unregistered error and turns a thrown non-Error into an Error", () => {
		class Local extends Error {
			override name = "LocalError";
		}
		const back = acrossBoundary(new Local("x"));
		expect(back).toBeInstanceOf(Error);
		expect(back.name).toBe("LocalError");
		expect(back.message).toBe("x");
		const s = acrossBoundary("a string");
		expect([s.name, s.message]).toEqual(["Error", "a string"]);
	});

	it("a typed error thrown in a real fit worker thread arrives as its class", async () => {
		expect(await workerThreadsAvailable()).toBe(true);
		const data = new Float64Array(40).fill(1);
		data[5] = Number.NaN; // the worker's own input check rejects it
		const task: FitTask = {
			kind: "fit",
			algorithm: "logistic",
			X: { rows: 20, cols: 2, data, columns: ["a", "b"] },
			y: Uint8Array.from({ length: 20 }, (_, i) => i % 2),
			options: { seed: 1 },
		};
		const failure = await runTasks([task, task], 2, executeFitTask).catch(
			(e: unknown) => e,
		);
		expect(failure).toBeInstanceOf(ModelInputError);
		expect((failure as Error).message).toMatch(/finite|NaN/i);
	});
});
