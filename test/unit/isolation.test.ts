import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { STUBBING, STUBS } from "../isolation";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const testFiles = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith(".test.ts") ? [path] : [];
  });

it("runs every file that stubs modules, globals or the environment in a module graph of its own", () => {
  const shared = ["test/unit", "test/infra", "test/integration"]
    .flatMap(testFiles)
    .filter((file) => !STUBBING.includes(file));
  const stubbing = shared.filter((file) => {
    const source = readFileSync(join(ROOT, file), "utf8");
    return STUBS.some((pattern) => pattern.test(source));
  });
  // Each belongs in STUBBING (test/isolation.ts).
  expect(stubbing).toEqual([]);
  expect(shared.length).toBeGreaterThan(50);
});

it("names only files that exist and still stub something", () => {
  for (const file of STUBBING) {
    expect(existsSync(join(ROOT, file)), file).toBe(true);
    const source = readFileSync(join(ROOT, file), "utf8");
    expect(
      STUBS.some((pattern) => pattern.test(source)),
      relative(ROOT, join(ROOT, file)),
    ).toBe(true);
  }
});
