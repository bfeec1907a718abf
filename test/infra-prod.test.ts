/**
 * The prod stack (Pulumi.prod.yaml) under pulumi.runtime.setMocks: inventory,
 * secure buckets, least-privilege roles, the deployed state machine
 * definition, alarms, schedule, trigger, report site and build.
 */
import { describeStack } from "./support/infra-checks.ts";

describeStack("prod");

// A custom domain (TLS 1.2+ on its certificate), a stricter rate limit and a shorter raw retention.
describeStack("prod", {
	"spanishgas:report": JSON.stringify({
		domain: {
			name: "report.spanishgas.example",
			certificateArn:
				"arn:aws:acm:us-east-1:123456789012:certificate/0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7",
		},
		rateLimit: 100,
	}),
	"spanishgas:lake": JSON.stringify({ rawRetentionDays: 30 }),
});
