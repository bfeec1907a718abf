/**
 * Spanish provinces (INE code, autonomous community, relative population) and
 * the ones treated as high-competition markets. The three largest urban markets
 * hold ≈ 32 % of customers, matching the competition split of docs/data-contract.md §8.
 */

export interface Province {
	code: string;
	region: string;
	weight: number;
	highCompetition: boolean;
}

const RAW: readonly [string, string, number][] = [
	["01", "País Vasco", 3.3],
	["02", "Castilla-La Mancha", 3.9],
	["03", "Comunitat Valenciana", 19.0],
	["04", "Andalucía", 7.3],
	["05", "Castilla y León", 1.6],
	["06", "Extremadura", 6.7],
	["07", "Illes Balears", 11.8],
	["08", "Cataluña", 57.1],
	["09", "Castilla y León", 3.6],
	["10", "Extremadura", 3.9],
	["11", "Andalucía", 12.5],
	["12", "Comunitat Valenciana", 5.9],
	["13", "Castilla-La Mancha", 4.9],
	["14", "Andalucía", 7.8],
	["15", "Galicia", 11.2],
	["16", "Castilla-La Mancha", 2.0],
	["17", "Cataluña", 7.9],
	["18", "Andalucía", 9.2],
	["19", "Castilla-La Mancha", 2.7],
	["20", "País Vasco", 7.2],
	["21", "Andalucía", 5.3],
	["22", "Aragón", 2.2],
	["23", "Andalucía", 6.3],
	["24", "Castilla y León", 4.5],
	["25", "Cataluña", 4.4],
	["26", "La Rioja", 3.2],
	["27", "Galicia", 3.3],
	["28", "Comunidad de Madrid", 68.7],
	["29", "Andalucía", 17.2],
	["30", "Región de Murcia", 15.3],
	["31", "Comunidad Foral de Navarra", 6.6],
	["32", "Galicia", 3.1],
	["33", "Principado de Asturias", 10.1],
	["34", "Castilla y León", 1.6],
	["35", "Canarias", 11.3],
	["36", "Galicia", 9.4],
	["37", "Castilla y León", 3.3],
	["38", "Canarias", 10.4],
	["39", "Cantabria", 5.8],
	["40", "Castilla y León", 1.5],
	["41", "Andalucía", 19.5],
	["42", "Castilla y León", 0.9],
	["43", "Cataluña", 8.2],
	["44", "Aragón", 1.3],
	["45", "Castilla-La Mancha", 7.1],
	["46", "Comunitat Valenciana", 26.0],
	["47", "Castilla y León", 5.2],
	["48", "País Vasco", 11.5],
	["49", "Castilla y León", 1.7],
	["50", "Aragón", 9.7],
	["51", "Ceuta", 0.8],
	["52", "Melilla", 0.9],
];

const HIGH_COMPETITION = new Set(["08", "28", "46"]);

export const PROVINCES: readonly Province[] = RAW.map(
	([code, region, weight]) => ({
		code,
		region,
		weight,
		highCompetition: HIGH_COMPETITION.has(code),
	}),
);
