import { SQSClient } from "@aws-sdk/client-sqs";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createAccountMenuFlow } from "../../functions/engines/voice/flows";
import { allFixtures } from "../support/fixtures";
import { routePath, startTestStack, type TestStack } from "../support/local";
import { captureLogs } from "../support/log-lines";

// The voice route runs the GetDigits example flow: its XML names the request's own URL, key
// included, as the callbackUrl AT posts the digits to (README, "Writing a voice flow").
vi.mock("../../functions/engines/voice/flow", () => ({
  flow: createAccountMenuFlow({
    agentPhoneNumbers: ["+254711082999"],
    lookupAccountNumber: async () => "ACC1001",
  }),
}));

/** A key no fixture, id or answer could contain by chance. */
const KEY = "kEy-never-STORED-7f3a9c1e";

let local: TestStack;
beforeAll(async () => {
  local = await startTestStack({ callbackKey: KEY });
});
afterAll(() => local?.stop());

describe("the callback key", () => {
  it("reaches AT in the voice XML, and no queue message, table item or log line", async () => {
    // Every message the functions send to the events and replies queues, as it is sent; what
    // is left on the queues and their dead-letter queues is read at the end.
    const queued: string[] = [];
    const send = SQSClient.prototype.send;
    vi.spyOn(SQSClient.prototype, "send").mockImplementation(function (
      this: SQSClient,
      command: Parameters<SQSClient["send"]>[0],
      ...rest: unknown[]
    ) {
      if (/^SendMessage/.test(command.constructor.name)) queued.push(JSON.stringify(command.input));
      return (send as (...args: unknown[]) => unknown).call(this, command, ...rest) as never;
    });

    const voiceAnswers: string[] = [];
    const statuses = new Set<number>();
    const { lines } = await captureLogs(async () => {
      // Every fixture of every route, the invalid ones too (they are refused with their reason).
      for (const fixture of allFixtures()) {
        statuses.add((await local.postFixture(fixture, { key: KEY })).status);
      }
      // A call through the GetDigits flow: the menu, a digit, a recorded message.
      const call = "isActive=1&sessionId=ATVId_keyscan0001&callerNumber=%2B254711000122";
      for (const body of [
        call,
        `${call}&dtmfDigits=3`,
        `${call}&recordingUrl=https%3A%2F%2Fr%2F1`,
      ]) {
        const res = await local.post(routePath("voice-instruct"), body, { key: KEY });
        expect(res.status).toBe(200);
        voiceAnswers.push(await res.text());
      }
      // A wrong key is refused and logged too.
      statuses.add(
        (await local.post(routePath("sms-delivery-reports"), "id=x&status=Sent", { key: "wrong" }))
          .status,
      );
      // Every callback recorded, every reply job queued (a duplicate job may still be leased).
      await local.waitUntilIdle("events", 30_000);
    }, "DEBUG");

    // What AT gets back carries the key: AT calls that URL next.
    expect(voiceAnswers[0]).toContain(`callbackUrl="`);
    expect(voiceAnswers[0]).toContain(`key=${KEY}`);
    expect(voiceAnswers[1]).toContain(`key=${KEY}`);
    expect([...statuses].sort()).toEqual([200, 400, 403]);

    // Everything that was queued, stored or logged.
    const { Items = [] } = await local.documents.send(
      new ScanCommand({ TableName: local.stack.services.tableName }),
    );
    const leftOnQueues = (
      await Promise.all(
        [
          local.stack.services.eventsQueueUrl,
          local.stack.services.eventsDlqUrl,
          local.stack.services.repliesQueueUrl,
          local.stack.services.repliesDlqUrl,
        ].map((url) => local.receiveAll(url)),
      )
    ).flat();

    // The scan saw the traffic: the voice exchange was queued and recorded, with its XML.
    const voiceRecords = Items.filter((i) => i.id === "ATVId_keyscan0001");
    expect(voiceRecords.length).toBeGreaterThanOrEqual(3);
    expect(voiceRecords.map((r) => String(r.answer))).toContainEqual(
      expect.stringContaining("callbackUrl="),
    );
    expect(voiceRecords.map((r) => String(r.answer))).toContainEqual(
      expect.stringContaining("key=REDACTED"),
    );
    expect(queued.some((m) => m.includes("ATVId_keyscan0001"))).toBe(true);
    expect(lines.length).toBeGreaterThan(allFixtures().length);

    const leaks = [
      ...Items.map((item) => `table: ${JSON.stringify(item)}`),
      ...queued.map((message) => `queued: ${message}`),
      ...leftOnQueues.map((message) => `on a queue: ${message}`),
      ...lines.map((line) => `log: ${line}`),
    ].filter((text) => text.includes(KEY));
    expect(leaks).toEqual([]);
  }, 60_000);
});
