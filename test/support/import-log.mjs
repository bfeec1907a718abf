// Registers a module-resolution hook that appends every resolved URL to the
// file named by IMPORT_LOG (test/stage-modules.test.ts: what the Pulumi
// program loads when it imports components/).
import { register } from "node:module";

register(new URL("./import-log-hooks.mjs", import.meta.url), {
	data: { log: process.env.IMPORT_LOG },
});
