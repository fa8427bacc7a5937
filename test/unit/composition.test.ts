import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)],
  );
const sources = files(join(ROOT, "functions"))
  .filter((f) => f.endsWith(".ts"))
  .map((f) => ({ path: relative(ROOT, f), text: readFileSync(f, "utf8") }));

describe("one composition root per function", () => {
  it("reads process.env only in the config loaders", () => {
    const readers = sources.filter((s) => s.text.includes("process.env")).map((s) => s.path);
    expect(readers.length).toBeGreaterThan(0);
    expect(readers.filter((path) => !path.startsWith("functions/config/"))).toEqual([]);
  });

  it("never guesses where it runs from the Lambda environment", () => {
    const sniffers = sources.filter((s) => s.text.includes("AWS_LAMBDA_FUNCTION_NAME"));
    expect(sniffers.map((s) => s.path)).toEqual([]);
  });

  it("gives every entry a factory and a default handler", () => {
    for (const entry of sources.filter((s) => s.path.startsWith("functions/handlers/"))) {
      expect(entry.text, entry.path).toMatch(/export (function|const) create\w+Handler/);
      expect(entry.text, entry.path).toMatch(/export const handler = builtOnce\(/);
    }
  });
});
