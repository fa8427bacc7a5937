import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSEvent } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { envelopeFor } from "../../functions/ingest/envelope";
import { EVENTS_QUEUE } from "../../functions/settings";
import { logger } from "../../functions/shared/logger";
import { loadFixture, parsedFields } from "../support/fixtures";
import { routePath, startTestStack, type TestStack } from "../support/local";

let local: TestStack;
beforeAll(async () => {
  local = await startTestStack({ visibilityTimeoutSeconds: 1 });
});
afterAll(async () => {
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
  it("reports only the poison message of a mixed batch as failed, and records the good one once", async () => {
    const { handler } = await import("../../functions/handlers/recorder");
    const body = JSON.stringify(goodEnvelope());
    const event: SQSEvent = {
      Records: [
        sqsRecord("good", body),
        sqsRecord("duplicate", body),
        sqsRecord("poison", "{not json"),
        sqsRecord("wrong-version", JSON.stringify({ ...goodEnvelope(), v: 2 })),
      ],
    };
    const result = await handler(event, {} as never);
    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([
      "poison",
      "wrong-version",
    ]);
    // The stack's reply worker adds an sms.reply under the same id on its own time: not this test's.
    const records = await local.records({ id: "ATXid_a1b2c3d4e5f6", type: "sms.incoming" });
    expect(records).toHaveLength(1);
  });

  it("queues a duplicate's reply job with the record as first stored", async () => {
    const { handler } = await import("../../functions/handlers/recorder");
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

  it("reports a batch of nothing but poison as item failures, not as a crashed invocation", async () => {
    const { handler } = await import("../../functions/handlers/recorder");
    const result = await handler({ Records: [sqsRecord("only-poison", "{")] }, {} as never);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "only-poison" }]);
  });

  it("moves a poison message to the dead-letter queue after the bounded number of receives", async () => {
    await local.sqs.send(
      new SendMessageCommand({
        QueueUrl: local.stack.services.eventsQueueUrl,
        MessageBody: '{"v":1,"type":"no.such.type"}',
      }),
    );
    const deadline = Date.now() + (EVENTS_QUEUE.maxReceiveCount + 4) * 1500;
    let dead: string[] = [];
    while (dead.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      dead = await local.receiveAll(local.stack.services.eventsDlqUrl);
    }
    expect(dead).toEqual(['{"v":1,"type":"no.such.type"}']);
    expect(await local.queueDepth(local.stack.services.eventsQueueUrl)).toBe(0);
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
  it("writes one structured line per callback with route, type, AT id and outcome, and masks the phone", async () => {
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    vi.spyOn(process.stdout, "write").mockImplementation(
      (chunk: string | Uint8Array, ...rest: unknown[]) => {
        lines.push(String(chunk));
        return write(chunk, ...(rest as []));
      },
    );
    logger.setLogLevel("INFO");
    try {
      const res = await local.postFixture(loadFixture("sms-opt-out", "basic"));
      expect(res.status).toBe(200);
    } finally {
      logger.setLogLevel("SILENT");
    }
    const entries = lines
      .flatMap((l) => l.split("\n"))
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const callback = entries.filter((e) => e.message === "callback");
    expect(callback).toHaveLength(1);
    expect(callback[0]).toMatchObject({
      level: "INFO",
      route: "sms-opt-out",
      recordType: "sms.optout",
      atId: "MyBrand#+2547*****119",
      outcome: "queued",
      statusCode: 200,
      phoneNumber: "+2547*****119",
    });
    expect(lines.join("")).not.toContain("254711000119");
  });
});

describe("failure lines name the callback", () => {
  it("logs the AT id, masked, and says when a message leaves for the dead-letter queue", async () => {
    const { handler } = await import("../../functions/handlers/recorder");
    const error = vi.spyOn(logger, "error").mockImplementation(() => undefined);
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
    await handler({ Records: [last] }, {} as never);
    expect(error).toHaveBeenCalledWith(
      "record",
      expect.objectContaining({ atId: "ATXid_25471****111", outcome: "dead-lettered" }),
    );
  });
});
