/** Run ids: UTC start time (sortable) + batch id, e.g. 20261126T042748123Z_default-20099-s42. */
export function newRunId(batchId: string, now = new Date()): string {
	return `${now
		.toISOString()
		.replace(/[-:]/g, "")
		.replace(/\.(\d+)Z$/, "$1Z")}_${batchId}`;
}
