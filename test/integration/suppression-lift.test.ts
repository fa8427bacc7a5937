import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envelopeFor } from "../../functions/model/envelope";
import { dynamoSuppressionList } from "../../functions/table/suppressions";
import { dlq } from "../../scripts/commands/dlq";
import { suppressions } from "../../scripts/commands/suppressions";
import { localDocumentClient } from "../../scripts/local-state";
import { startTestStack, type TestStack } from "../support/local";

/**
 * An operator lifts a suppression (the subscriber opted back in). Replays of the opt-out it came
 * from, received before the lift, must not bring it back: AT retrying it, or an operator
 * redriving it from the dead-letter queue. All through the real handlers, recorder and CLI.
 */
let t: TestStack;
beforeAll(async () => {
  t = await startTestStack();
});
afterAll(async () => {
  await t?.stop();
});

const PHONE = "+254711000401";
const OPT_OUT = `senderId=ShopKE&phoneNumber=${encodeURIComponent(PHONE)}`;

const table = () => ({
  client: localDocumentClient(t.stack.services.dynamodbEndpoint),
  tableName: t.stack.services.tableName,
});
async function listed(): Promise<string[]> {
  const out: string[] = [];
  await suppressions(["list", "--phone", PHONE], (l) => out.push(l), table);
  return out;
}
/** What the reply worker asks before it answers the number. */
const suppressedForReplies = async () =>
  dynamoSuppressionList(t.documents, t.stack.services.tableName).suppressionFor(PHONE, ["ShopKE"]);

describe("a lifted suppression", () => {
  it("stays lifted when AT retries the old opt-out and when it is redriven from the DLQ", async () => {
    expect((await t.post("/api/sms/opt-out", OPT_OUT)).status).toBe(200);
    await t.waitUntilIdle("events");
    expect((await listed()).join("\n")).toMatch(/\+254711000401 {2}sender=ShopKE {2}reason=optout/);

    const lifted: string[] = [];
    expect(await suppressions(["lift", PHONE], (l) => lifted.push(l), table)).toBe(0);
    expect(lifted).toEqual([expect.stringMatching(/^lifted: \+254711000401 sender=ShopKE/)]);
    expect(await listed()).toEqual(["no suppressions"]);

    // AT retries the opt-out it sent before the lift (our 200 never reached it).
    expect((await t.post("/api/sms/opt-out", OPT_OUT)).status).toBe(200);
    await t.waitUntilIdle("events");
    expect(await listed()).toEqual(["no suppressions"]);
    expect(await suppressedForReplies()).toBeUndefined();

    // The first copy of the opt-out, as it was queued, lands in the DLQ and is redriven.
    const [record] = await t.records({ type: "sms.optout", phone: PHONE });
    if (!record) throw new Error("the opt-out was not recorded");
    const original = envelopeFor(
      "sms.optout",
      record.route,
      record.payload,
      new Date(record.receivedAt),
    );
    const { eventsDlqUrl } = t.stack.services;
    await t.sqs.send(
      new SendMessageCommand({ QueueUrl: eventsDlqUrl, MessageBody: JSON.stringify(original) }),
    );
    const out: string[] = [];
    const queues = {
      client: t.sqs,
      local: true,
      where: "the test stack",
      pairs: [
        { name: "events" as const, url: t.stack.services.eventsQueueUrl, dlqUrl: eventsDlqUrl },
      ],
    };
    await dlq(["redrive", "--queue", "events"], (l) => out.push(l), queues);
    expect(out[0]).toMatch(/^events: moved 1 message\(s\) back to the work queue/);
    await t.waitUntilIdle("events");
    expect(await listed()).toEqual(["no suppressions"]);
    expect(await suppressedForReplies()).toBeUndefined();
    // Both replays were recorded as the one callback they are.
    expect(await t.records({ type: "sms.optout", phone: PHONE })).toHaveLength(1);
    expect(t.errors).toEqual([]);
  });

  it("comes back when the subscriber opts out again after AT's retry window", async () => {
    const phone = "+254711000402";
    const body = { senderId: "ShopKE", phoneNumber: phone };
    expect((await t.post("/api/sms/opt-out", new URLSearchParams(body).toString())).status).toBe(
      200,
    );
    await t.waitUntilIdle("events");
    const [record] = await t.records({ type: "sms.optout", phone });
    if (!record) throw new Error("the opt-out was not recorded");
    expect(await suppressions(["lift", phone], () => undefined, table)).toBe(0);

    // The same two fields (all an opt-out carries) received 13 hours after the first: a new opt-out.
    const later = new Date(Date.parse(record.receivedAt) + 13 * 3_600_000);
    const again = envelopeFor("sms.optout", record.route, body, later);
    await t.sqs.send(
      new SendMessageCommand({
        QueueUrl: t.stack.services.eventsQueueUrl,
        MessageBody: JSON.stringify(again),
      }),
    );
    await t.waitUntilIdle("events");
    const list = dynamoSuppressionList(t.documents, t.stack.services.tableName);
    expect(await list.suppressionFor(phone, ["ShopKE"])).toMatchObject({
      reason: "optout",
      since: later.toISOString(),
    });
  });
});
