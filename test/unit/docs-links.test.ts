import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The README and every page under docs/ are read as a user reads them: each relative link must
 * open a file that exists (and, with a #fragment, land on a heading of that file), and each
 * `npm run <script>` they tell the user to type must be a script of package.json.
 */
const root = resolve(import.meta.dirname, "../..");

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith(".md") ? [path] : [];
  });
}

const docs = [join(root, "README.md"), ...markdownFiles(join(root, "docs"))];

/** The text outside fenced code blocks (links in code are not links). */
function prose(text: string): string {
  let fenced = false;
  return text
    .split("\n")
    .map((line) => {
      if (line.trimStart().startsWith("```")) {
        fenced = !fenced;
        return "";
      }
      return fenced ? "" : line;
    })
    .join("\n");
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of prose(text).split("\n")) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading?.[1]) continue;
    const base = heading[1]
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

function relativeLinks(text: string): string[] {
  const withoutInlineCode = prose(text).replace(/`[^`\n]*`/g, "");
  return [...withoutInlineCode.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((m) => m[1] ?? "")
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

const scripts = Object.keys(
  (
    JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    }
  ).scripts,
);

describe("the documentation", () => {
  it("computes GitHub's anchors", () => {
    expect([
      ...anchors(
        "# Tools\n## `npm run dlq`: dead letters you can see\n```\n# not a heading\n```\n## Tools\n### A, b & c.",
      ),
    ]).toEqual(["tools", "npm-run-dlq-dead-letters-you-can-see", "tools-1", "a-b--c"]);
  });

  it.each(docs.map((file) => [relative(root, file), file]))(
    "%s: every relative link opens a file and an anchor that exist",
    (_, file) => {
      const text = readFileSync(file, "utf8");
      const broken: string[] = [];
      for (const link of relativeLinks(text)) {
        const [path = "", fragment] = link.split("#", 2);
        const target = path === "" ? file : resolve(dirname(file), decodeURIComponent(path));
        if (!existsSync(target)) {
          broken.push(`${link}: no such file`);
        } else if (fragment !== undefined && target.endsWith(".md")) {
          if (!anchors(readFileSync(target, "utf8")).has(fragment)) {
            broken.push(`${link}: no heading #${fragment} in ${relative(root, target)}`);
          }
        }
      }
      expect(broken).toEqual([]);
    },
  );

  it.each(docs.map((file) => [relative(root, file), file]))(
    "%s: every `npm run` command it names is a script of package.json",
    (_, file) => {
      const named = [...readFileSync(file, "utf8").matchAll(/npm run ([a-z][\w:.-]*[\w])/g)].map(
        (m) => m[1] ?? "",
      );
      expect(named.filter((name) => !scripts.includes(name))).toEqual([]);
    },
  );

  it("checks a README that names commands and links pages", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    expect(relativeLinks(readme).length).toBeGreaterThan(5);
    expect(readme).toMatch(/npm run [a-z]/);
  });
});
