/**
 * Locating and validating the hourly consumption input without reading its
 * rows: the Parquet schema and row-group sizes come from the file footer, a
 * CSV's columns from its header line. The resulting `ConsumptionSource` is
 * plain JSON, so it can be handed to shard workers (Map iterations, Lambdas).
 */
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import { RawContractError } from "../../errors.ts";
import { sqlList, sqlString, withDuckDB } from "./duckdb.ts";
import { CONSUMPTION_COLUMNS } from "./schemas.ts";

export type ConsumptionFormat = "parquet" | "csv";

export interface ConsumptionFile {
	path: string;
	/** Parquet only: rows of each row group, in file order. */
	rowGroups?: number[];
	/** Parquet only: total rows (from the footer). */
	rows?: number;
}

export interface ConsumptionSource {
	format: ConsumptionFormat;
	layout: "file" | "parts";
	files: ConsumptionFile[];
}

export const CONSUMPTION_BASENAME = "consumption_hourly_2024";

async function exists(path: string): Promise<"file" | "dir" | undefined> {
	try {
		const s = await stat(path);
		return s.isDirectory() ? "dir" : "file";
	} catch {
		return undefined;
	}
}

/** Find the consumption input in a batch folder and check its schema. */
export async function locateConsumption(
	batchDir: string,
): Promise<ConsumptionSource> {
	const base = join(batchDir, CONSUMPTION_BASENAME);
	if ((await exists(base)) === "dir") {
		const parts = (await readdir(base))
			.filter((f) => f.endsWith(".parquet"))
			.sort();
		if (parts.length === 0)
			throw new RawContractError(
				{ file: base },
				"empty file: folder holds no .parquet parts",
			);
		return validateParquet(
			"parts",
			parts.map((p) => join(base, p)),
		);
	}
	for (const ext of [".parquet", ".csv", ".csv.gz"]) {
		if ((await exists(base + ext)) !== "file") continue;
		if (ext === ".parquet") return validateParquet("file", [base + ext]);
		await validateCsvHeader(base + ext);
		return { format: "csv", layout: "file", files: [{ path: base + ext }] };
	}
	throw new RawContractError(
		{ file: `${base}.parquet` },
		`missing file (looked for ${CONSUMPTION_BASENAME}.parquet, .csv, .csv.gz and folder ${CONSUMPTION_BASENAME}/)`,
	);
}

function typeAccepted(
	column: keyof typeof CONSUMPTION_COLUMNS,
	type: string,
): boolean {
	return (CONSUMPTION_COLUMNS[column] as readonly string[]).some(
		(t) => type === t || type.startsWith(`${t}(`),
	);
}

/**
 * Schema and row groups of every Parquet piece, in three queries whatever the
 * number of parts (one per part cost 130 ms for 100 parts): the footers' schemas
 * are grouped by signature and each distinct signature is typed once by
 * DuckDB (DESCRIBE on one of its files).
 */
async function validateParquet(
	layout: "file" | "parts",
	paths: string[],
): Promise<ConsumptionSource> {
	return withDuckDB({ threads: 1, memoryLimit: "256MB" }, async (con) => {
		const unreadable = async <T>(path: string, read: () => Promise<T>) => {
			try {
				return await read();
			} catch (e) {
				throw new RawContractError(
					{ file: path },
					`unreadable Parquet file: ${(e as Error).message.split("\n")[0]}`,
				);
			}
		};
		// The footers of all parts at once; an unreadable one is then found file by file.
		const all = sqlList(paths);
		const footers = await con
			.runAndReadAll(
				`SELECT file_name, string_agg(name || ':' || coalesce(type, '') || ':' || coalesce(converted_type, '') || ':' || coalesce(logical_type, ''), '|') AS signature
				FROM parquet_schema(${all}) GROUP BY file_name`,
			)
			.catch(async (e) => {
				for (const path of paths)
					await unreadable(path, () =>
						con.run(`SELECT 1 FROM parquet_schema(${sqlString(path)})`),
					);
				throw e;
			});
		const f = footers.getColumnsObjectJS();
		const signatureOf = new Map(
			(f.file_name as string[]).map((name, i) => [
				name,
				String(f.signature[i]),
			]),
		);
		const groups = await con.runAndReadAll(
			`SELECT file_name, row_group_id, any_value(row_group_num_rows)::DOUBLE AS n
			FROM parquet_metadata(${all}) GROUP BY ALL ORDER BY file_name, row_group_id`,
		);
		const g = groups.getColumnsObjectJS();
		const rowGroupsOf = new Map<string, number[]>();
		(g.file_name as string[]).forEach((name, i) => {
			const list = rowGroupsOf.get(name) ?? [];
			list.push(Number(g.n[i]));
			rowGroupsOf.set(name, list);
		});
		const schemaOf = new Map<string, Record<string, string>>();
		const files: ConsumptionFile[] = [];
		for (const path of paths) {
			const signature = signatureOf.get(path) ?? "";
			let schema = schemaOf.get(signature);
			if (!schema) {
				const d = (
					await unreadable(path, () =>
						con.runAndReadAll(
							`DESCRIBE SELECT * FROM read_parquet(${sqlString(path)})`,
						),
					)
				).getColumnsObjectJS();
				schema = Object.fromEntries(
					(d.column_name as string[]).map((n, i) => [
						n,
						String(d.column_type[i]),
					]),
				);
				schemaOf.set(signature, schema);
			}
			for (const column of Object.keys(
				CONSUMPTION_COLUMNS,
			) as (keyof typeof CONSUMPTION_COLUMNS)[]) {
				const type = schema[column];
				if (type === undefined)
					throw new RawContractError(
						{ file: path, column },
						"missing required column",
					);
				if (!typeAccepted(column, type))
					throw new RawContractError(
						{ file: path, column },
						`wrong type ${type}, expected one of ${CONSUMPTION_COLUMNS[column].join(", ")}`,
					);
			}
			const rowGroups = rowGroupsOf.get(path) ?? [];
			const rows = rowGroups.reduce((a, b) => a + b, 0);
			if (rows === 0)
				throw new RawContractError({ file: path }, "empty file: no rows");
			files.push({ path, rowGroups, rows });
		}
		return { format: "parquet", layout, files };
	});
}

async function validateCsvHeader(path: string): Promise<void> {
	const input = createReadStream(path);
	const stream = path.endsWith(".gz") ? input.pipe(createGunzip()) : input;
	const lines = createInterface({
		input: stream,
		crlfDelay: Number.POSITIVE_INFINITY,
	});
	let header: string | undefined;
	let hasData = false;
	try {
		for await (const line of lines) {
			if (line.trim() === "") continue;
			if (header === undefined) header = line;
			else {
				hasData = true;
				break;
			}
		}
	} catch (e) {
		throw new RawContractError(
			{ file: path },
			`unreadable file: ${(e as Error).message}`,
		);
	} finally {
		lines.close();
		stream.destroy();
		input.destroy();
	}
	if (header === undefined)
		throw new RawContractError({ file: path }, "empty file");
	const columns = header
		.replace(/^\uFEFF/, "")
		.split(",")
		.map((c) => c.trim().replace(/^"(.*)"$/, "$1"));
	for (const column of Object.keys(CONSUMPTION_COLUMNS))
		if (!columns.includes(column))
			throw new RawContractError(
				{ file: path, column },
				"missing required column",
			);
	if (!hasData)
		throw new RawContractError(
			{ file: path },
			"empty file: header but no data rows",
		);
}
