import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventId, REPLY_EVENT_TYPES } from "../../functions/events/event";
import { CALLBACK_TYPES } from "../../functions/model/callbacks";
import { ROUTES } from "../../functions/routes";
import { committedSchemaValidator, subscribeQueue } from "../support/events";
import { allFixtures, INVALID_VARIANT, loadFixture } from "../support/fixtures";
import { startTestStack, type TestStack } from "../support/local";

/**
 * Events out, over HTTP: the local stack as `npm start` runs it, with a consumer's queues
 * subscribed to the events topic the way docs/events.md tells users to.
 */
let local: TestStack;
let all: Awaited<ReturnType<typeof subscribeQueue>>;
let repliesOnly: Awaited<ReturnType<typeof subscribeQueue>>;
const validate = committedSchemaValidator();

beforeAll(async () => {
  local = await startTestStack();
  const { services } = local.stack;
  all = await subscribeQueue(services, local.sqs, "consumer-all");
  repliesOnly = await subscribeQueue(services, local.sqs, "consumer-replies", REPLY_EVENT_TYPES);
});
afterAll(async () => {
  await local.stop();
});

const valid = allFixtures().filter((f) => !INVALID_VARIANT.test(f.variant));

describe("events flow out of the local stack", () => {
  it("publishes one event per new record of a mixed batch on all 11 routes, each valid against its committed schema", async () => {
    expect(new Set(valid.map((f) => f.route))).toEqual(new Set(ROUTES.map((r) => r.name)));
    for (const fixture of valid) {
      const res = await local.postFixture(fixture);
      expect(res.status, `${fixture.route}/${fixture.variant}`).toBeLessThan(300);
    }
    await local.waitUntilIdle("all");
    const events = await all.drain();

    const records = (await local.records()).filter((r) => r.type !== "sms.reply");
    expect(new Set(records.map((r) => r.type))).toEqual(new Set(CALLBACK_TYPES));
    const recordEvents = events.filter(({ event }) => event.type !== "sms.reply.sent");
    // Exactly one per record: same ids, none twice.
    expect(recordEvents.map(({ event }) => event.id).sort()).toEqual(
      records.map((r) => eventId(r, "record")).sort(),
    );
    for (const record of records) {
      const found = recordEvents.find(({ event }) => event.id === eventId(record, "record"));
      expect(found?.event).toEqual({
        id: eventId(record, "record"),
        type: record.type,
        version: 1,
        receivedAt: record.receivedAt,
        stage: "local",
        data: record.payload,
      });
      expect(found?.typeAttribute).toBe(record.type);
    }
    // Each incoming SMS got its reply through the local outbox: one sent event each.
    const incoming = records.filter((r) => r.type === "sms.incoming");
    const sent = events.filter(({ event }) => event.type === "sms.reply.sent");
    expect(sent.map(({ event }) => event.data.inboundId).sort()).toEqual(
      incoming.map((r) => r.id).sort(),
    );
    for (const { event } of events) expect(validate(event), event.type).toBeUndefined();

    // A filter policy on `type` gets its types, and only them.
    const filtered = await repliesOnly.drain();
    expect(filtered.map(({ event }) => event.id).sort()).toEqual(
      sent.map(({ event }) => event.id).sort(),
    );
  }, 180_000);

  it("publishes an AT retry's event again with the same id, and writes nothing new", async () => {
    const fixture = loadFixture("sms-delivery-reports", "success");
    const before = await local.records({ type: "sms.delivery" });
    await all.drain(300);
    const res = await local.postFixture(fixture);
    expect(res.status).toBe(200);
    await local.waitUntilIdle("events");
    const again = await all.drain();
    expect(await local.records({ type: "sms.delivery" })).toEqual(before);
    const record = before.find((r) => r.payload.status === "Success");
    if (!record) throw new Error("no Success report recorded");
    expect(again.map(({ event }) => event.id)).toEqual([eventId(record, "record")]);
  }, 60_000);
});
