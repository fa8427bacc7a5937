import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CallbackEvent } from "../../functions/events/event";
import { generateSigningSecret } from "../../functions/forward/signature";
import { ROUTES } from "../../functions/routes";
import { queryDeliveries } from "../../functions/table/deliveries";
import { listDeadLetters } from "../../local/dead-letters";
import { allFixtures, INVALID_VARIANT } from "../support/fixtures";
import { startTestStack, type TestStack } from "../support/local";
import { listen, webhookReceiver } from "../support/webhook-receiver";

/**
 * Forwarding over HTTP, as `npm start -- --forward-to` runs it: every delivery checked with the
 * standardwebhooks package, against receivers that fail the way real ones do.
 */
const secret = generateSigningSecret();
const DOWN_MS = 20_000;

interface Delivery {
  id: string;
  event: CallbackEvent;
  status: number;
}
/** Every delivery each receiver got, its signature verified by the standardwebhooks package. */
const got: Record<"flaky" | "gone" | "down", Delivery[]> = { flaky: [], gone: [], down: [] };
const badSignatures: string[] = [];

function receiver(answer: (name: "flaky" | "gone" | "down", id: string) => number) {
  return webhookReceiver(
    secret,
    ({ name, id, event }) => {
      const status = answer(name as "flaky" | "gone" | "down", id);
      got[name as "flaky" | "gone" | "down"].push({ id, event, status });
      return status;
    },
    (message) => badSignatures.push(message),
  );
}

// 503 to the first two attempts of every event, then 200; 410 always.
const attemptsOf = new Map<string, number>();
const main = receiver((name, id) => {
  if (name === "gone") return 410;
  const n = (attemptsOf.get(id) ?? 0) + 1;
  attemptsOf.set(id, n);
  return n <= 2 ? 503 : 200;
});
// Answers 200, but only once it comes up, DOWN_MS after the callbacks.
const late = receiver(() => 200);
let latePort: number;
let local: TestStack;

beforeAll(async () => {
  const port = await listen(main);
  // A port nothing listens on yet: taken, then freed, then used again when it comes up.
  latePort = await listen(late);
  await new Promise((resolve) => late.close(resolve));
  local = await startTestStack({
    settings: {
      FORWARD_TO: [
        `flaky=http://127.0.0.1:${port}/flaky`,
        `gone[sms.optout]=http://127.0.0.1:${port}/gone`,
        `down=http://127.0.0.1:${latePort}/down`,
      ].join(" "),
      FORWARD_SECRET: secret,
    },
  });
}, 60_000);
afterAll(async () => {
  await local?.stop();
  main.closeAllConnections();
  main.close();
  late.closeAllConnections();
  late.close();
});

const valid = allFixtures().filter((f) => !INVALID_VARIANT.test(f.variant));
const accepted = (deliveries: Delivery[]) =>
  [...new Set(deliveries.filter((d) => d.status === 200).map((d) => d.id))].sort();

describe("forwarding to local endpoints", () => {
  it("delivers every event of a mixed batch on all 11 routes through two 503s, to a receiver down for 20 s, and dead-letters a 410 after one attempt", async () => {
    expect(new Set(valid.map((f) => f.route))).toEqual(new Set(ROUTES.map((r) => r.name)));
    for (const fixture of valid) {
      const res = await local.postFixture(fixture);
      expect(res.status, `${fixture.route}/${fixture.variant}`).toBeLessThan(300);
    }
    const sentAt = Date.now();
    await local.waitUntilIdle("all");
    // Every record's event, and each reply's: what the topic carried.
    const records = (await local.records()).filter((r) => r.type !== "sms.reply");
    const expected = records.length + records.filter((r) => r.type === "sms.incoming").length;

    // Two 503s, then 200: every event, within the local schedule's first three attempts.
    await expect
      .poll(() => accepted(got.flaky).length, { timeout: 60_000, interval: 250 })
      .toBe(expected);
    const flakyIds = accepted(got.flaky);
    for (const id of flakyIds) {
      expect(got.flaky.filter((d) => d.id === id).map((d) => d.status)).toEqual([503, 503, 200]);
    }
    expect(new Set(got.flaky.map((d) => d.event.type))).toEqual(
      new Set([...records.map((r) => r.type), "sms.reply.sent"]),
    );

    // The 410: its type filter only, one attempt each, then the dead-letter queue.
    const optOuts = records.filter((r) => r.type === "sms.optout");
    await expect.poll(() => got.gone.length, { timeout: 30_000 }).toBe(optOuts.length);
    expect(got.gone.every((d) => d.event.type === "sms.optout" && d.status === 410)).toBe(true);
    const gonePair = local.stack.services.forwardQueues?.find((q) => q.endpoint.name === "gone");
    if (!gonePair) throw new Error("no gone queue");
    const deadLetters = await listDeadLetters(local.sqs, {
      name: "forward-gone",
      url: gonePair.url,
      dlqUrl: gonePair.dlqUrl,
    });
    expect(deadLetters.map((d) => d.type)).toEqual(optOuts.map(() => "sms.optout"));

    // The receiver that was down comes back and gets everything.
    const downFor = sentAt + DOWN_MS - Date.now();
    if (downFor > 0) await new Promise((r) => setTimeout(r, downFor));
    expect(got.down).toEqual([]);
    await listen(late, latePort);
    await expect
      .poll(() => accepted(got.down), { timeout: 60_000, interval: 250 })
      .toEqual(flakyIds);

    expect(badSignatures).toEqual([]);

    // What npm run records -- --id shows: attempts, last status, error.
    const optOut = optOuts[0];
    const incoming = records.find((r) => r.type === "sms.incoming");
    if (!optOut || !incoming) throw new Error("fixtures changed");
    const table = local.stack.services.tableName;
    const ofIncoming = await queryDeliveries(local.documents, table, incoming.id);
    expect(
      ofIncoming.find((d) => d.endpoint === "flaky" && d.eventType === "sms.incoming"),
    ).toMatchObject({ state: "delivered", attempts: 3, lastStatus: 200 });
    const ofOptOut = await queryDeliveries(local.documents, table, optOut.id);
    expect(ofOptOut.find((d) => d.endpoint === "gone")).toMatchObject({
      state: "failed",
      attempts: 1,
      lastStatus: 410,
      lastError: "HTTP 410: refused by the endpoint",
    });
    expect(local.errors).toEqual([]);
  }, 180_000);
});
