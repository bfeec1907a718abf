/**
 * V8 flags every stage process runs with: the Lambda functions
 * (NODE_OPTIONS), the stage containers, the local CLI (package.json scripts)
 * and the bench's stage processes. A 64 MB semi-space (default 16 MB) keeps
 * the short-lived cells of a million-row raw table in the young generation:
 * ValidateRaw at 100 k customers spent a quarter of its time in garbage
 * collection and took half as long with it (docs/performance.md, "Garbage
 * collection").
 */
export const STAGE_NODE_OPTIONS = "--max-semi-space-size=64";
