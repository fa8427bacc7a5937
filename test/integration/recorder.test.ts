import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSEvent } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { envelopeFor } from "../../functions/model/envelope";
import { EVENTS_QUEUE } from "../../functions/settings";
import { logger } from "../../functions/shared/logger";
import { lambdaContext } from "../../local/apigw";
import { loadFixture, parsedFields } from "../support/fixtures";
import { localWorkers, routePath, startTestStack, type TestStack } from "../support/local";
import { captureLogs } from "../support/log-lines";

let local: TestStack;
let workers: ReturnType<typeof localWorkers>;
beforeAll(async () => {
  local = await startTestStack({ visibilityTimeoutSeconds: 1 });
  workers = localWorkers(local.stack.services);
});
afterAll(async () => {
  workers.stop();
  await local.stop();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const goodEnvelope = () =>
  envelopeFor(
    "sms.incoming",
    "sms-twoway",
    parsedFields(loadFixture("sms-twoway", "without-link-id")),
    new Date(),
  );

const sqsRecord = (messageId: string, body: string): SQSEvent["Records"][number] => ({
  messageId,
  receiptHandle: messageId,
  body,
  attributes: {
    ApproximateReceiveCount: "1",
    SentTimestamp: "0",
    SenderId: "test",
    ApproximateFirstReceiveTimestamp: "0",
  },
  messageAttributes: {},
  md5OfBody: "",
  eventSource: "aws:sqs",
  eventSourceARN: local.stack.services.eventsQueueArn,
  awsRegion: "us-east-1",
});

describe("recorder worker", () => {
  it("sends the poison messages of a mixed batch to the dead-letter queue at once, and records the good one once", async () => {
    const handler = workers.recorder;
    const body = JSON.stringify(goodEnvelope());
    const wrongVersion = JSON.stringify({ ...goodEnvelope(), v: 2 });
    const event: SQSEvent = {
      Records: [
        sqsRecord("good", body),
        sqsRecord("duplicate", body),
        sqsRecord("poison", "{not json"),
        sqsRecord("wrong-version", wrongVersion),
      ],
    };
    const result = await handler(event, {} as never);
    // Nothing comes back for a retry: the poison is already on the dead-letter queue.
    expect(result.batchItemFailures).toEqual([]);
    // Distinct bodies: on a loaded machine the SDK may retry a send that was slow to answer.
    expect([...new Set(await local.receiveAll(local.stack.services.eventsDlqUrl))].sort()).toEqual(
      ["{not json", wrongVersion].sort(),
    );
    // The stack's reply worker adds an sms.reply under the same id on its own time: not this test's.
    const records = await local.records({ id: "ATXid_a1b2c3d4e5f6", type: "sms.incoming" });
    expect(records).toHaveLength(1);
  });

  it("queues a duplicate's reply job with the record as first stored", async () => {
    const handler = workers.recorder;
    const jobs: { receivedAt?: string }[] = [];
    const send = SQSClient.prototype.send;
    vi.spyOn(SQSClient.prototype, "send").mockImplementation(function (
      this: SQSClient,
      ...args: Parameters<SQSClient["send"]>
    ) {
      const [command] = args;
      if (
        command instanceof SendMessageCommand &&
        command.input.QueueUrl === local.stack.services.repliesQueueUrl
      ) {
        jobs.push(JSON.parse(command.input.MessageBody ?? "{}"));
      }
      return send.apply(this, args);
    } as SQSClient["send"]);
    const fields = { ...parsedFields(loadFixture("sms-twoway", "basic")), id: "ATXid_retry_order" };
    const first = envelopeFor(
      "sms.incoming",
      "sms-twoway",
      fields,
      new Date("2026-11-30T10:00:00Z"),
    );
    const retry = envelopeFor(
      "sms.incoming",
      "sms-twoway",
      fields,
      new Date("2026-11-30T10:01:00Z"),
    );
    await handler({ Records: [sqsRecord("first", JSON.stringify(first))] }, {} as never);
    await handler({ Records: [sqsRecord("retry", JSON.stringify(retry))] }, {} as never);
    expect(jobs.map((j) => j.receivedAt)).toEqual([first.receivedAt, first.receivedAt]);
  });

  it("handles a batch of nothing but poison without a crashed invocation or a retry", async () => {
    const handler = workers.recorder;
    const result = await handler({ Records: [sqsRecord("only-poison", "{")] }, {} as never);
    expect(result.batchItemFailures).toEqual([]);
    expect([...new Set(await local.receiveAll(local.stack.services.eventsDlqUrl))]).toEqual(["{"]);
  });

  it("moves a poison message to the dead-letter queue on its first receive, with one log line naming its AT id", async () => {
    // The deployed visibility timeout: a second receive could only come minutes later.
    const deployed = await startTestStack({
      visibilityTimeoutSeconds: EVENTS_QUEUE.visibilityTimeoutSeconds,
    });
    const error = vi.spyOn(logger, "error").mockImplementation(() => undefined);
    try {
      const poison = '{"v":1,"type":"no.such.type","id":"ATXid_254711000222"}';
      await deployed.sqs.send(
        new SendMessageCommand({
          QueueUrl: deployed.stack.services.eventsQueueUrl,
          MessageBody: poison,
        }),
      );
      const deadline = Date.now() + 15_000;
      let dead: string[] = [];
      while (dead.length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        dead = await deployed.receiveAll(deployed.stack.services.eventsDlqUrl);
      }
      expect(dead).toEqual([poison]);
      await deployed.waitUntilIdle("events");
      const lines = error.mock.calls.filter(([message]) => message === "record");
      expect(lines).toEqual([
        [
          "record",
          expect.objectContaining({
            atId: "ATXid_254711000222",
            outcome: "dead-lettered",
          }),
        ],
      ]);
    } finally {
      await deployed.stop();
    }
  }, 90_000);
});

describe("when the queue is unavailable", () => {
  const failSends = () => {
    const send = SQSClient.prototype.send;
    vi.spyOn(SQSClient.prototype, "send").mockImplementation(function (
      this: SQSClient,
      ...args: Parameters<SQSClient["send"]>
    ) {
      if (args[0] instanceof SendMessageCommand) {
        return Promise.reject(
          Object.assign(new Error("queue down"), { name: "ServiceUnavailable" }),
        );
      }
      return send.apply(this, args);
    } as SQSClient["send"]);
  };

  it("answers 503 so that AT retries, and records nothing", async () => {
    failSends();
    const fixture = loadFixture("sms-delivery-reports", "failed-blacklist");
    const res = await local.postFixture(fixture);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe("temporarily unavailable, please retry");
    vi.restoreAllMocks();
    // Queued, it would still be on the queue or already recorded: neither happened.
    expect(await local.queueDepth(local.stack.services.eventsQueueUrl)).toBe(0);
    expect(await local.records({ id: "ATXid_77aa88bb99cc" })).toEqual([]);

    // AT's retry, once the queue is back, is accepted and recorded.
    expect((await local.postFixture(fixture)).status).toBe(200);
    await local.waitForRecords({ id: "ATXid_77aa88bb99cc" }, (r) => r.length === 1);
    // The worker logs after publishing the record's event: its line belongs to this test.
    await local.waitUntilIdle("events");
  });

  it("still answers an interactive request in AT's format", async () => {
    failSends();
    const res = await local.post(
      routePath("ussd-session"),
      "sessionId=ATUid_queue_down&serviceCode=%2A384%23&phoneNumber=%2B254711000111&text=",
    );
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^CON What would you want to check/);
  });
});

describe("logs", () => {
  it("one INFO line per callback, the recorder's: request id, AT id, outcome, no phone number", async () => {
    const { entries, lines } = await captureLogs(async () => {
      const res = await local.postFixture(loadFixture("sms-opt-out", "basic"));
      expect(res.status).toBe(200);
      await local.waitForRecords({ type: "sms.optout" }, (r) => r.length > 0);
      await local.waitUntilIdle("events");
    });
    const info = entries.filter((e) => e.level === "INFO");
    // On a busy machine the test stack's 1 s visibility timeout may redeliver the message once:
    // its line says "duplicate". The acknowledgement itself writes no INFO line.
    expect(info.map((e) => e.message)).toEqual(info.map(() => "record"));
    const recorded = info.filter((e) => e.outcome === "recorded");
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      message: "record",
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      // An opt-out's id is `<senderId>#<phone>`: the number in it is masked, as everywhere.
      atId: "MyBrand#+2547*****119",
      recordType: "sms.optout",
      outcome: "recorded",
    });
    expect(lines.join("\n")).not.toContain("254711000119");
  });
});

describe("failure lines name the callback", () => {
  it("logs the AT id whole, and says when a message leaves for the dead-letter queue", async () => {
    const handler = workers.recorder;
    const last = {
      ...sqsRecord(
        "last-try",
        JSON.stringify({ ...goodEnvelope(), v: 2, id: "ATXid_254711000111" }),
      ),
    };
    last.attributes = {
      ...last.attributes,
      ApproximateReceiveCount: String(EVENTS_QUEUE.maxReceiveCount),
    };
    const { entries } = await captureLogs(() =>
      handler({ Records: [last] }, lambdaContext("recorder", 10_000)),
    );
    expect(entries.find((e) => e.level === "ERROR")).toMatchObject({
      message: "record",
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      // The id as AT sent it, digits and all: a search by id finds the line.
      atId: "ATXid_254711000111",
      outcome: "dead-lettered",
      error: { name: "PoisonMessageError", stack: expect.stringContaining("envelope.ts") },
    });
  });
});
