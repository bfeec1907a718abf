/**
 * Structured logging. Every line carries the run id and the stage. In Lambda
 * (or with LOG_FORMAT=json) lines are JSON, the shape Powertools' logger
 * emits; on a terminal they are short human lines. Lines can also be teed to
 * a JSON-lines file (the run's log in the lake).
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";

export type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level, number> = {
	debug: 10,
	info: 20,
	warn: 30,
	error: 40,
};

export interface LogSink {
	write(line: Record<string, unknown>): void;
}

export class Logger {
	constructor(
		private readonly fields: Record<string, unknown> = {},
		private readonly sinks: LogSink[] = [consoleSink()],
		private readonly minLevel: Level = (process.env.LOG_LEVEL?.toLowerCase() as Level) ??
			"info",
	) {}
	child(fields: Record<string, unknown>): Logger {
		return new Logger({ ...this.fields, ...fields }, this.sinks, this.minLevel);
	}
	/** Adds a sink to this logger and every child sharing its sinks (e.g. the run's log file). */
	addSink(sink: LogSink): () => void {
		this.sinks.push(sink);
		return () => {
			const i = this.sinks.indexOf(sink);
			if (i >= 0) this.sinks.splice(i, 1);
		};
	}
	withSink(sink: LogSink): Logger {
		return new Logger(this.fields, [...this.sinks, sink], this.minLevel);
	}
	log(
		level: Level,
		message: string,
		extra: Record<string, unknown> = {},
	): void {
		if (ORDER[level] < ORDER[this.minLevel]) return;
		const line = {
			level: level.toUpperCase(),
			message,
			timestamp: new Date().toISOString(),
			...this.fields,
			...extra,
		};
		for (const s of this.sinks) s.write(line);
	}
	debug(m: string, e?: Record<string, unknown>) {
		this.log("debug", m, e);
	}
	info(m: string, e?: Record<string, unknown>) {
		this.log("info", m, e);
	}
	warn(m: string, e?: Record<string, unknown>) {
		this.log("warn", m, e);
	}
	error(m: string, e?: Record<string, unknown>) {
		this.log("error", m, e);
	}
}

/**
 * In Lambda, lines go through Powertools' logger, which adds the function's
 * context (cold start, function name and version, request and X-Ray ids) to
 * the same keys we log locally.
 */
export function powertoolsSink(
	logger: PowertoolsLogger = new PowertoolsLogger({
		serviceName: "spanishgas-churn",
		logLevel: "DEBUG",
	}),
): LogSink {
	return {
		write(line) {
			const {
				level,
				message,
				timestamp: _t,
				service: _s,
				...rest
			} = line as {
				level: string;
				message: string;
				[k: string]: unknown;
			};
			const method = level.toLowerCase() as "debug" | "info" | "warn" | "error";
			logger[method](message, rest);
		},
	};
}

/** JSON lines in Lambda (through Powertools) / LOG_FORMAT=json; otherwise nothing (the CLI has its own display). */
export function consoleSink(): LogSink {
	if (process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined)
		return powertoolsSink();
	const json = process.env.LOG_FORMAT === "json";
	return {
		write(line) {
			if (json) process.stdout.write(`${JSON.stringify(line)}\n`);
			else if (process.env.LOG_FORMAT === "pretty") {
				const { level, message, stage } = line as {
					level: string;
					message: string;
					stage?: string;
				};
				process.stderr.write(
					`${level.padEnd(5)} ${stage ? `[${stage}] ` : ""}${message}\n`,
				);
			}
		},
	};
}

/** Appends JSON lines to a file (the run log kept beside the run's outputs). */
export function fileSink(path: string): LogSink {
	mkdirSync(dirname(path), { recursive: true });
	return {
		write(line) {
			appendFileSync(path, `${JSON.stringify(line)}\n`);
		},
	};
}

export const rootLogger = new Logger({ service: "spanishgas-churn" });
