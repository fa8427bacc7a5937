import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readConfig } from "../../infra/config";
import { formatJson, savedSettings, withStageSaved } from "../../scripts/stage-settings";
import { runScript } from "../support/run-script";
import { synthStack } from "./synth";

/**
 * `npx cdk diff` and `npx cdk destroy` synthesize the app too: a stage whose settings were only
 * ever given as -c options cannot be synthesized again without them ("no alarmEmail"). Saved
 * once in cdk.json (`npm run configure`), they are read by every later command of the stage.
 */
const cdkJsonText = readFileSync(new URL("../../cdk.json", import.meta.url), "utf8");
const dir = mkdtempSync(join(tmpdir(), "configure-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const contextOf = (text: string) => JSON.parse(text).context as Record<string, unknown>;

// Synthesized once at load, as the other template tests do (no per-test time limit on a busy machine).
const savedStage = synthStack({
  context: {
    ...contextOf(withStageSaved(cdkJsonText, "prod", { alarmEmail: "ops@example.com" })),
    alarmEmail: undefined,
  },
}).template;

describe("stage settings saved in cdk.json", () => {
  it("writes cdk.json exactly as Biome formats it, so saving a stage changes only its lines", () => {
    expect(`${formatJson(JSON.parse(cdkJsonText))}\n`).toBe(cdkJsonText);
  });

  it("leaves no stage option at the top of cdk.json's context (it would hide every stage's own)", () => {
    const options = Object.keys(contextOf(cdkJsonText)).filter(
      (key) => !key.includes(":") && key !== "cli-telemetry" && key !== "stages",
    );
    expect(options).toEqual([]);
  });

  it("gives the stage its saved settings; a -c option still wins, and other stages are apart", () => {
    const saved = withStageSaved(cdkJsonText, "prod", {
      alarmEmail: "ops@example.com",
      smsReplyTemplate: "Thanks",
    });
    const context = contextOf(saved);
    const read = (extra: Record<string, unknown>) =>
      readConfig((key) => (key in extra ? extra[key] : context[key]));
    expect(read({})).toMatchObject({ alarmEmail: "ops@example.com", stageName: "prod" });
    expect(read({}).replies.template).toBe("Thanks");
    expect(read({ alarmEmail: "other@example.com" }).alarmEmail).toBe("other@example.com");
    expect(() => read({ stageName: "dev" })).toThrow(/stage dev has no alarmEmail/);
    expect(savedSettings(saved, "prod")).toEqual({
      alarmEmail: "ops@example.com",
      smsReplyTemplate: "Thanks",
    });
  });

  it("refuses a setting synth would refuse, naming it", () => {
    expect(() => withStageSaved(cdkJsonText, "prod", { throttleRate: "fast" })).toThrow(
      /throttleRate must be a positive integer/,
    );
    expect(() => withStageSaved(cdkJsonText, "prod", {})).toThrow(/no alarmEmail/);
  });

  it("synthesizes a saved stage with no -c option at all (what cdk diff and destroy run)", () => {
    savedStage.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "ops@example.com",
    });
  });

  it("npm run configure -- --set saves the stage, and refuses a bad value leaving the file", {
    timeout: 60_000,
  }, async () => {
    const file = join(dir, "cdk.json");
    writeFileSync(file, cdkJsonText);
    const saved = await runScript("scripts/configure.ts", [
      "--stage",
      "dev",
      "--set",
      "destroyable=true",
      "--set",
      "alarmEmail=dev@example.com",
      "--cdk-json",
      file,
    ]);
    expect(saved.stderr).toBe("");
    expect(saved.code).toBe(0);
    expect(saved.stdout).toContain("npx cdk diff -c stageName=dev");
    const written = readFileSync(file, "utf8");
    expect(savedSettings(written, "dev")).toEqual({
      destroyable: "true",
      alarmEmail: "dev@example.com",
    });
    expect(`${formatJson(JSON.parse(written))}\n`).toBe(written);

    const refused = await runScript("scripts/configure.ts", [
      "--stage",
      "dev",
      "--set",
      "logRetentionDays=8",
      "--cdk-json",
      file,
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/logRetentionDays must be one of/);
    expect(readFileSync(file, "utf8")).toBe(written);
  });
});
