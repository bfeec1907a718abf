/**
 * Sales-channel translation (docs/data-contract.md §3). Matching ignores case, spaces,
 * underscores and hyphens, so "Presencial Comercial", " presencial_comercial "
 * and "PRESENCIAL-COMERCIAL" are the same label.
 */

export type SalesChannel =
	| "In-Person Commercial"
	| "Comparison Website"
	| "Office"
	| "Telemarketing"
	| "Own Website"
	| "Unknown";

const TRANSLATIONS: Readonly<Record<string, SalesChannel>> = {
	presencialcomercial: "In-Person Commercial",
	comparador: "Comparison Website",
	oficina: "Office",
	telemarketing: "Telemarketing",
	webpropia: "Own Website",
	desconocido: "Unknown",
	unknown: "Unknown",
};

function normalise(label: string): string {
	return label.toLowerCase().replace(/[\s_-]+/g, "");
}

/**
 * English channel for a raw Spanish label. Decision: a missing or blank label
 * is "Unknown" (the client's own code for "not recorded"); an unrecognised
 * label is kept as given, trimmed.
 */
export function translateSalesChannel(raw: string | null | undefined): string {
	if (raw === null || raw === undefined || raw.trim() === "") return "Unknown";
	return TRANSLATIONS[normalise(raw)] ?? raw.trim();
}
