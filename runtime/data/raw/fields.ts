/**
 * Field kinds of the raw contract and their cell converters. CSV cells arrive
 * as strings, JSON values as whatever the producer wrote; each converter turns
 * a cell into the typed value the bronze layer uses, or reports a problem that
 * the loader turns into a RawContractError naming file, row and column.
 */

export type FieldKind =
	| "id"
	| "string"
	| "trimmed"
	| "number"
	| "flag"
	| "date"
	| "month";

export interface FieldSpec {
	kind: FieldKind;
	/** A required field may not be empty (ids are never required here: empty ids are absorbed and counted). */
	required?: boolean;
}

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
// Date part, optionally followed by a time and a zone (the zone is ignored: dates are local).
const DATE_RE =
	/^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const MONTH_RE = /^(\d{4})-(\d{2})(?:-\d{2})?$/;

function isBlank(v: unknown): boolean {
	return (
		v === null || v === undefined || (typeof v === "string" && v.trim() === "")
	);
}

function describe(v: unknown): string {
	return typeof v === "string"
		? JSON.stringify(v)
		: `${typeof v} ${JSON.stringify(v)}`;
}

/** ISO "YYYY-MM-DD" for a real calendar date, else undefined. */
export function normaliseDate(text: string): string | undefined {
	const m = DATE_RE.exec(text.trim());
	if (!m) return undefined;
	const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
	const dt = new Date(Date.UTC(y, mo - 1, d));
	if (
		dt.getUTCFullYear() !== y ||
		dt.getUTCMonth() !== mo - 1 ||
		dt.getUTCDate() !== d
	)
		return undefined;
	return `${m[1]}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

/** A cell-level problem; the loader turns it into a RawContractError naming file, row and column. */
export class CellProblem extends Error {}
const fail = (message: string): never => {
	throw new CellProblem(message);
};

export type CellValue = string | number | null;

/**
 * Turns one raw cell into the typed value the bronze layer uses, or throws a
 * CellProblem. Plain functions, called once per cell of a column: a schema
 * object per row cost 26 s for a 100 k-customer batch (docs/architecture.md,
 * "Raw validation").
 */
export type CellConverter = (v: unknown) => CellValue;

/** `convert` on non-blank cells; blank cells are null (or a problem when required). */
function cell(
	required: boolean,
	convert: (v: unknown) => CellValue,
	blank: CellValue = null,
): CellConverter {
	return (v) => {
		if (isBlank(v)) return required ? fail("missing value") : blank;
		return convert(v);
	};
}

const text = (v: unknown, expected: string): string =>
	typeof v === "string"
		? v
		: fail(`wrong type: expected ${expected}, got ${describe(v)}`);

const toNumber = (v: unknown): number => {
	if (typeof v === "number")
		return Number.isFinite(v) ? v : fail(`unparsable number ${describe(v)}`);
	const s = text(v, "a number").trim();
	return NUMBER_RE.test(s)
		? Number(s)
		: fail(`unparsable number ${describe(v)}`);
};

const toFlag = (v: unknown): number => {
	const n =
		typeof v === "number"
			? v
			: typeof v === "string" && NUMBER_RE.test(v.trim())
				? Number(v)
				: Number.NaN;
	return n === 0 || n === 1
		? n
		: fail(`wrong type: expected a 0/1 flag, got ${describe(v)}`);
};

const toMonth = (v: unknown): string => {
	const m = MONTH_RE.exec(text(v, "a month string").trim());
	if (!m || Number(m[2]) < 1 || Number(m[2]) > 12)
		return fail(`unparsable month ${describe(v)} (expected YYYY-MM)`);
	return `${m[1]}-${m[2]}`;
};

export function fieldConverter(spec: FieldSpec): CellConverter {
	const required = spec.required ?? false;
	switch (spec.kind) {
		case "id":
			// Empty ids are not an error here: the loader drops or rejects them per dataset.
			return cell(false, (v) => text(v, "a string id").trim(), "");
		case "string":
			return cell(required, (v) => text(v, "a string"));
		case "trimmed":
			return cell(required, (v) => text(v, "a string").trim());
		case "number":
			return cell(required, toNumber);
		case "flag":
			return cell(required, toFlag);
		case "date": {
			// A date column holds few distinct spellings (a month's pricing date,
			// contract dates): parse each once per column.
			const seen = new Map<string, string | undefined>();
			return cell(required, (v) => {
				const s = text(v, "a date string");
				let d = seen.get(s);
				if (d === undefined && !seen.has(s)) {
					d = normaliseDate(s);
					if (seen.size < 100_000) seen.set(s, d);
				}
				return d ?? fail(`unparsable date ${describe(v)}`);
			});
		}
		case "month":
			return cell(required, toMonth);
	}
}
