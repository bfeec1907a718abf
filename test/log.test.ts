/**
 * Structured logs: every line carries the run id and the stage; in Lambda the
 * lines go through Powertools' logger (its JSON shape, plus the function's
 * context), elsewhere through our own sinks in the same keys.
 */
import { Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Logger, powertoolsSink } from "../runtime/log.ts";

afterEach(() => {
	vi.restoreAllMocks();
});

describe("structured logs", () => {
	it("gives every line of a stage logger its run id and stage", () => {
		const lines: Record<string, unknown>[] = [];
		const log = new Logger({ service: "svc" }, [
			{ write: (l) => lines.push(l) },
		]);
		log
			.child({ runId: "r1", stage: "Gold" })
			.info("stage succeeded", { seconds: 1.5 });
		expect(lines).toHaveLength(1);
		expect(lines[0]).toMatchObject({
			level: "INFO",
			message: "stage succeeded",
			service: "svc",
			runId: "r1",
			stage: "Gold",
			seconds: 1.5,
		});
		expect(Date.parse(lines[0].timestamp as string)).not.toBeNaN();
	});

	it("in Lambda writes Powertools JSON with the same keys", () => {
		const out: string[] = [];
		vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
			out.push(String(chunk));
			return true;
		});
		const log = new Logger({ service: "spanishgas-churn" }, [
			powertoolsSink(new PowertoolsLogger({ serviceName: "spanishgas-churn" })),
		]);
		log
			.child({ runId: "r9", stage: "Score" })
			.info("stage succeeded", { rows: { scores: 10 } });
		const line = JSON.parse(
			out.find((l) => l.includes("stage succeeded")) ?? "{}",
		);
		expect(line).toMatchObject({
			level: "INFO",
			message: "stage succeeded",
			service: "spanishgas-churn",
			runId: "r9",
			stage: "Score",
			rows: { scores: 10 },
		});
		expect(line.timestamp).toBeDefined();
	});
});
