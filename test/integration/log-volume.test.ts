import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFixture } from "../support/fixtures";
import { startTestStack, type TestStack } from "../support/local";
import { captureLogs } from "../support/log-lines";

/**
 * What a callback costs in log bytes as deployed: the functions log at INFO (the default
 * application level) and Lambda drops its own START/END/REPORT lines (system level WARN:
 * test/infra/stack.test.ts), so the bytes are exactly the lines the functions write, here
 * measured through the handlers the stack deploys. CloudWatch Logs bills them per GB ingested.
 */
const MAX_BYTES_PER_CALLBACK = 400;

/** One happy-path callback of every kind, as AT sends it. */
const HAPPY_PATH = [
  ["sms-delivery-reports", "success"],
  ["sms-twoway", "basic"], // and its reply, sent by the replier
  ["sms-opt-out", "basic"],
  ["sms-subscription", "addition"],
  ["ussd-session", "first-hop"],
  ["ussd-status", "success"],
  ["voice-instruct", "inbound-start"],
  ["voice-events", "ended"],
  ["airtime-validation", "basic"],
  ["airtime-status", "success"],
  ["sim-swap-status", "swapped"],
] as const;

let local: TestStack;
beforeAll(async () => {
  // A long visibility timeout: a redelivery on a busy machine would log a second line.
  local = await startTestStack({ visibilityTimeoutSeconds: 30 });
});
afterAll(() => local?.stop());

describe("log volume", () => {
  it(`is at most ${MAX_BYTES_PER_CALLBACK} bytes and one INFO line per callback, each with its request id and AT id`, async () => {
    const measured: Record<string, { bytes: number; lines: number }> = {};
    for (const [route, variant] of HAPPY_PATH) {
      const { lines, entries } = await captureLogs(async () => {
        const res = await local.postFixture(loadFixture(route, variant));
        expect(res.status, route).toBe(200);
        await local.waitUntilIdle("all", 15_000);
      });
      measured[route] = {
        bytes: lines.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0),
        lines: lines.length,
      };
      for (const entry of entries) {
        expect(entry.requestId, `${route}: ${JSON.stringify(entry)}`).toMatch(/^[0-9a-f-]{36}$/);
        expect(entry.atId, `${route}: ${JSON.stringify(entry)}`).toEqual(expect.any(String));
      }
      const info = entries.filter((e) => e.level === "INFO");
      // An incoming SMS has a second line, the replier's: what became of its reply.
      expect(info.map((e) => e.message)).toEqual(
        route === "sms-twoway" ? ["record", "reply"] : ["record"],
      );
    }
    const over = Object.entries(measured).filter(
      ([route, m]) => m.bytes > MAX_BYTES_PER_CALLBACK * (route === "sms-twoway" ? 2 : 1),
    );
    expect(over, JSON.stringify(measured)).toEqual([]);
    const total = Object.values(measured).reduce((sum, m) => sum + m.bytes, 0);
    expect(total / HAPPY_PATH.length).toBeLessThanOrEqual(MAX_BYTES_PER_CALLBACK);
  }, 60_000);
});
