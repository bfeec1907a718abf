import {
	mkdtempSync,
	readdirSync,
	readFileSync,
	statSync,
	writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

function tsFiles(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const p = join(dir, name);
		if (statSync(p).isDirectory()) return tsFiles(p);
		return p.endsWith(".ts") && !p.endsWith(".d.ts") ? [p] : [];
	});
}

/** Relative imports of a file, type-only and re-exports included (a cycle of types is still a tangle). */
function importsOf(file: string): string[] {
	const src = readFileSync(file, "utf8");
	const specs = [
		...src.matchAll(/\bfrom\s+"(\.{1,2}\/[^"]+)"/g),
		...src.matchAll(/\bimport\(\s*"(\.{1,2}\/[^"]+)"\s*\)/g),
	].map((m) => m[1]);
	return specs.map((s) => resolve(dirname(file), s));
}

/** Every import cycle among `files` (each as a path list), by depth-first search. */
function importCycles(files: string[]): string[][] {
	const inSet = new Set(files);
	const graph = new Map(
		files.map((f) => [f, importsOf(f).filter((t) => inSet.has(t))]),
	);
	const cycles: string[][] = [];
	const state = new Map<string, "open" | "done">();
	const stack: string[] = [];
	const visit = (f: string) => {
		state.set(f, "open");
		stack.push(f);
		for (const t of graph.get(f) ?? []) {
			if (state.get(t) === "open")
				cycles.push([...stack.slice(stack.indexOf(t)), t]);
			else if (!state.has(t)) visit(t);
		}
		stack.pop();
		state.set(f, "done");
	};
	for (const f of files) if (!state.has(f)) visit(f);
	return cycles.map((c) => c.map((f) => relative(ROOT, f)));
}

describe("import cycles", () => {
	it("the detector finds a hand-made cycle, type-only imports included", () => {
		const dir = mkdtempSync(join(tmpdir(), "cycles-"));
		writeFileSync(join(dir, "a.ts"), 'import { b } from "./b.ts";\n');
		writeFileSync(join(dir, "b.ts"), 'import type { C } from "./c.ts";\n');
		writeFileSync(join(dir, "c.ts"), 'export { a } from "./a.ts";\n');
		writeFileSync(join(dir, "d.ts"), 'import { a } from "./a.ts";\n');
		const cycles = importCycles(tsFiles(dir)).map((c) =>
			c.map((f) => f.split("/").at(-1)),
		);
		expect(cycles).toEqual([["a.ts", "b.ts", "c.ts", "a.ts"]]);
	});

	it("runtime/model has none (learners: index → parallel, random-forest → parallel, worker entry → worker-tasks → learners)", () => {
		expect(importCycles(tsFiles(join(ROOT, "runtime/model")))).toEqual([]);
	});
});
