import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { RecordItem } from "../../functions/table/records";
import { routePath, startTestStack, type TestStack } from "../support/local";

/**
 * End to end through the local stack, with no AT account: the replies go to the local outbox,
 * which answers like AT (a messageId), so delivery reports posted locally update the reply.
 */
// The outbox prints each reply it "sends", as under `npm start`: the count of SMS that left.
const printed: string[] = [];

let local: TestStack;
beforeAll(async () => {
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
    printed.push(args.join(" "));
  });
  local = await startTestStack({ settings: { LOCAL_OUTBOX_PRINT: "1" } });
});
afterAll(async () => {
  await local.stop();
});

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
type Reply = RecordItem & Record<string, unknown>;
const replyOf = (records: RecordItem[]) =>
  records.find((r) => r.type === "sms.reply") as Reply | undefined;

describe("two-way SMS replies through the local stack", () => {
  it("replies once to a message AT posts twice, and tracks the reply to delivery", async () => {
    const sms = form({
      date: "2026-11-30 10:30:00",
      from: "+254711000201",
      id: "ATXid_e2e_reply1",
      linkId: "SampleLinkId123",
      text: "HELP",
      to: "20880",
    });
    // AT posts again when it did not get our answer in time: after the reply went out.
    expect(await (await local.post(routePath("sms-twoway"), sms)).text()).toBe("GOOD");
    const records = await local.waitForRecords(
      { id: "ATXid_e2e_reply1" },
      (r) => replyOf(r)?.state === "sent",
    );
    expect(await (await local.post(routePath("sms-twoway"), sms)).text()).toBe("GOOD");
    await local.waitUntilIdle(); // the retry and its reply job worked through: nothing more to come
    const settled = await local.records({ id: "ATXid_e2e_reply1" });
    expect(settled.map((r) => r.type).sort()).toEqual(["sms.incoming", "sms.reply"]);
    const sent = printed.filter(
      (line) => line.startsWith("[outbox]") && line.includes("+254711000201"),
    );
    expect(sent).toHaveLength(1);
    const reply = replyOf(records);
    expect(reply).toMatchObject({
      state: "sent",
      attempts: 1,
      status: "local-outbox",
      to: "+254711000201",
      from: "20880",
      message: 'This is a response to: "HELP"',
      phoneNumber: "+254711000201",
    });
    const messageId = String(reply?.messageId);
    expect(messageId).toMatch(/^ATXid_local_[0-9a-f]{24}$/);

    const report = (status: string) =>
      local.post(
        routePath("sms-delivery-reports"),
        form({ id: messageId, status, phoneNumber: "+254711000201", networkCode: "63902" }),
      );
    await report("Sent");
    await local.waitForRecords(
      { id: "ATXid_e2e_reply1" },
      (r) => replyOf(r)?.deliveryStatus === "Sent",
    );
    await report("Success");
    await local.waitForRecords(
      { id: "ATXid_e2e_reply1" },
      (r) => replyOf(r)?.deliveryStatus === "Success",
    );
    await report("Buffered"); // late, out of order
    await local.waitForRecords({ id: messageId }, (r) => r.length === 3);
    await local.waitUntilIdle("events");
    expect(replyOf(await local.records({ id: "ATXid_e2e_reply1" }))?.deliveryStatus).toBe(
      "Success",
    );
    expect(await local.queueDepth(local.stack.services.repliesDlqUrl)).toBe(0);
    expect(local.errors).toEqual([]);
  });

  it("sends nothing to a number that opted out, and records why", async () => {
    await local.post(
      routePath("sms-opt-out"),
      form({ senderId: "20880", phoneNumber: "+254711000202" }),
    );
    await local.waitForRecords(
      { phone: "+254711000202", type: "sms.optout" },
      (r) => r.length === 1,
    );
    await local.post(
      routePath("sms-twoway"),
      form({
        date: "2026-11-30 10:31:00",
        from: "+254711000202",
        id: "ATXid_e2e_optedout",
        text: "Hello",
        to: "20880",
      }),
    );
    const records = await local.waitForRecords(
      { id: "ATXid_e2e_optedout" },
      (r) => replyOf(r) !== undefined && replyOf(r)?.state !== "pending",
    );
    expect(replyOf(records)).toMatchObject({ state: "suppressed", attempts: 0 });
    expect(replyOf(records)?.messageId).toBeUndefined();
  });

  it("a STOP suppresses the number instead of getting a reply", async () => {
    await local.post(
      routePath("sms-twoway"),
      form({
        date: "2026-11-30 10:32:00",
        from: "+254711000203",
        id: "ATXid_e2e_stop",
        text: "Stop",
        to: "20880",
      }),
    );
    const records = await local.waitForRecords(
      { id: "ATXid_e2e_stop" },
      (r) => replyOf(r) !== undefined && replyOf(r)?.state !== "pending",
    );
    expect(replyOf(records)).toMatchObject({ state: "suppressed", attempts: 0 });
    expect(String(replyOf(records)?.suppressedBy)).toContain("optout-keyword");
    // And it lasts: a later message from the number gets no reply either.
    await local.post(
      routePath("sms-twoway"),
      form({
        date: "2026-11-30 10:33:00",
        from: "+254711000203",
        id: "ATXid_e2e_after_stop",
        text: "Hi",
        to: "20880",
      }),
    );
    const later = await local.waitForRecords(
      { id: "ATXid_e2e_after_stop" },
      (r) => replyOf(r) !== undefined && replyOf(r)?.state !== "pending",
    );
    expect(replyOf(later)?.state).toBe("suppressed");
  });

  it("queues no reply for a sender that is not a phone number", async () => {
    await local.post(
      routePath("sms-twoway"),
      form({
        date: "2026-11-30 10:34:00",
        from: "MTN",
        id: "ATXid_e2e_alnum",
        text: "Your bundle expires",
        to: "20880",
      }),
    );
    await local.waitForRecords({ id: "ATXid_e2e_alnum" }, (r) => r.length === 1);
    await local.waitUntilIdle(); // a reply job, had one been queued, has been worked through
    const records = await local.records({ id: "ATXid_e2e_alnum" });
    expect(records.map((r) => r.type)).toEqual(["sms.incoming"]);
    expect(await local.queueDepth(local.stack.services.repliesDlqUrl)).toBe(0);
  });
});
