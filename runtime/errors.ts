/**
 * Typed pipeline errors. Each class has a stable `name`, which is the error
 * name the state machine's Retry/Catch match: transient errors are retried,
 * the others fail the run fast with the details a reader needs.
 */

export interface RawLocation {
	file: string;
	/** 1-based data row (header excluded) or record index; undefined for file-level errors. */
	row?: number;
	column?: string;
}

/** Input that violates the raw contract (DATA_SPEC §1). Permanent. */
export class RawContractError extends Error {
	override readonly name = "RawContractError";
	constructor(
		readonly location: RawLocation,
		readonly problem: string,
	) {
		const where = [
			location.file,
			location.row !== undefined ? `row ${location.row}` : undefined,
			location.column !== undefined ? `column "${location.column}"` : undefined,
		]
			.filter(Boolean)
			.join(", ");
		super(`${where}: ${problem}`);
	}
}

export interface QualityViolation {
	table: string;
	rule: string;
	column?: string;
	severity: "error" | "warning";
	detail: string;
	/** The rule's domain reason (docs/data-quality.md). */
	reason?: string;
}

/** A data-quality contract failed with severity "error" (DATA_SPEC §7). Permanent. */
export class DataQualityError extends Error {
	override readonly name = "DataQualityError";
	constructor(readonly violations: QualityViolation[]) {
		super(
			`data-quality gate failed:\n${violations
				.map(
					(v) =>
						`  ${v.table}${v.column ? `.${v.column}` : ""} [${v.rule}] ${v.detail}${v.reason ? ` — rule: ${v.reason}` : ""}`,
				)
				.join("\n")}`,
		);
	}
}

/**
 * More hourly consumption rows dropped (unparsable or out-of-year timestamp,
 * unparsable reading) than the run tolerates (`maxInvalidHourlyShare`,
 * docs/data-quality.md). Permanent: the extract is broken.
 */
export class InvalidHourlyRowsError extends Error {
	override readonly name = "InvalidHourlyRowsError";
	constructor(
		readonly dropped: number,
		readonly rows: number,
		readonly maxShare: number,
		/** The first offending rows as read, with their file. */
		readonly examples: readonly {
			file: string;
			customer_id: string | null;
			timestamp: string | null;
			consumption_elec_kwh: string | null;
			consumption_gas_m3: string | null;
		}[],
	) {
		const files = [...new Set(examples.map((r) => r.file))];
		super(
			`${files.join(", ") || "consumption"}: ${dropped} of ${rows} hourly rows (${((dropped / rows) * 100).toFixed(3)} %) have an unparsable or out-of-year timestamp or an unparsable reading, more than the tolerated ${(maxShare * 100).toFixed(3)} % (maxInvalidHourlyShare); first rows: ${examples
				.map(
					(r) =>
						`${r.file.split("/").at(-1)}: customer_id=${JSON.stringify(r.customer_id)} timestamp=${JSON.stringify(r.timestamp)} elec=${JSON.stringify(r.consumption_elec_kwh)} gas=${JSON.stringify(r.consumption_gas_m3)}`,
				)
				.join("; ")}`,
		);
	}
}

/** A model matrix or model input that cannot be used (e.g. non-finite value). Permanent. */
export class ModelInputError extends Error {
	override readonly name = "ModelInputError";
}

/** A recommendation that would break a guardrail (DATA_SPEC §6). Permanent: a bug upstream. */
export class GuardrailError extends Error {
	override readonly name = "GuardrailError";
}

/** Network/storage hiccup worth retrying. */
export class TransientIOError extends Error {
	override readonly name = "TransientIOError";
}
