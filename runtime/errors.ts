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

/** Input that violates the raw contract (docs/data-contract.md §1). Permanent. */
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

/** A data-quality contract failed with severity "error" (docs/data-contract.md §7). Permanent. */
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

/** A recommendation that would break a guardrail (docs/data-contract.md §6). Permanent: a bug upstream. */
export class GuardrailError extends Error {
	override readonly name = "GuardrailError";
}

/** Network/storage hiccup worth retrying. */
export class TransientIOError extends Error {
	override readonly name = "TransientIOError";
}

/** The key names no object. Permanent (the state machine does not retry it). */
export class ObjectNotFoundError extends Error {
	override readonly name = "ObjectNotFoundError";
	constructor(
		readonly key: string,
		/** Where it was looked for (folder or s3://bucket/prefix). */
		readonly store: string,
	) {
		super(`${store}: no object "${key}"`);
	}
}

/**
 * The object is not the version the run pinned: replaced (a re-upload during
 * the run) or that version is gone. Permanent: the run must not mix versions
 * (docs/batch-manifest.md).
 */
export class ObjectChangedError extends Error {
	override readonly name = "ObjectChangedError";
	constructor(
		readonly key: string,
		readonly pinned: string,
		detail: string,
	) {
		super(
			`raw file changed during the run: ${key} is no longer the version ValidateRaw pinned (${pinned}): ${detail}`,
		);
	}
}

/** The batch manifest is missing where required, unreadable or malformed (docs/batch-manifest.md). Permanent. */
export class BatchManifestError extends Error {
	override readonly name = "BatchManifestError";
}

/** A file the batch manifest lists is missing, or its size or checksum is not the listed one. Permanent. */
export class BatchIntegrityError extends Error {
	override readonly name = "BatchIntegrityError";
}

/** A key that is empty, absolute or climbs out of the store ("../x"). Permanent. */
export class InvalidObjectKeyError extends Error {
	override readonly name = "InvalidObjectKeyError";
	constructor(
		readonly key: string,
		readonly problem: string,
	) {
		super(`invalid object key "${key}": ${problem}`);
	}
}

/**
 * Every typed error class of the runtime, by its `name`. An error that crosses
 * a boundary as data (a worker thread's message, a stage's JSON failure) is
 * rebuilt from this table, so `instanceof` and the class's own fields survive
 * and the state machine's Retry/Catch still match its name. A new typed error
 * is added here.
 */
export const TYPED_ERRORS = {
	RawContractError,
	DataQualityError,
	InvalidHourlyRowsError,
	ModelInputError,
	GuardrailError,
	TransientIOError,
	ObjectNotFoundError,
	InvalidObjectKeyError,
	ObjectChangedError,
	BatchManifestError,
	BatchIntegrityError,
} as const;

/** An error as plain structured-cloneable data: its name, message, stack and own fields. */
export interface SerializedError {
	name: string;
	message: string;
	stack?: string;
	/** The error's own enumerable fields (e.g. RawContractError's location), cloneable data only. */
	fields?: Record<string, unknown>;
}

/** Turns any thrown value into SerializedError (a non-Error becomes an Error named "Error"). */
export function serializeError(e: unknown): SerializedError {
	const err = e instanceof Error ? e : new Error(String(e));
	const fields: Record<string, unknown> = {};
	for (const [k, v] of Object.entries(err))
		if (k !== "name" && typeof v !== "function") fields[k] = v;
	return { name: err.name, message: err.message, stack: err.stack, fields };
}

/**
 * Rebuilds a SerializedError: an instance of the TYPED_ERRORS class of that
 * name (without running its constructor, whose message the payload already
 * holds) carrying the same fields, or a plain Error with that name.
 */
export function deserializeError(s: SerializedError): Error {
	const cls = (TYPED_ERRORS as Record<string, { prototype: Error }>)[s.name];
	const err: Error = cls ? Object.create(cls.prototype) : new Error(s.message);
	Object.assign(err, s.fields ?? {});
	for (const [k, v] of [
		["name", s.name],
		["message", s.message],
		["stack", s.stack],
	] as const)
		if (v !== undefined)
			Object.defineProperty(err, k, {
				value: v,
				writable: k !== "name",
				configurable: true,
				enumerable: k === "name" && cls !== undefined,
			});
	return err;
}
