/** `tiers`: the risk tiers, their probability bounds and which count as at risk (runtime/scoring/tiers.ts). */
import {
	AT_RISK_TIERS,
	RISK_TIERS,
	type RiskTier,
	TIER_BOUNDS,
} from "../../scoring/tiers.ts";
import type { ReportRow } from "../contract.ts";

const lowerBound = (t: RiskTier): number => (t === "Low" ? 0 : TIER_BOUNDS[t]);

export function tierRows(): ReportRow<"tiers">[] {
	return RISK_TIERS.map((tier, i) => ({
		tier,
		tier_order: i + 1,
		lower_bound: lowerBound(tier),
		upper_bound: i + 1 < RISK_TIERS.length ? lowerBound(RISK_TIERS[i + 1]) : 1,
		at_risk: AT_RISK_TIERS.includes(tier) ? 1 : 0,
	}));
}
