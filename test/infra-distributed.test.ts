/**
 * The prod stack switched to a Distributed Map for a large shard count
 * (mapMode DISTRIBUTED): the same checks, plus the state machine's extra
 * permissions (start its own child executions, read the shard list, write
 * the Map's results) and nothing more.
 */
import { describeStack } from "./support/infra-checks.ts";

describeStack("prod", {
	"spanishgas:mapMode": "DISTRIBUTED",
	"spanishgas:maxConcurrency": "200",
	"spanishgas:shardCount": "3000",
});
