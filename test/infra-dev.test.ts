/**
 * The dev stack (Pulumi.dev.yaml) under pulumi.runtime.setMocks: inventory,
 * secure buckets, least-privilege roles, the deployed state machine
 * definition, alarms, schedule, trigger, report site and build.
 */
import { describeStack } from "./support/infra-checks.ts";

describeStack("dev");
