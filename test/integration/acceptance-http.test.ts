import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCallback } from "../../functions/model/callbacks";
import {
  CALLBACK_ROUTES,
  encodeRequest,
  generatedRequest,
  sentFields,
} from "../support/hostile-bodies";
import { startTestStack, TEST_KEY, type TestStack } from "../support/local";

/**
 * The acceptance property end to end, over HTTP: the local server, the queue poller and the
 * recorder as a user runs them. Fewer cases than the in-process pass, same generator.
 */
const SEED = Number(process.env.PROPERTY_SEED ?? 20_261_130);
const CASES = Number(process.env.PROPERTY_HTTP_CASES ?? 120);

let local: TestStack;
beforeAll(async () => {
  local = await startTestStack();
});
afterAll(async () => {
  await local.stop();
});

describe("acceptance property over HTTP", () => {
  it(`${CASES} generated requests: a 4xx leaves nothing, a 2xx becomes one record of what was sent`, async () => {
    const requests = fc.sample(generatedRequest, { seed: SEED, numRuns: CASES });
    const outcomes = [];
    for (const [i, request] of requests.entries()) {
      const encoded = encodeRequest(request, `H${i}x`);
      const body = encoded.isBase64Encoded ? Buffer.from(encoded.body, "base64") : encoded.body;
      const res = await fetch(`${local.stack.url}${request.route.path}?key=${TEST_KEY}`, {
        method: "POST",
        headers: encoded.contentType ? { "content-type": encoded.contentType } : {},
        body,
      });
      const answer = await res.text();
      expect(res.status < 300 || (res.status >= 400 && res.status < 500), answer).toBe(true);
      outcomes.push({ request, encoded, accepted: res.status < 300 });
    }
    const accepted = outcomes.filter((o) => o.accepted);
    expect(accepted.length).toBeGreaterThan(CASES / 5);
    expect(outcomes.length - accepted.length).toBeGreaterThan(CASES / 5);
    for (const { request, encoded } of accepted) {
      const fields = sentFields(encoded, request.encoding) as Record<string, unknown>;
      const parsed = parseCallback(request.route.recordType, fields);
      if (!parsed.ok) throw new Error(`accepted, yet not a ${request.route.recordType}`);
      const id = parsed.callback.atId;
      const records = await local.waitForRecords(
        { id, type: request.route.recordType },
        (r) => r.length > 0,
      );
      expect(records, `${request.route.name} ${id}`).toHaveLength(1);
      expect(records[0]?.payload).toEqual(fields);
    }
    // Refused requests left nothing: once the events queue is empty every queued callback is
    // recorded, and every record in the table is one of the accepted ones.
    await local.waitUntilIdle("events");
    const everything = await local.records();
    const callbackRecords = everything.filter((r) => r.type !== "sms.reply");
    expect(callbackRecords).toHaveLength(accepted.length);
    expect(await local.queueDepth(local.stack.services.eventsDlqUrl)).toBe(0);
    expect(local.errors).toEqual([]);
    expect(new Set(requests.map((r) => r.route.name)).size).toBe(CALLBACK_ROUTES.length);
  }, 180_000);
});
