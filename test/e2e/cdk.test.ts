import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { withStageSaved } from "../../scripts/stage-settings";

/**
 * docs/deploy.md's offline commands, run with the real CDK CLI as a user runs them: a stage
 * whose settings were saved once synthesizes with no -c option (the whole app, bundles and
 * cdk-nag included), and `cdk diff --template` compares the app with that template. No AWS
 * credentials: the CDK would fail loudly if either command needed them. In a scratch folder
 * (its own cdk.json and cdk.out) so the checkout's cdk.json is never touched.
 */
const root = fileURLToPath(new URL("../..", import.meta.url));
const cdk = join(root, "node_modules/.bin/cdk");
const tsx = pathToFileURL(join(root, "node_modules/tsx/dist/loader.mjs")).href;
const dir = mkdtempSync(join(tmpdir(), "cdk-offline-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !key.startsWith("AWS_") && key !== "CDK_DEBUG"),
);
const run = (args: string[]) =>
  promisify(execFile)(cdk, args, { cwd: dir, env, maxBuffer: 32 * 1024 * 1024 });

describe("cdk offline, with the stage's saved settings", () => {
  it("synthesizes, then diffs against the synthesized template", {
    timeout: 1_200_000,
  }, async () => {
    const saved = JSON.parse(
      withStageSaved(readFileSync(join(root, "cdk.json"), "utf8"), "prod", {
        alarmEmail: "ops@example.com",
      }),
    ) as Record<string, unknown>;
    const app = `${process.execPath} --import ${tsx} ${join(root, "infra/app.ts")}`;
    writeFileSync(join(dir, "cdk.json"), JSON.stringify({ ...saved, app }));

    await run(["synth", "--quiet"]);
    const template = join(dir, "cdk.out", "AtCallbacks-prod.template.json");
    expect(existsSync(template)).toBe(true);
    expect(readFileSync(template, "utf8")).toContain("ops@example.com");

    const { stdout, stderr } = await run(["diff", "--template", template, "AtCallbacks-prod"]);
    expect(`${stdout}${stderr}`).toMatch(/There were no differences/);
  });
});
