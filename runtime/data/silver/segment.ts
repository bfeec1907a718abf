/** Customer segment and residential subtype (docs/data-contract.md §3). */

export type Segment = "Residential" | "SME" | "Corporate";
export type ResidentialSubtype = "Primary" | "Second residence";

/** Industrial customers up to and including this contracted power are SME. */
export const SME_MAX_POWER_KW = 10;

/**
 * Residential when not industrial; SME when industrial with power ≤ 10 kW;
 * Corporate above. Decision: an industrial customer with unknown power is SME
 * (the common industrial case, 1,832 of 2,009 in the real extract) and an
 * unknown is_industrial is Residential; callers count both as faults.
 */
export function segmentOf(
	isIndustrial: number,
	contractedPowerKw: number,
): Segment {
	if (isIndustrial !== 1) return "Residential";
	if (Number.isNaN(contractedPowerKw)) return "SME";
	return contractedPowerKw <= SME_MAX_POWER_KW ? "SME" : "Corporate";
}

/** Subtype of residential customers only; null for SME and Corporate. */
export function residentialSubtypeOf(
	segment: Segment,
	isSecondResidence: number,
): ResidentialSubtype | null {
	if (segment !== "Residential") return null;
	return isSecondResidence === 1 ? "Second residence" : "Primary";
}
