/**
 * Where a run's report site is made live (MarkSucceeded; MarkFailed
 * switching back): the site bucket in AWS, live at its root (what
 * CloudFront serves); the lake folder locally, live at <data>/reports/site/.
 * A deployed function without SITE_BUCKET has no site to switch.
 */
import {
	DEFAULT_SITE_PREFIX,
	type LiveSwitch,
	switchLiveSite,
} from "../../report/publish.ts";
import type { Platform } from "../platform.ts";

export async function switchSite(
	p: Platform,
	runId: string,
): Promise<LiveSwitch | undefined> {
	if (p.siteStore) return switchLiveSite(p.siteStore, runId, "");
	if (p.store.localPath)
		return switchLiveSite(p.store, runId, DEFAULT_SITE_PREFIX);
	return undefined;
}
