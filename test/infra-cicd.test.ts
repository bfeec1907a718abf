/**
 * CI/CD and the report image, statically: the three workflows do what the
 * deploy guide says (tests on push, preview on pull requests, up on main,
 * AWS access only through the OIDC roles), and the report build's
 * Dockerfile copies files that exist and starts the report task entry.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

type Workflow = {
	on: Record<string, unknown>;
	permissions?: Record<string, string>;
	jobs: Record<
		string,
		{
			uses?: string;
			needs?: string | string[];
			strategy?: { matrix?: { include?: Array<Record<string, string>> } };
			steps?: Array<{
				uses?: string;
				run?: string;
				with?: Record<string, unknown>;
			}>;
		}
	>;
};
const workflow = (name: string) =>
	parse(readFileSync(`.github/workflows/${name}.yml`, "utf8")) as Workflow;
const steps = (w: Workflow) =>
	Object.values(w.jobs).flatMap((j) => j.steps ?? []);

describe("GitHub workflows", () => {
	it("test.yml installs from the lock files and runs the test suite on every push", () => {
		const w = workflow("test");
		expect(Object.keys(w.on)).toEqual(
			expect.arrayContaining(["push", "pull_request", "workflow_call"]),
		);
		const runs = steps(w).map((s) => s.run ?? "");
		expect(runs.some((r) => /^npm ci\b/.test(r))).toBe(true);
		expect(runs).toContain("npm test");
		expect(w.permissions).toEqual({ contents: "read" });
	});

	for (const [name, command, role] of [
		["preview", "preview", "AWS_PREVIEW_ROLE_ARN"],
		["deploy", "up", "AWS_DEPLOY_ROLE_ARN"],
	] as const)
		it(`${name}.yml runs pulumi ${command} on both stacks through the OIDC role, without stored AWS keys`, () => {
			const w = workflow(name);
			expect(w.permissions?.["id-token"]).toBe("write");
			const text = readFileSync(`.github/workflows/${name}.yml`, "utf8");
			expect(text).not.toMatch(/AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/);
			const job = Object.values(w.jobs).find((j) => j.strategy);
			expect(job?.strategy?.matrix?.include).toEqual([
				{ stack: "dev", role: `${role}_DEV` },
				{ stack: "prod", role: `${role}_PROD` },
			]);
			const creds = steps(w).find((s) =>
				s.uses?.startsWith("aws-actions/configure-aws-credentials"),
			);
			// A GitHub expression, not a template string.
			expect(creds?.with?.["role-to-assume"]).toBe(
				["$", "{{ vars[matrix.role] }}"].join(""),
			);
			const pulumi = steps(w).find((s) => s.uses?.startsWith("pulumi/actions"));
			expect(pulumi?.with?.command).toBe(command);
			expect(String(pulumi?.with?.["stack-name"])).toMatch(
				/spanishgas\/\$\{\{ matrix.stack \}\}$/,
			);
		});

	it("preview runs on pull requests and deploy on pushes to main, after the tests", () => {
		expect(workflow("preview").on).toHaveProperty("pull_request");
		const deploy = workflow("deploy");
		expect(deploy.on).toMatchObject({ push: { branches: ["main"] } });
		expect(deploy.jobs.test.uses).toBe("./.github/workflows/test.yml");
		expect(deploy.jobs.up.needs).toBe("test");
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
