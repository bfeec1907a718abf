/**
 * Risk tiers of a calibrated churn probability (docs/data-contract.md §6):
 * Low < 0.40 ≤ Medium < 0.60 ≤ High < 0.80 ≤ Critical.
 */
import { ModelInputError } from "../errors.ts";

export type RiskTier = "Low" | "Medium" | "High" | "Critical";

export const RISK_TIERS: readonly RiskTier[] = [
	"Low",
	"Medium",
	"High",
	"Critical",
];

/** Lower bound (inclusive) of each tier above Low. */
export const TIER_BOUNDS = { Medium: 0.4, High: 0.6, Critical: 0.8 } as const;

export function riskTier(probability: number): RiskTier {
	if (!(probability >= 0 && probability <= 1))
		throw new ModelInputError(
			`risk tier: probability ${probability} is not within [0, 1]`,
		);
	if (probability >= TIER_BOUNDS.Critical) return "Critical";
	if (probability >= TIER_BOUNDS.High) return "High";
	if (probability >= TIER_BOUNDS.Medium) return "Medium";
	return "Low";
}

/** The tiers counted as "at risk" wherever the platform reports it (the report's `tiers` table carries it to the pages). */
export const AT_RISK_TIERS: readonly RiskTier[] = ["High", "Critical"];

export function isAtRisk(tier: string): boolean {
	return (AT_RISK_TIERS as readonly string[]).includes(tier);
}
