import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMeter, type MeterReading } from "../../local/meter";
import { loadFixture } from "../support/fixtures";
import { routePath, startTestStack, type TestStack } from "../support/local";

/**
 * What each callback costs in DynamoDB writes, as the table itself reports it
 * (`ReturnConsumedCapacity: INDEXES` on every call the functions make). Under
 * `npm run test:aws-local` that is AWS's DynamoDB Local, whose units are DynamoDB's. The
 * embedded dynalite reports the table's units but not the index's, so under plain `npm test`
 * the bounds hold trivially; the index assertions are DynamoDB Local's.
 */
const MAX_WRU_WITHOUT_REPLY = 2;
/**
 * An opt-out and a subscription change state besides being recorded: the suppression or
 * subscription item the replier reads by key (docs/cost.md, "Write capacity"), one WRU more.
 */
const STATE_ITEM: Readonly<Record<string, number>> = { "sms-opt-out": 1, "sms-subscription": 1 };
const MAX_WRU_SMS_REPLY_AND_ITS_REPORT = 7;

/** One happy-path callback of every kind that has no reply, as AT sends it. */
const WITHOUT_REPLY = [
  ["sms-delivery-reports", "success"],
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

const meter = createMeter();
let local: TestStack;
beforeAll(async () => {
  local = await startTestStack({ visibilityTimeoutSeconds: 30, meter });
});
afterAll(() => local?.stop());

/** What `send` cost once every queue is idle again. */
async function spent(send: () => Promise<void>): Promise<MeterReading> {
  await local.waitUntilIdle("all", 15_000);
  const before = meter.read();
  await send();
  await local.waitUntilIdle("all", 15_000);
  return meter.since(before);
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe("write capacity per callback", () => {
  it(`is at most ${MAX_WRU_WITHOUT_REPLY} WRU for every callback without a reply (and its state item), one index write at most`, async () => {
    const measured: Record<string, number> = {};
    for (const [route, variant] of WITHOUT_REPLY) {
      const used = await spent(async () => {
        const res = await local.postFixture(loadFixture(route, variant));
        expect(res.status, route).toBe(200);
      });
      measured[route] = used.wru;
      // No index but the one, and it at most once per callback.
      expect(
        Object.keys(used.wruBy).filter((name) => name !== "table"),
        route,
      ).toEqual(used.wruBy.byTypeMonth ? ["byTypeMonth"] : []);
      expect(used.wruBy.byTypeMonth ?? 0, route).toBeLessThanOrEqual(1);
    }
    if (!meter.read().capacityReported) return; // dynalite reported no capacity: nothing to compare
    console.log("WRU per callback:", JSON.stringify(measured));
    const over = Object.entries(measured).filter(
      ([route, wru]) => wru > MAX_WRU_WITHOUT_REPLY + (STATE_ITEM[route] ?? 0),
    );
    expect(over).toEqual([]);
  });

  it(`is at most ${MAX_WRU_SMS_REPLY_AND_ITS_REPORT} WRU for an incoming SMS, its reply and the reply's delivery report`, async () => {
    const sms = form({
      date: "2026-11-30 10:30:00",
      from: "+254711000301",
      id: "ATXid_wru_reply1",
      linkId: "SampleLinkId123",
      text: "HELP",
      to: "20880",
    });
    const incoming = await spent(async () => {
      expect((await local.post(routePath("sms-twoway"), sms)).status).toBe(200);
    });
    const [reply] = await local.records({ id: "ATXid_wru_reply1", type: "sms.reply" });
    expect(reply).toMatchObject({ state: "sent" });
    const messageId = String((reply as Record<string, unknown> | undefined)?.messageId);
    expect(incoming.invocations).toMatchObject({ "sms-twoway": 1, recorder: 1, replier: 1 });
    const report = await spent(async () => {
      const res = await local.post(
        routePath("sms-delivery-reports"),
        form({ id: messageId, status: "Success", phoneNumber: "+254711000301" }),
      );
      expect(res.status).toBe(200);
    });
    // The reply shows the report, though the report did not rewrite it.
    const [delivered] = await local.records({ id: "ATXid_wru_reply1", type: "sms.reply" });
    expect(delivered).toMatchObject({ state: "sent", deliveryStatus: "Success" });
    if (!meter.read().capacityReported) return;
    console.log("WRU incoming SMS + reply:", incoming.wru, "its delivery report:", report.wru);
    expect(incoming.wru + report.wru).toBeLessThanOrEqual(MAX_WRU_SMS_REPLY_AND_ITS_REPORT);
  });
});

describe("with replies off (the reply policy answers nothing, as on AWS by default)", () => {
  const offMeter = createMeter();
  let off: TestStack;
  beforeAll(async () => {
    off = await startTestStack({
      visibilityTimeoutSeconds: 30,
      meter: offMeter,
      settings: { SMS_REPLY_TEMPLATE: "" },
    });
  });
  afterAll(() => off?.stop());

  it("an incoming SMS does no reply work: no job queued, no replier run, no reply record", async () => {
    const before = offMeter.read();
    const res = await off.postFixture(loadFixture("sms-twoway", "basic"));
    expect(res.status).toBe(200);
    await off.waitUntilIdle("all", 15_000);
    const used = offMeter.since(before);
    expect(used.invocations.recorder).toBe(1);
    expect(used.invocations.replier).toBeUndefined();
    // One SendMessage: the route's envelope; none to the replies queue.
    expect(used.sqs.SendMessage).toBe(1);
    expect(await off.records({ type: "sms.reply" })).toEqual([]);
    expect(await off.records({ type: "sms.incoming" })).toHaveLength(1);
    if (offMeter.read().capacityReported) {
      expect(used.wru).toBeLessThanOrEqual(MAX_WRU_WITHOUT_REPLY);
    }
  });
});
