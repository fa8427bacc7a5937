import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ROUTES } from "../../functions/routes";
import { dashboardUrls, lastKey, parseDescribeStacks } from "../../scripts/deployed-stack";

/** `npm run urls`, offline (the synthesized stack's outputs: test/infra/stack.test.ts). */
describe("npm run urls", () => {
  it("uses the newest key during a rotation and refuses an empty secret", () => {
    expect(lastKey("OLDKEY,NEWKEY")).toBe("NEWKEY");
    expect(lastKey(" ONLY ")).toBe("ONLY");
    expect(() => lastKey(" , ")).toThrow(/empty/);
  });

  it("reads a recorded describe-stacks answer, and says what is missing", () => {
    expect(() => parseDescribeStacks('{"Stacks":[]}', "AtCallbacks-prod")).toThrow(
      /no stack AtCallbacks-prod/,
    );
    expect(() => dashboardUrls(new Map(), "k")).toThrow(/no URL output for \/api\/sms\/twoway/);
  });

  it("runs as a user runs it, on a recorded describe-stacks output", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      "--import",
      "tsx",
      "scripts/urls.ts",
      "--stage",
      "prod",
      "--describe-stacks",
      "test/infra/recorded/describe-stacks-prod.json",
      "--key",
      "Key123",
    ]);
    const printed = stdout.split("\n").filter((l) => l.startsWith("  https://"));
    expect(printed).toEqual(
      ROUTES.map(
        (r) => `  https://k7d2x9q4mb.execute-api.eu-west-1.amazonaws.com${r.path}?key=Key123`,
      ),
    );
    for (const route of ROUTES) expect(stdout).toContain(route.dashboard);
    expect(stdout).not.toContain("<callback-key>");
  }, 30_000);
});
