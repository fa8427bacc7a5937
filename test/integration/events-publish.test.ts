import {
  PublishBatchCommand,
  type PublishBatchCommandOutput,
  SNSClient,
} from "@aws-sdk/client-sns";
import type { SQSEvent } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { eventId } from "../../functions/events/event";
import { type Envelope, envelopeFor } from "../../functions/model/envelope";
import { lambdaContext } from "../../local/apigw";
import { subscribeQueue } from "../support/events";
import { loadFixture, parsedFields } from "../support/fixtures";
import { localWorkers, startTestStack, type TestStack } from "../support/local";

/**
 * The recorder's publishing under faults: the SNS client is the real one on the local topic;
 * only the failures are injected at the SDK.
 */
let local: TestStack;
let workers: ReturnType<typeof localWorkers>;
let consumer: Awaited<ReturnType<typeof subscribeQueue>>;
beforeAll(async () => {
  local = await startTestStack();
  workers = localWorkers(local.stack.services);
  consumer = await subscribeQueue(local.stack.services, local.sqs, "consumer");
});
afterAll(async () => {
  workers.stop();
  await local.stop();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const incoming = (id: string): Envelope =>
  envelopeFor(
    "sms.incoming",
    "sms-twoway",
    { ...parsedFields(loadFixture("sms-twoway", "basic")), id },
    new Date(),
  );

const sqsRecord = (
  messageId: string,
  envelope: Envelope,
  receiveCount = 1,
): SQSEvent["Records"][number] => ({
  messageId,
  receiptHandle: messageId,
  body: JSON.stringify(envelope),
  attributes: {
    ApproximateReceiveCount: String(receiveCount),
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

const invoke = (records: SQSEvent["Records"]) =>
  workers.recorder({ Records: records }, lambdaContext("recorder", 30_000));

/** Records every PublishBatch call; `fault` may answer one instead of the topic. */
function watchPublishes(
  fault?: (
    command: PublishBatchCommand,
    publish: (command: PublishBatchCommand) => Promise<PublishBatchCommandOutput>,
  ) => Promise<PublishBatchCommandOutput> | undefined,
) {
  const calls: PublishBatchCommand[] = [];
  const send = SNSClient.prototype.send;
  vi.spyOn(SNSClient.prototype, "send").mockImplementation(function (
    this: SNSClient,
    ...args: Parameters<SNSClient["send"]>
  ) {
    const [command] = args;
    if (command instanceof PublishBatchCommand) {
      calls.push(command);
      const publish = (c: PublishBatchCommand) =>
        (send as (c: unknown) => Promise<PublishBatchCommandOutput>).call(this, c);
      const injected = fault?.(command, publish);
      if (injected) return injected;
    }
    return send.apply(this, args);
  } as SNSClient["send"]);
  return calls;
}

const recordOf = async (atId: string) => {
  const [record] = await local.records({ id: atId, type: "sms.incoming" });
  if (!record) throw new Error(`no record ${atId}`);
  return record;
};

describe("the recorder publishes every record's event, at least once", () => {
  it("survives a crash between the table write and the publish: the redelivery publishes the same id", async () => {
    const envelope = incoming("ATXid_crash_after_write");
    let failNext = true;
    watchPublishes(() => {
      if (!failNext) return undefined;
      failNext = false;
      return Promise.reject(Object.assign(new Error("socket hang up"), { name: "TimeoutError" }));
    });
    const first = await invoke([sqsRecord("m-crash", envelope)]);
    // Written, not published: the message is reported failed, so SQS delivers it again.
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: "m-crash" }]);
    const record = await recordOf(envelope.id);
    const before = await consumer.drain(500);
    expect(before.filter((e) => e.event.type === "sms.incoming")).toEqual([]);

    const again = await invoke([sqsRecord("m-crash", envelope, 2)]);
    expect(again.batchItemFailures).toEqual([]);
    expect(await local.records({ id: envelope.id, type: "sms.incoming" })).toHaveLength(1);
    const events = (await consumer.drain()).filter((e) => e.event.type === "sms.incoming");
    expect(events.map((e) => e.event.id)).toEqual([eventId(record, "record")]);
  }, 60_000);

  it("publishes a batch of 10 records in PublishBatch calls, not a call per event", async () => {
    const envelopes = Array.from({ length: 10 }, (_, i) => incoming(`ATXid_batch_${i}`));
    const calls = watchPublishes();
    const result = await invoke(envelopes.map((e, i) => sqsRecord(`m-batch-${i}`, e)));
    expect(result.batchItemFailures).toEqual([]);
    // The stack's own replier publishes too (the replies to these SMS): only ours are counted.
    const ours = calls.filter((c) =>
      c.input.PublishBatchRequestEntries?.some((e) => e.Message?.includes('"sms.incoming"')),
    );
    // One call when the records' table writes end within the publisher's wait (1 s); a busy
    // machine's slower writes may split it, never into a call per event.
    const sizes = ours.map((c) => c.input.PublishBatchRequestEntries?.length ?? 0);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10);
    expect(sizes.length).toBeLessThanOrEqual(3);
    const events = (await consumer.drain()).filter((e) => e.event.type === "sms.incoming");
    expect(events.map((e) => e.event.data.id).sort()).toEqual(envelopes.map((e) => e.id).sort());
  }, 60_000);

  it("reports back only the message whose event SNS refused, which then comes back and publishes", async () => {
    const good = incoming("ATXid_partial_good");
    const refused = incoming("ATXid_partial_refused");
    let refuseOnce = true;
    watchPublishes((command, publish) => {
      if (!refuseOnce) return undefined;
      const entries = command.input.PublishBatchRequestEntries ?? [];
      const bad = entries.filter((e) => e.Message?.includes(refused.id));
      // On a busy machine the two messages' events may go out in two batches: refuse in the
      // one that carries the refused message's event.
      if (bad.length === 0) return undefined;
      refuseOnce = false;
      const rest = entries.filter((e) => !bad.includes(e));
      return (async () => {
        const sent = await publish(
          new PublishBatchCommand({ ...command.input, PublishBatchRequestEntries: rest }),
        );
        return {
          ...sent,
          Failed: bad.map((e) => ({
            Id: e.Id,
            Code: "InternalError",
            Message: "try again",
            SenderFault: false,
          })),
        } as PublishBatchCommandOutput;
      })();
    });
    const result = await invoke([sqsRecord("m-good", good), sqsRecord("m-refused", refused)]);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "m-refused" }]);
    const first = (await consumer.drain()).map((e) => e.event.data.id);
    expect(first.filter((id) => id === good.id || id === refused.id)).toEqual([good.id]);

    const again = await invoke([sqsRecord("m-refused", refused, 2)]);
    expect(again.batchItemFailures).toEqual([]);
    const record = await recordOf(refused.id);
    const later = (await consumer.drain()).filter((e) => e.event.type === "sms.incoming");
    expect(later.map((e) => e.event.id)).toEqual([eventId(record, "record")]);
  }, 60_000);
});
