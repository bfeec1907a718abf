/**
 * CI/CD and the report image, statically: the workflows do what the deploy
 * guide and docs/security.md say (tests on push, preview on pull requests
 * with no secret, up on main through the GitHub environment of each stack,
 * AWS and Pulumi access only through OIDC, every action pinned by commit),
 * and the report build's Dockerfile copies files that exist and starts the
 * report task entry.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { stackConfig } from "./support/infra-harness.ts";

type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
type Job = {
	uses?: string;
	needs?: string | string[];
	with?: Record<string, unknown>;
	environment?: string;
	strategy?: { matrix?: { include?: Array<Record<string, string>> } };
	steps?: Step[];
};
type Workflow = {
	on: Record<string, unknown>;
	permissions?: Record<string, string>;
	jobs: Record<string, Job>;
};
const text = (name: string) =>
	readFileSync(`.github/workflows/${name}.yml`, "utf8");
const workflow = (name: string) => parse(text(name)) as Workflow;
const steps = (w: Workflow) =>
	Object.values(w.jobs).flatMap((j) => j.steps ?? []);
const step = (w: Workflow, action: string) =>
	steps(w).find((s) => s.uses?.split("@")[0] === action);
const expr = (e: string) => ["$", `{{ ${e} }}`].join("");

/**
 * The actions the workflows may use, pinned to the commit of a release tag.
 * Each SHA is the commit the tag points to in the action's own repository
 * (read from the repository's tags, `git rev-parse <tag>^{commit}`); a new
 * or bumped action must be added here, with its tag, on purpose.
 */
const PINNED: Record<string, { sha: string; tag: string }> = {
	"actions/checkout": {
		sha: "11d5960a326750d5838078e36cf38b85af677262",
		tag: "v4.4.0",
	},
	"actions/setup-node": {
		sha: "49933ea5288caeca8642d1e84afbd3f7d6820020",
		tag: "v4.4.0",
	},
	"aws-actions/configure-aws-credentials": {
		sha: "7474bc4690e29a8392af63c5b98e7449536d5c3a",
		tag: "v4.3.1",
	},
	"docker/setup-buildx-action": {
		sha: "8d2750c68a42422c14e847fe6c8ac0403b4cbd6f",
		tag: "v3.12.0",
	},
	"pulumi/auth-actions": {
		sha: "141415910c3beb54e03b48e9057c204c97b956f2",
		tag: "v2.1.0",
	},
	"pulumi/actions": {
		sha: "8582a9e8cc630786854029b4e09281acd6794b58",
		tag: "v6.6.1",
	},
};

const ALL = readdirSync(".github/workflows")
	.filter((f) => f.endsWith(".yml"))
	.map((f) => f.replace(/\.yml$/, ""));

describe("GitHub workflows", () => {
	it("pin every action by a full commit SHA from the reviewed list, tag named in a comment", () => {
		let count = 0;
		for (const name of ALL)
			for (const line of text(name).split("\n")) {
				const m = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
				if (!m || m[1].startsWith("./")) continue;
				count++;
				const [action, ref] = m[1].split("@");
				expect(ref, `${name}: ${m[1]}`).toMatch(/^[0-9a-f]{40}$/);
				expect(
					PINNED[action],
					`${name}: ${action} is not a reviewed action`,
				).toBeDefined();
				expect(ref, `${name}: ${action}`).toBe(PINNED[action].sha);
				expect(m[2].trim(), `${name}: ${action}`).toBe(
					`# ${PINNED[action].tag}`,
				);
			}
		expect(count).toBeGreaterThan(10);
	});

	it("never persist the checkout's token and never store AWS keys", () => {
		for (const name of ALL) {
			expect(text(name)).not.toMatch(/AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/);
			for (const s of steps(workflow(name)).filter((s) =>
				s.uses?.startsWith("actions/checkout@"),
			))
				expect(s.with?.["persist-credentials"], name).toBe(false);
		}
	});

	it("test.yml installs from the lock files and runs the test suite on every push, with no secrets", () => {
		const w = workflow("test");
		expect(Object.keys(w.on)).toEqual(
			expect.arrayContaining(["push", "pull_request", "workflow_call"]),
		);
		const runs = steps(w).map((s) => s.run ?? "");
		expect(runs.some((r) => /^npm ci\b/.test(r))).toBe(true);
		expect(runs).toContain("npm test");
		expect(w.permissions).toEqual({ contents: "read" });
		expect(text("test")).not.toMatch(/secrets\./);
	});

	it("preview.yml previews both stacks on pull requests through the metadata-only role and OIDC, with no secret at all", () => {
		const w = workflow("preview");
		expect(Object.keys(w.on)).toEqual(["pull_request"]);
		// Nothing a pull request's code could read: no secrets context, no stored token.
		expect(text("preview")).not.toMatch(/secrets\.|PULUMI_ACCESS_TOKEN/);
		expect(w.permissions?.["id-token"]).toBe("write");
		const job = Object.values(w.jobs)[0];
		expect(job.environment).toBeUndefined(); // the preview role trusts pull_request tokens only
		expect(job.strategy?.matrix?.include).toEqual([
			{ stack: "dev", role: "AWS_PREVIEW_ROLE_ARN_DEV" },
			{ stack: "prod", role: "AWS_PREVIEW_ROLE_ARN_PROD" },
		]);
		expect(
			step(w, "aws-actions/configure-aws-credentials")?.with?.[
				"role-to-assume"
			],
		).toBe(expr("vars[matrix.role]"));
		expect(step(w, "pulumi/auth-actions")?.with).toMatchObject({
			organization: expr("vars.PULUMI_ORG"),
			"requested-token-type": "urn:pulumi:token-type:access_token:team",
			scope: `team:${expr("vars.PULUMI_PREVIEW_TEAM")}`,
		});
		const pulumi = step(w, "pulumi/actions");
		expect(pulumi?.with?.command).toBe("preview");
		expect(String(pulumi?.with?.["stack-name"])).toMatch(
			/spanishgas\/\$\{\{ matrix.stack \}\}$/,
		);
		// OIDC and Pulumi before the preview.
		const order = steps(w).map((s) => s.uses?.split("@")[0]);
		expect(order.indexOf("pulumi/auth-actions")).toBeLessThan(
			order.indexOf("pulumi/actions"),
		);
	});

	it("deploy.yml runs the tests, then dev, then prod, each stack as a job of its GitHub environment — the one its deploy role trusts", () => {
		const deploy = workflow("deploy");
		expect(deploy.on).toMatchObject({ push: { branches: ["main"] } });
		expect(deploy.jobs.test.uses).toBe("./.github/workflows/test.yml");
		expect(deploy.jobs.dev).toMatchObject({
			needs: "test",
			uses: "./.github/workflows/pulumi-up.yml",
			with: { stack: "dev" },
		});
		expect(deploy.jobs.prod).toMatchObject({
			needs: "dev",
			uses: "./.github/workflows/pulumi-up.yml",
			with: { stack: "prod" },
		});
		const up = workflow("pulumi-up");
		expect(Object.keys(up.on)).toEqual(["workflow_call"]);
		expect(up.permissions?.["id-token"]).toBe("write");
		const job = up.jobs.up;
		// The environment is the stack: prod's approval rule gates prod, and prod's token is prod's alone.
		expect(job.environment).toBe(expr("inputs.stack"));
		const prodGithub = JSON.parse(stackConfig("prod")["spanishgas:github"]);
		expect(prodGithub.environment ?? "prod").toBe("prod");
		for (const name of ["deploy", "pulumi-up"])
			expect(text(name)).not.toMatch(/secrets\.|PULUMI_ACCESS_TOKEN/);
		expect(
			step(up, "aws-actions/configure-aws-credentials")?.with?.[
				"role-to-assume"
			],
		).toBe(expr("vars.AWS_DEPLOY_ROLE_ARN"));
		expect(step(up, "pulumi/auth-actions")?.with?.scope).toBe(
			`team:${expr("vars.PULUMI_DEPLOY_TEAM")}`,
		);
		const pulumi = step(up, "pulumi/actions");
		expect(pulumi?.with?.command).toBe("up");
		expect(String(pulumi?.with?.["stack-name"])).toMatch(
			/spanishgas\/\$\{\{ inputs.stack \}\}$/,
		);
	});
});

describe("report build image", () => {
	const dockerfile = readFileSync("components/report-build/Dockerfile", "utf8");

	it("copies only files that exist in the build context", () => {
		const sources = [...dockerfile.matchAll(/^COPY\s+(.+)\s+\S+$/gm)].flatMap(
			(m) => m[1].split(/\s+/),
		);
		expect(sources.length).toBeGreaterThan(3);
		for (const s of sources) expect(existsSync(s), s).toBe(true);
	});

	it("runs the report task entry on Node 22 and installs from the lock files", () => {
		expect(dockerfile).toMatch(/^FROM node:22/m);
		const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
		const args = JSON.parse(cmd ?? "[]") as string[];
		expect(args.slice(0, 3)).toEqual(["node", "--import", "tsx"]);
		expect(existsSync(args[3])).toBe(true);
		expect(dockerfile).toMatch(/npm ci/);
		expect(dockerfile).toMatch(/^USER node$/m);
	});
});
