/**
 * The synthetic population, drawn in causal order: (1) each customer's
 * circumstances — lifecycle, consumption pattern, price history; (2) churn
 * from a calibrated logistic function of those circumstances (docs/data-contract.md §8);
 * (3) the observable traces consistent with both (CRM notes). Raw files and
 * hourly consumption are written from this plan by the writers.
 */
import {
	AS_OF,
	DAY_MS,
	isoDate,
	MONTHS,
	type Segment,
	tierShares,
} from "./calendar.ts";
import { PROVINCES, type Province } from "./geography.ts";
import { type NoteTone, type NoteTopic, writeNote } from "./notes.ts";
import { Rng } from "./prng.ts";

export interface Interaction {
	date: string;
	channel: string;
	summary: string;
}

export interface PlannedCustomer {
	idx: number;
	id: string;
	segment: Segment;
	powerKw: number;
	secondResidence: boolean;
	province: Province;
	urban: boolean;
	/** Raw Spanish label, as in the client extract. */
	channel: string;
	dualFuel: boolean;
	firstActivation: string | null;
	contractStart: string;
	lastProductChange: string | null;
	nextRenewal: string;
	/** Planned monthly totals (before hourly noise and faults). */
	elecKwh: number[];
	gasM3: number[];
	tier1: number[];
	tier2: number[];
	tier3: number[];
	gasPrice: number[];
	elecFixedFee: number;
	elecFixedCost: number;
	gasFixedRevenueYear: number;
	gasFixedCostYear: number;
	churnProbability: number;
	churn: 0 | 1;
	/** Oldest first; the last one is what bronze keeps. */
	interactions: Interaction[];
}

export interface ProvinceMonthCost {
	month: string; // YYYY-MM
	province: string;
	elecVarCost: number;
	gasVarCost: number;
	peaje: number;
}

export interface Plan {
	customers: PlannedCustomer[];
	costs: ProvinceMonthCost[];
}

export interface PlanOptions {
	customers: number;
	seed: number;
	/** 0 = none; 1 = clearly drifted (more consumption, dearer prices and costs, earlier renewals). */
	drift?: number;
}

// ---------------------------------------------------------------- reference mix (docs/data-contract.md §8)

const SEGMENT_WEIGHTS = [18_090, 1_832, 177]; // Residential, SME, Corporate
const CHANNELS = [
	"presencial_comercial",
	"desconocido",
	"comparador",
	"oficina",
	"telemarketing",
	"web_propia",
];
const CHANNEL_WEIGHTS = [9_158, 5_267, 2_597, 1_836, 1_218, 23];
const RESIDENTIAL_POWER = [
	2.3, 3.3, 3.45, 4.4, 4.6, 5.5, 5.75, 6.9, 8.05, 9.2, 10.35,
];
const RESIDENTIAL_POWER_WEIGHTS = [5, 14, 16, 10, 15, 13, 10, 8, 4, 3, 2];
const SECOND_RESIDENCE_SHARE = 402 / 18_090;
const DUAL_FUEL_SHARE = 0.135;
/** tenure buckets (0,6] (6,12] (12,24] (24,60] >60 months, and their day ranges */
const TENURE_WEIGHTS = [0.07, 0.09, 0.14, 0.28, 0.42];
const TENURE_DAYS: readonly [number, number][] = [
	[20, 182],
	[183, 365],
	[366, 730],
	[731, 1826],
	[1827, 7300],
];
/** share of renewals within 3 months (days 2–91) vs later (92–330) */
const RENEWAL_SOON_SHARE = 0.22;

/** Target median monthly margin per segment (€), docs/data-contract.md §8. */
export const MEDIAN_MARGIN_TARGET: Record<Segment, number> = {
	Residential: 6.8,
	SME: 11.4,
	Corporate: -13.6,
};

// ---------------------------------------------------------------- consumption shapes

const ELEC_SEASON: Record<Segment, number[]> = {
	Residential: [
		1.22, 1.12, 1.0, 0.88, 0.84, 0.92, 1.1, 1.12, 0.95, 0.88, 0.95, 1.12,
	],
	SME: [1.08, 1.04, 1.0, 0.95, 0.94, 1.0, 1.05, 0.9, 1.0, 0.98, 1.0, 1.06],
	Corporate: [
		1.0, 1.0, 0.98, 0.96, 0.98, 1.05, 1.1, 0.95, 1.02, 0.98, 0.98, 1.0,
	],
};
const GAS_SEASON = [
	2.0, 1.8, 1.4, 1.0, 0.6, 0.35, 0.25, 0.25, 0.35, 0.7, 1.35, 1.95,
];
/** Log-normal median monthly kWh and spread; mean over all customers ≈ 1,142 kWh. */
const ELEC_MEDIAN: Record<Segment, number> = {
	Residential: 680,
	SME: 2_000,
	Corporate: 255 /* × kW */,
};
const ELEC_SIGMA: Record<Segment, number> = {
	Residential: 0.7,
	SME: 0.7,
	Corporate: 0.5,
};
const GAS_MEAN: Record<Segment, number> = {
	Residential: 45,
	SME: 150,
	Corporate: 800,
};

// ---------------------------------------------------------------- prices and costs

/** Spot-like 2024 energy cost by month (€/kWh) and gas (€/m3); provinces vary ±5 %. */
const ELEC_COST = [
	0.109, 0.075, 0.055, 0.048, 0.065, 0.091, 0.106, 0.126, 0.108, 0.099, 0.132,
	0.146,
];
const GAS_COST = [
	0.36, 0.31, 0.3, 0.3, 0.33, 0.35, 0.36, 0.38, 0.38, 0.41, 0.45, 0.48,
];
const PEAJE = 0.03;
/** tier-2 and tier-3 prices as a share of tier 1 */
const TIER_RATIO = [1, 0.8, 0.62];
const FIXED_FEE_PER_KW: Record<Segment, [fee: number, cost: number]> = {
	Residential: [3.3, 2.95],
	SME: [3.6, 3.2],
	Corporate: [3.9, 3.6],
};

// ---------------------------------------------------------------- churn model

/**
 * Logit of churn. Lifecycle effects are the reference's conditional rates;
 * price and consumption effects are visible only through MP features (price
 * trend, spread over province cost, monthly volatility/decline, margins).
 * Real churn is not additive in those drivers: the continuous effects below
 * have thresholds, saturation, bumps and interactions (see `churnLogit`), so
 * an additive linear model cannot be near-optimal while trees can find them.
 */
export const CHURN_COEF = {
	intercept: -6.7,
	renewalWithin3m: 2.1,
	renewal3to6m: 0.3,
	tenure: [1.0, 0.85, 0.6, 0.35, 0], // by tenure bucket
	highCompetition: 0.6,
	channel: {
		presencial_comercial: 0.3,
		desconocido: 0,
		comparador: -0.7,
		oficina: 0,
		telemarketing: 0.2,
		web_propia: -0.3,
	},
	dualFuel: -0.3,
	secondResidence: 0.2,
	/** first renewal: extra pull of a near renewal, decaying with tenure (months) */
	firstRenewal: 1.9,
	firstRenewalTenureMonths: 14,
	/** price increase: logistic in the step size, centred and scaled in % points */
	priceIncreaseMax: 4,
	priceIncreaseMidPct: 10,
	priceIncreaseWidthPct: 1,
	/** share of the increase effect felt by the smallest bills */
	priceIncreaseSmallBill: 0.3,
	priceDecrease: -0.4,
	/** overpricing counts above this % over the segment level … */
	overpricingFreePct: 3,
	overpricingPerPct: 0.25,
	/** … in full only with a price increase or a high-competition province */
	overpricingAloneShare: 0.05,
	decliningPerPct: 0.06, // when volatile or near renewal …
	decliningAlonePerPct: 0.004, // … otherwise
	decliningRenewalDays: 120,
	volatile: 0.2,
	/** bump in consumption level (within-segment z-score) */
	levelBump: 3.2,
	levelBumpCentre: 0.9,
	levelBumpWidth: 0.45,
} as const;

/** P(has an interaction | churn) and the tone of the latest note, from docs/data-contract.md §8 counts. */
const P_INTERACTION = { churn: 1_098 / 2_002, stay: 5_322 / 18_097 };
const TONE_WEIGHTS: Record<
	"churn" | "stay",
	[negative: number, neutral: number, positive: number]
> = {
	churn: [675, 422, 1],
	stay: [4, 2_318, 3_000],
};
const MEDIAN_DAYS_BEFORE_RENEWAL: Record<NoteTone, number> = {
	negative: 159,
	neutral: 212,
	positive: 235,
};
const INTERACTION_CHANNELS = ["Phone", "Email", "Chat", "Office"];
const INTERACTION_CHANNEL_WEIGHTS = [55, 25, 15, 5];

export interface Latent {
	tenureBucket: number;
	tenureDays: number;
	renewalDays: number;
	priceChangePct: number; // signed % step of tier 1 (0 = none)
	priceChangeMonth: number; // 1-based first month at the new price
	overpricingPct: number;
	decliningPct: number;
	volatile: boolean;
	/** standard-normal consumption level within the segment */
	levelZ: number;
}

export function customerId(idx: number, total: number): string {
	return `C${String(idx + 1).padStart(Math.max(6, String(total).length), "0")}`;
}

// ---------------------------------------------------------------- the draws of one customer
// Each part below reads only its own random stream, in a fixed order: moving
// a draw, or drawing one more, changes every batch generated from a seed.

/** Power of an SME contract (kW): the regulated 10 kW step. */
const SME_POWER_KW = 10;
/** Corporate power (kW): log-normal around a median, clipped to the contract range. */
const CORPORATE_POWER = { medianKw: 40, logSigma: 0.6, minKw: 15, maxKw: 150 };
/** Share of urban supply points, by the province's competition level. */
const URBAN_SHARE = { highCompetition: 0.85, other: 0.55 };
/** Days to renewal: soon (≤ 3 months) or later, uniform within each range. */
const RENEWAL_DAYS: Record<"soon" | "later", readonly [number, number]> = {
	soon: [2, 91],
	later: [92, 330],
};
/** Drift pulls renewals closer: at drift 1 the days to renewal (above the minimum) halve. */
const DRIFT_RENEWAL_PULL = 0.5;
/**
 * Last product change, by a uniform draw u: at the contract start (u below
 * `atContractStart`), on an earlier day of the tenure (u below `onEarlierDay`,
 * cumulative), else never.
 */
const LAST_PRODUCT_CHANGE = { atContractStart: 0.55, onEarlierDay: 0.92 };
/** Share of customers whose first activation date is missing in the extract. */
const MISSING_FIRST_ACTIVATION_SHARE = 0.015;

/** A declining customer loses a uniform 25–60 % over the year (trend, not noise). */
const DECLINING = { share: 0.12, lossPct: [25, 60] as const };
/** Of the others, some grow by a uniform 10–30 %; the rest drift by a normal trend. */
const GROWING = { share: 0.08, gain: [0.1, 0.3] as const };
const STABLE_TREND_SIGMA = 0.04;
/** Monthly log-normal noise of consumption: volatile customers vs steady ones. */
const VOLATILE_SHARE = 0.15;
const MONTHLY_NOISE_SIGMA = { volatile: 0.32, steady: 0.06 };
/** The year's trend never takes a month below this share of the level. */
const MIN_TREND_FACTOR = 0.05;
/** Residential consumption scales with √(power / reference kW); a second residence uses less. */
const RESIDENTIAL_REFERENCE_KW = 4.6;
const SECOND_RESIDENCE_USE = 0.45;
/** Log-normal spread of a dual-fuel customer's gas level around the segment mean. */
const GAS_LEVEL_SIGMA = 0.5;
/** At drift 1: consumption +30 %; prices, fees and costs +15 %. */
const DRIFT_CONSUMPTION_UPLIFT = 0.3;
const DRIFT_PRICE_UPLIFT = 0.15;

/**
 * One tier-1 price step during the year, by a uniform draw u: a rise of 4–20 %
 * (u below `riseBelow`), a cut of 2–8 % (u below `cutBelow`, cumulative), else
 * none; the new price applies from a month drawn in 3–11.
 */
const PRICE_STEP = {
	riseBelow: 0.3,
	cutBelow: 0.45,
	risePct: [4, 20] as const,
	cutPct: [2, 8] as const,
	firstMonth: [3, 11] as const,
};
/** A customer's price level over the segment's, in % (normal). */
const OVERPRICING_SIGMA_PCT = 6;
/** Dual-fuel customers: some get a 3–15 % gas step in the same month. */
const GAS_STEP = { share: 0.3, pct: [3, 15] as const };
/** Gas price over the province's mean annual gas cost (normal markup). */
const GAS_MARKUP = { mean: 1.25, sigma: 0.06 };
/** Fixed gas revenue and cost per dual-fuel customer and year (€). */
const GAS_FIXED_REVENUE_YEAR = 70;
const GAS_FIXED_COST_YEAR = 55;

type Lifecycle = Pick<
	PlannedCustomer,
	| "segment"
	| "powerKw"
	| "secondResidence"
	| "province"
	| "urban"
	| "channel"
	| "dualFuel"
	| "firstActivation"
	| "contractStart"
	| "lastProductChange"
	| "nextRenewal"
> &
	Pick<Latent, "tenureBucket" | "tenureDays" | "renewalDays">;

/** (1a) Who the customer is and where they stand in the contract's life. */
function drawLifecycle(r: Rng, drift: number): Lifecycle {
	const segment = (["Residential", "SME", "Corporate"] as const)[
		r.weighted(SEGMENT_WEIGHTS)
	];
	const powerKw =
		segment === "Residential"
			? RESIDENTIAL_POWER[r.weighted(RESIDENTIAL_POWER_WEIGHTS)]
			: segment === "SME"
				? SME_POWER_KW
				: Math.round(
						Math.min(
							CORPORATE_POWER.maxKw,
							Math.max(
								CORPORATE_POWER.minKw,
								CORPORATE_POWER.medianKw *
									Math.exp(CORPORATE_POWER.logSigma * r.normal()),
							),
						),
					);
	const secondResidence =
		segment === "Residential" && r.bernoulli(SECOND_RESIDENCE_SHARE);
	const province = PROVINCES[r.weighted(PROVINCES.map((p) => p.weight))];
	const urban = r.bernoulli(
		province.highCompetition ? URBAN_SHARE.highCompetition : URBAN_SHARE.other,
	);
	const channel = CHANNELS[r.weighted(CHANNEL_WEIGHTS)];
	const dualFuel = r.bernoulli(DUAL_FUEL_SHARE);
	const tenureBucket = r.weighted(TENURE_WEIGHTS);
	const tenureDays = r.int(...TENURE_DAYS[tenureBucket]);
	const soon = r.bernoulli(RENEWAL_SOON_SHARE);
	const undrifted = r.int(...(soon ? RENEWAL_DAYS.soon : RENEWAL_DAYS.later));
	const minDays = RENEWAL_DAYS.soon[0];
	const renewalDays = Math.max(
		minDays,
		Math.round(
			minDays + (undrifted - minDays) * (1 - DRIFT_RENEWAL_PULL * drift),
		),
	);
	// The current contract started a year before its renewal, or at activation if later.
	const start = Math.max(renewalDays - 365, -tenureDays);
	const changeKind = r.next();
	const lastProductChange =
		changeKind < LAST_PRODUCT_CHANGE.atContractStart
			? dayOffset(start)
			: changeKind < LAST_PRODUCT_CHANGE.onEarlierDay
				? dayOffset(-r.int(1, tenureDays))
				: null;
	const firstActivation = r.bernoulli(MISSING_FIRST_ACTIVATION_SHARE)
		? null
		: dayOffset(-tenureDays);
	return {
		segment,
		powerKw,
		secondResidence,
		province,
		urban,
		channel,
		dualFuel,
		firstActivation,
		contractStart: dayOffset(start),
		lastProductChange,
		nextRenewal: dayOffset(renewalDays),
		tenureBucket,
		tenureDays,
		renewalDays,
	};
}

type ConsumptionPattern = Pick<PlannedCustomer, "elecKwh" | "gasM3"> &
	Pick<Latent, "decliningPct" | "volatile" | "levelZ">;

/** (1b) Monthly electricity and gas: segment level × season × the year's trend × noise. */
function drawConsumption(
	r: Rng,
	who: Pick<Lifecycle, "segment" | "powerKw" | "secondResidence" | "dualFuel">,
	drift: number,
): ConsumptionPattern {
	const { segment, powerKw, secondResidence, dualFuel } = who;
	const decliningPct = r.bernoulli(DECLINING.share)
		? r.uniform(...DECLINING.lossPct)
		: 0;
	const growth =
		decliningPct > 0
			? -decliningPct / 100
			: r.bernoulli(GROWING.share)
				? r.uniform(...GROWING.gain)
				: STABLE_TREND_SIGMA * r.normal();
	const volatile = r.bernoulli(VOLATILE_SHARE);
	const sigma = volatile
		? MONTHLY_NOISE_SIGMA.volatile
		: MONTHLY_NOISE_SIGMA.steady;
	const scaleByPower =
		segment === "Residential"
			? Math.sqrt(powerKw / RESIDENTIAL_REFERENCE_KW) *
				(secondResidence ? SECOND_RESIDENCE_USE : 1)
			: 1;
	const median =
		segment === "Corporate"
			? ELEC_MEDIAN.Corporate * powerKw
			: ELEC_MEDIAN[segment] * scaleByPower;
	const levelZ = r.normal();
	const base =
		median *
		Math.exp(ELEC_SIGMA[segment] * levelZ) *
		(1 + DRIFT_CONSUMPTION_UPLIFT * drift);
	const elecKwh = ELEC_SEASON[segment].map((s, m) => {
		// Linear over the year, centred on mid-year (months 0…11).
		const trend = Math.max(MIN_TREND_FACTOR, 1 + growth * ((m - 5.5) / 11));
		// Mean-one log-normal noise: exp(σz − σ²/2).
		return (
			base * s * trend * Math.exp(sigma * r.normal() - (sigma * sigma) / 2)
		);
	});
	const gasBase = dualFuel
		? GAS_MEAN[segment] *
			Math.exp(GAS_LEVEL_SIGMA * r.normal()) *
			(1 + DRIFT_CONSUMPTION_UPLIFT * drift)
		: 0;
	const gasKwhSeason = GAS_SEASON.reduce((a, b) => a + b, 0) / MONTHS;
	const gasM3 = GAS_SEASON.map((s) => (gasBase * s) / gasKwhSeason);
	return { elecKwh, gasM3, decliningPct, volatile, levelZ };
}

type PriceHistory = Pick<PlannedCustomer, "gasPrice"> &
	Pick<Latent, "priceChangePct" | "priceChangeMonth" | "overpricingPct"> & {
		/** Tier-1 price by month relative to the segment level (scaled by setSegmentPriceLevels). */
		tier1Relative: number[];
	};

/** (1c) Price history: one tier-1 step during the year for some customers; gas follows its own step. */
function drawPriceHistory(
	r: Rng,
	dualFuel: boolean,
	gasMeanCost: number,
	drift: number,
): PriceHistory {
	const step = r.next();
	const priceChangePct =
		step < PRICE_STEP.riseBelow
			? r.uniform(...PRICE_STEP.risePct)
			: step < PRICE_STEP.cutBelow
				? -r.uniform(...PRICE_STEP.cutPct)
				: 0;
	const priceChangeMonth = r.int(...PRICE_STEP.firstMonth);
	const overpricingPct = OVERPRICING_SIGMA_PCT * r.normal();
	const gasStep =
		dualFuel && r.bernoulli(GAS_STEP.share) ? r.uniform(...GAS_STEP.pct) : 0;
	const gasLevel =
		(GAS_MARKUP.mean + GAS_MARKUP.sigma * r.normal()) *
		(1 + DRIFT_PRICE_UPLIFT * drift);
	const levelFactor = 1 + overpricingPct / 100;
	const stepped = (m: number) => m + 1 >= priceChangeMonth;
	const tier1Relative = Array.from(
		{ length: MONTHS },
		(_, m) => levelFactor * (stepped(m) ? 1 + priceChangePct / 100 : 1),
	);
	// Gas tariffs follow the province's annual mean cost, not the month's.
	const gasPrice = Array.from({ length: MONTHS }, (_, m) =>
		dualFuel
			? round4(gasLevel * gasMeanCost * (stepped(m) ? 1 + gasStep / 100 : 1))
			: 0,
	);
	return {
		tier1Relative,
		gasPrice,
		priceChangePct,
		priceChangeMonth,
		overpricingPct,
	};
}

/**
 * (1d) The price level per segment, solved so that the segment's median
 * monthly margin lands on MEDIAN_MARGIN_TARGET; turns each customer's
 * relative tier-1 series into € tier prices (TIER_RATIO).
 */
function setSegmentPriceLevels(
	customers: PlannedCustomer[],
	costIndex: Map<string, ProvinceMonthCost>,
	drift: number,
): void {
	for (const segment of ["Residential", "SME", "Corporate"] as const) {
		const members = customers.filter((c) => c.segment === segment);
		const level =
			solvePriceLevel(members, costIndex, MEDIAN_MARGIN_TARGET[segment]) *
			(1 + DRIFT_PRICE_UPLIFT * drift);
		for (const c of members) {
			const rel = c.tier1;
			c.tier1 = rel.map((r) => round4(level * r * TIER_RATIO[0]));
			c.tier2 = rel.map((r) => round4(level * r * TIER_RATIO[1]));
			c.tier3 = rel.map((r) => round4(level * r * TIER_RATIO[2]));
		}
	}
}

/** Mean monthly gas cost of each province over the year (gas tariffs follow it). */
function meanGasCostByProvince(
	costs: readonly ProvinceMonthCost[],
): Map<string, number> {
	return new Map(
		PROVINCES.map((p) => [
			p.code,
			costs
				.filter((c) => c.province === p.code)
				.reduce((t, c) => t + c.gasVarCost, 0) / MONTHS,
		]),
	);
}

/**
 * The batch, in causal order: (1) each customer's circumstances (lifecycle,
 * consumption, prices; the price level per segment), (2) churn drawn from
 * churnLogit of those circumstances, (3) CRM notes consistent with both.
 * One random stream per part, so the parts stay independent of each other.
 */
export function planBatch(o: PlanOptions): Plan {
	const drift = o.drift ?? 0;
	const rLife = Rng.stream(o.seed, "lifecycle");
	const rUse = Rng.stream(o.seed, "consumption");
	const rPrice = Rng.stream(o.seed, "prices");
	const rChurn = Rng.stream(o.seed, "churn");
	const rNotes = Rng.stream(o.seed, "notes");
	const costs = provinceCosts(Rng.stream(o.seed, "costs"), drift);
	const costIndex = new Map(costs.map((c) => [`${c.province}|${c.month}`, c]));
	const meanGasCost = meanGasCostByProvince(costs);

	const customers: PlannedCustomer[] = [];
	const latents: Latent[] = [];
	for (let idx = 0; idx < o.customers; idx++) {
		const life = drawLifecycle(rLife, drift);
		const use = drawConsumption(rUse, life, drift);
		const price = drawPriceHistory(
			rPrice,
			life.dualFuel,
			meanGasCost.get(life.province.code) as number,
			drift,
		);
		const [feeRate, fixedRate] = FIXED_FEE_PER_KW[life.segment];
		latents.push({
			tenureBucket: life.tenureBucket,
			tenureDays: life.tenureDays,
			renewalDays: life.renewalDays,
			priceChangePct: price.priceChangePct,
			priceChangeMonth: price.priceChangeMonth,
			overpricingPct: price.overpricingPct,
			decliningPct: use.decliningPct,
			volatile: use.volatile,
			levelZ: use.levelZ,
		});
		customers.push({
			idx,
			id: customerId(idx, o.customers),
			segment: life.segment,
			powerKw: life.powerKw,
			secondResidence: life.secondResidence,
			province: life.province,
			urban: life.urban,
			channel: life.channel,
			dualFuel: life.dualFuel,
			firstActivation: life.firstActivation,
			contractStart: life.contractStart,
			lastProductChange: life.lastProductChange,
			nextRenewal: life.nextRenewal,
			elecKwh: use.elecKwh,
			gasM3: use.gasM3,
			tier1: price.tier1Relative, // relative until setSegmentPriceLevels
			tier2: [],
			tier3: [],
			gasPrice: price.gasPrice,
			elecFixedFee: round4(
				feeRate * life.powerKw * (1 + DRIFT_PRICE_UPLIFT * drift),
			),
			elecFixedCost: round4(fixedRate * life.powerKw),
			gasFixedRevenueYear: life.dualFuel ? GAS_FIXED_REVENUE_YEAR : 0,
			gasFixedCostYear: life.dualFuel ? GAS_FIXED_COST_YEAR : 0,
			churnProbability: 0,
			churn: 0,
			interactions: [],
		});
	}
	setSegmentPriceLevels(customers, costIndex, drift);

	// (2) churn from circumstances, (3) notes consistent with circumstances and outcome
	customers.forEach((c, i) => {
		const l = latents[i];
		const p = 1 / (1 + Math.exp(-churnLogit(c, l)));
		c.churnProbability = p;
		c.churn = rChurn.bernoulli(p) ? 1 : 0;
		c.interactions = drawInteractions(rNotes, c, l);
	});
	return { customers, costs };
}

export function churnLogit(
	c: Pick<
		PlannedCustomer,
		"channel" | "dualFuel" | "secondResidence" | "province"
	>,
	l: Latent,
): number {
	const k = CHURN_COEF;
	let z = k.intercept + k.tenure[l.tenureBucket];
	const nearRenewal = l.renewalDays <= 91;
	if (nearRenewal) {
		// A first renewal is when the welcome discount ends and the customer
		// compares for the first time: the renewal pull fades with tenure.
		const tenureMonths = l.tenureDays / 30.44;
		z +=
			k.renewalWithin3m +
			k.firstRenewal * Math.exp(-tenureMonths / k.firstRenewalTenureMonths);
	} else if (l.renewalDays <= 183) z += k.renewal3to6m;
	if (c.province.highCompetition) z += k.highCompetition;
	z += k.channel[c.channel as keyof typeof k.channel] ?? 0;
	if (c.dualFuel) z += k.dualFuel;
	if (c.secondResidence) z += k.secondResidence;
	// A small increase goes unnoticed on the bill; past a few percent it
	// triggers comparison shopping, and beyond ~12 % everyone who would react
	// already has (saturation). What is felt is the bill, so the same step
	// hurts big users more than small ones.
	if (l.priceChangePct > 0) {
		const noticed =
			1 /
			(1 +
				Math.exp(
					-(l.priceChangePct - k.priceIncreaseMidPct) / k.priceIncreaseWidthPct,
				));
		const billWeight =
			k.priceIncreaseSmallBill +
			(1 - k.priceIncreaseSmallBill) / (1 + Math.exp(-2 * l.levelZ));
		z += k.priceIncreaseMax * noticed * billWeight;
	}
	if (l.priceChangePct < 0) z += k.priceDecrease;
	// Paying over the going rate is tolerated until something makes the
	// customer look: a price increase or competitors canvassing the province.
	const overpriced = Math.max(0, l.overpricingPct - k.overpricingFreePct);
	const trigger = l.priceChangePct > 0 || c.province.highCompetition;
	z +=
		k.overpricingPerPct * overpriced * (trigger ? 1 : k.overpricingAloneShare);
	// Falling consumption (moving out, solar panels) turns into a switch when
	// the use is also erratic (a household in transition) or the contract is
	// up for renewal; a steady decline alone is mostly efficiency.
	const declineActs = l.volatile || l.renewalDays <= k.decliningRenewalDays;
	z +=
		(declineActs ? k.decliningPerPct : k.decliningAlonePerPct) * l.decliningPct;
	if (l.volatile) z += k.volatile;
	// Bills clearly above the segment's typical one draw competitors' offers;
	// the very largest users sit on tailored terms with an account manager,
	// the smallest have little to save — a bump, not a slope.
	z +=
		k.levelBump *
		Math.exp(
			-((l.levelZ - k.levelBumpCentre) ** 2) / (2 * k.levelBumpWidth ** 2),
		);
	return z;
}

function drawInteractions(
	r: Rng,
	c: PlannedCustomer,
	l: Latent,
): Interaction[] {
	const who = c.churn ? "churn" : "stay";
	if (!r.bernoulli(P_INTERACTION[who])) return [];
	const tone = (["negative", "neutral", "positive"] as const)[
		r.weighted(TONE_WEIGHTS[who])
	];
	const topic = drawTopic(r, tone, c.churn === 1, l);
	// Interactions precede renewal by months; the gap differs by tone.
	let daysAgo = 0;
	for (
		let attempt = 0;
		attempt < 6 && (daysAgo < 1 || daysAgo > 365);
		attempt++
	) {
		const gap = MEDIAN_DAYS_BEFORE_RENEWAL[tone] * Math.exp(0.45 * r.normal());
		daysAgo = Math.round(gap - l.renewalDays);
	}
	if (daysAgo < 1 || daysAgo > 365) daysAgo = r.int(1, 60);
	const out: Interaction[] = [];
	// Some customers called before; older routine contacts.
	const earlier = r.bernoulli(0.22) ? r.int(1, 2) : 0;
	let ago = daysAgo;
	for (let k = 0; k < earlier && ago < 360; k++) {
		ago = Math.min(366, ago + r.int(15, 150));
		const t = r.pick(["general", "account", "billing", "other"] as const);
		out.unshift({
			date: isoDate(new Date(AS_OF.getTime() - ago * DAY_MS)),
			channel: interactionChannel(r),
			summary: writeNote(r, r.bernoulli(0.5) ? "neutral" : "positive", t),
		});
	}
	out.push({
		date: isoDate(new Date(AS_OF.getTime() - daysAgo * DAY_MS)),
		channel: interactionChannel(r),
		summary: writeNote(r, tone, topic),
	});
	return out;
}

function interactionChannel(r: Rng): string {
	return INTERACTION_CHANNELS[r.weighted(INTERACTION_CHANNEL_WEIGHTS)];
}

function drawTopic(
	r: Rng,
	tone: NoteTone,
	churn: boolean,
	l: Latent,
): NoteTopic {
	const pick = (entries: [NoteTopic, number][]): NoteTopic =>
		entries[r.weighted(entries.map((e) => e[1]))][0];
	if (tone === "negative")
		return pick([
			["cancellation", 5],
			["complaint", 4],
			["billing", 1],
		]);
	if (tone === "positive")
		return pick([
			["renewal", 1],
			["account", 2],
			["pricing", 0.7],
			["plan", 1],
			["general", 2],
			["billing", 1],
			["complaint", 0.004],
			["cancellation", 0.004],
		]);
	if (churn)
		return pick([
			["pricing", 2 + (l.priceChangePct > 0 ? 4 : 0)],
			["renewal", 1 + (l.renewalDays <= 91 ? 3 : 0)],
			["billing", 1.5],
			["plan", 1],
			["account", 1],
			["general", 0.8],
			["other", 0.5],
		]);
	return pick([
		["billing", 2.5],
		["account", 2],
		["general", 2],
		["renewal", 1],
		["pricing", 1],
		["plan", 1],
		["other", 0.5],
	]);
}

/**
 * Bisection on the segment's tier-1 price level so the median of the monthly
 * total margin (docs/data-contract.md §3 formulas on the planned kWh, tier split from the
 * load shape) equals the target.
 */
function solvePriceLevel(
	members: PlannedCustomer[],
	costIndex: Map<string, ProvinceMonthCost>,
	target: number,
): number {
	if (members.length === 0) return 0.2;
	const shares = tierShares(members[0].segment);
	const tierMix = shares.map(
		(s) => s[0] * TIER_RATIO[0] + s[1] * TIER_RATIO[1] + s[2] * TIER_RATIO[2],
	);
	// margin(level) = a·level + b per customer-month; precompute a and b once.
	const n = members.length * MONTHS;
	const a = new Float64Array(n);
	const b = new Float64Array(n);
	let k = 0;
	for (const c of members) {
		for (let m = 0; m < MONTHS; m++, k++) {
			const cost = costIndex.get(
				`${c.province.code}|${monthKey(m)}`,
			) as ProvinceMonthCost;
			const kwh = c.elecKwh[m];
			a[k] = kwh * c.tier1[m] * tierMix[m];
			const elec =
				c.elecFixedFee -
				(kwh * (cost.elecVarCost + cost.peaje) + c.elecFixedCost);
			const gas =
				c.gasM3[m] * c.gasPrice[m] +
				c.gasFixedRevenueYear / 12 -
				(c.gasM3[m] * cost.gasVarCost + c.gasFixedCostYear / 12);
			b[k] = elec + gas;
		}
	}
	const margins = new Float64Array(n);
	const medianAt = (level: number): number => {
		for (let i = 0; i < n; i++) margins[i] = a[i] * level + b[i];
		return median(margins);
	};
	let lo = 0.01;
	let hi = 1;
	for (let i = 0; i < 32; i++) {
		const mid = (lo + hi) / 2;
		if (medianAt(mid) < target) lo = mid;
		else hi = mid;
	}
	return (lo + hi) / 2;
}

function provinceCosts(r: Rng, drift: number): ProvinceMonthCost[] {
	const out: ProvinceMonthCost[] = [];
	for (const p of PROVINCES) {
		const f = 1 + 0.05 * (2 * r.next() - 1);
		const peaje = PEAJE * (1 + 0.08 * (2 * r.next() - 1));
		for (let m = 0; m < MONTHS; m++) {
			out.push({
				month: monthKey(m),
				province: p.code,
				elecVarCost: round5(
					ELEC_COST[m] * f * (1 + 0.02 * r.normal()) * (1 + 0.2 * drift),
				),
				gasVarCost: round5(
					GAS_COST[m] * f * (1 + 0.02 * r.normal()) * (1 + 0.2 * drift),
				),
				peaje: round5(peaje),
			});
		}
	}
	return out;
}

/** Median by quickselect (O(n)); `values` is reordered in place. */
function median(values: Float64Array): number {
	const n = values.length;
	const hi = kth(values, n >> 1);
	if (n % 2) return hi;
	let lo = Number.NEGATIVE_INFINITY;
	for (let i = 0; i < n >> 1; i++) if (values[i] > lo) lo = values[i];
	return (lo + hi) / 2;
}

/** k-th smallest (0-based); afterwards values[0..k) ≤ values[k]. */
function kth(a: Float64Array, k: number): number {
	let l = 0;
	let r = a.length - 1;
	while (l < r) {
		const pivot = a[(l + r) >> 1];
		let i = l;
		let j = r;
		while (i <= j) {
			while (a[i] < pivot) i++;
			while (a[j] > pivot) j--;
			if (i <= j) {
				const t = a[i];
				a[i] = a[j];
				a[j] = t;
				i++;
				j--;
			}
		}
		if (k <= j) r = j;
		else if (k >= i) l = i;
		else return a[k];
	}
	return a[k];
}

export function monthKey(m: number): string {
	return `2024-${String(m + 1).padStart(2, "0")}`;
}

function dayOffset(days: number): string {
	return isoDate(new Date(AS_OF.getTime() + days * DAY_MS));
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;
const round5 = (x: number) => Math.round(x * 1e5) / 1e5;
