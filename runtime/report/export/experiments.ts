/** `experiments`: the ladder of this run, else of the newest earlier run that has one. */
import { lakeKeys } from "../../io/lake.ts";
import type { RunRecord } from "../../io/manifest.ts";
import type { ObjectStore } from "../../io/object-store.ts";
import type { ReportRow } from "../contract.ts";
import { num, type Obj, tryTable } from "./values.ts";

export async function ladderTables(
	store: ObjectStore,
	runId: string,
	records: readonly RunRecord[],
): Promise<{
	experiments: ReportRow<"experiments">[];
	ladderRun: string | null;
}> {
	const candidates = [
		runId,
		...records
			.map((r) => r.runId)
			.filter((id) => id !== runId)
			.reverse(),
	];
	for (const id of candidates) {
		const t = await tryTable(
			store,
			lakeKeys.table(id, "models", "experiments"),
		);
		if (!t) continue;
		return {
			ladderRun: id,
			experiments: (t.objects() as Obj[]).map((e) => ({
				experiment: String(e.experiment),
				algorithm: String(e.algorithm),
				n_features: num(e.n_features),
				pr_auc: num(e.pr_auc),
				roc_auc: num(e.roc_auc),
				precision: num(e.precision),
				recall: num(e.recall),
				f1: num(e.f1),
				seconds: num(e.seconds),
				source_run_id: id,
			})),
		};
	}
	return { experiments: [], ladderRun: null };
}
