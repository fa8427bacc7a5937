import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROUTES } from "../../functions/routes";
import { isSmokeRecord, SMOKE_PREFIX } from "../../scripts/smoke-callbacks";
import { runSmoke } from "../../scripts/smoke-run";
import { startTestStack, TEST_KEY, type TestStack } from "../support/local";

/** `npm run smoke`'s core against the local stack: every route, HTTP to table. */
let local: TestStack;
beforeAll(async () => {
  local = await startTestStack();
});
afterAll(async () => {
  await local.stop();
});

describe("smoke test", () => {
  it("posts one harmless callback per route and finds each record; the records CLI hides them", async () => {
    const results = await runSmoke(
      {
        apiEndpoint: local.stack.url,
        key: TEST_KEY,
        records: (id) => local.records({ id }),
      },
      { run: "test1", timeoutMs: 60_000, pollMs: 100 },
    );
    expect(results.map((r) => r.route.name)).toEqual(ROUTES.map((r) => r.name));
    for (const r of results) {
      expect({
        route: r.route.name,
        status: r.status,
        answerOk: r.answerOk,
        recorded: r.recorded,
      }).toEqual({
        route: r.route.name,
        status: 200,
        answerOk: true,
        recorded: true,
      });
      expect(r.atId.startsWith(SMOKE_PREFIX)).toBe(true);
    }
    // Harmless: no reply was queued for the smoke SMS (its sender is not a phone number). Once
    // both queues are empty, a reply job, had there been one, would have left its record.
    await local.waitUntilIdle();
    const sms = await local.records({ id: results[0]?.atId ?? "" });
    expect(sms.map((r) => r.type)).toEqual(["sms.incoming"]);
    expect(local.errors).toEqual([]);

    // The records CLI, as a user runs it: smoke records hidden by default, shown with --smoke.
    const cli = (...args: string[]) =>
      promisify(execFile)(
        process.execPath,
        [
          "--import",
          "tsx",
          "scripts/records.ts",
          "--endpoint",
          local.stack.services.dynamodbEndpoint,
          "--table",
          local.stack.services.tableName,
          "--json",
          "--limit",
          "100",
          ...args,
        ],
        { env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" } },
      ).then(({ stdout }) =>
        stdout
          .split("\n")
          .filter(Boolean)
          .map((line) => JSON.parse(line) as { id: string }),
      );
    const [hidden, shown] = await Promise.all([cli(), cli("--smoke")]);
    expect(hidden.filter(isSmokeRecord)).toEqual([]);
    expect(shown.filter(isSmokeRecord).length).toBeGreaterThanOrEqual(ROUTES.length);
  }, 180_000);
});
