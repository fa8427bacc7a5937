import { describe, expect, it } from "vitest";
import {
  eventId,
  recordEvent,
  replyDeliveryEvents,
  replySendEvents,
  storedEvents,
} from "../../functions/events/event";
import { envelopeFor } from "../../functions/model/envelope";
import { publishReplyEvents } from "../../functions/reply/events";
import { replyKey } from "../../functions/table/keys";
import { toRecordItem } from "../../functions/table/records";
import { encodeNewReply, type ReplyItem } from "../../functions/table/replies";
import { loadFixture, parsedFields } from "../support/fixtures";

const record = (receivedAt: string) =>
  toRecordItem(
    envelopeFor(
      "sms.incoming",
      "sms-twoway",
      parsedFields(loadFixture("sms-twoway", "basic")),
      new Date(receivedAt),
    ),
    { now: new Date(), ttlDays: undefined },
  );

const reply = (changes: Partial<ReplyItem>): ReplyItem => ({
  ...encodeNewReply({
    inboundId: "ATXid_in",
    receivedAt: "2026-12-06T10:00:00.000Z",
    to: "+254711000111",
    from: "21525",
    message: "Thanks",
    now: "2026-12-06T10:00:01.000Z",
    ttlDays: undefined,
  }),
  ...changes,
});

describe("events of stored items", () => {
  it("gives a record the same id however often it comes (an AT retry is stored under one key)", () => {
    const first = recordEvent(record("2026-12-06T10:00:00Z"), "prod");
    const retry = recordEvent(record("2026-12-06T10:05:00Z"), "prod");
    expect(retry.id).toBe(first.id);
    expect(first.id).toMatch(/^evt_[A-Za-z0-9_-]{43}$/);
    expect(first).toMatchObject({ type: "sms.incoming", version: 1, stage: "prod" });
  });

  it("gives each state change of one reply its own id", () => {
    const key = replyKey("ATXid_in");
    const ids = new Set(
      ["sent", "delivered", "failed:send", "failed:delivery"].map((k) => eventId(key, k)),
    );
    expect(ids.size).toBe(4);
  });

  it("maps reply states: sent, refused by AT, delivered, failed delivery; nothing while pending", () => {
    expect(replySendEvents(reply({}), "prod")).toEqual([]);
    expect(replySendEvents(reply({ state: "failed" }), "prod")).toEqual([]);
    expect(replySendEvents(reply({ state: "sent", messageId: "ATXid_out" }), "prod")).toMatchObject(
      [{ type: "sms.reply.sent", data: { inboundId: "ATXid_in", messageId: "ATXid_out" } }],
    );
    expect(
      replySendEvents(reply({ state: "rejected", status: "InvalidPhoneNumber" }), "prod"),
    ).toMatchObject([{ type: "sms.reply.failed", data: { status: "InvalidPhoneNumber" } }]);
    const at = "2026-12-06T10:03:00.000Z";
    expect(
      replyDeliveryEvents(reply({ deliveryStatus: "Success", deliveryReportedAt: at }), "prod"),
    ).toMatchObject([{ type: "sms.reply.delivered", receivedAt: at }]);
    expect(replyDeliveryEvents(reply({ deliveryStatus: "Failed" }), "prod")).toMatchObject([
      { type: "sms.reply.failed" },
    ]);
    expect(replyDeliveryEvents(reply({ deliveryStatus: "Sent" }), "prod")).toEqual([]);
  });

  it("keeps the reply's lease and counters out of its events", () => {
    const [event] = storedEvents(
      reply({ state: "sent", attemptId: "a-1", leaseUntil: "2026-12-06T10:00:10Z" }),
      "prod",
    );
    expect(event?.data).not.toHaveProperty("attemptId");
    expect(event?.data).not.toHaveProperty("leaseUntil");
    expect(event?.data).not.toHaveProperty("version");
  });
});

describe("a reply's events as its job leaves it", () => {
  it("includes a final report recorded before the reply's message was linked", async () => {
    const published: string[] = [];
    const store = {
      getReply: async () => reply({ state: "sent", messageId: "ATXid_out" }),
      deliveryReports: async (messageId: string) =>
        messageId === "ATXid_out"
          ? [
              { status: "Sent", reportedAt: "2026-12-06T10:00:02.000Z" },
              { status: "Success", reportedAt: "2026-12-06T10:00:03.000Z" },
            ]
          : [],
    };
    const events = {
      publish: async (list: readonly { type: string }[]) => {
        published.push(...list.map((e) => e.type));
      },
    };
    await publishReplyEvents(store, events, "ATXid_in", "sent", "prod");
    expect(published).toEqual(["sms.reply.sent", "sms.reply.delivered"]);
  });
});
