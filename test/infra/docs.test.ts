import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ROUTES } from "../../functions/routes";
import { pascal } from "../../infra/names";

const doc = readFileSync(new URL("../../docs/deploy.md", import.meta.url), "utf8");

describe("docs/deploy.md", () => {
  it.each(ROUTES.map((r) => [r.name, r] as const))("tells where the %s URL goes", (_, route) => {
    const row = `| \`${pascal(route.name)}Url\` | \`${route.method} ${route.path}\` | ${route.kind} | ${route.dashboard} |`;
    expect(doc).toContain(row);
  });
});
