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
