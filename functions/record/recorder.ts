import { recordEvent, replyDeliveryEvents } from "../events/event";
import type { EventPublisher } from "../events/publisher";
import type { Envelope } from "../model/envelope";
import { type ReplyJob, replyJobFor } from "../reply/job";
import { logger } from "../shared/logger";
import type { MessageQueue } from "../shared/sqs";
import type { Delivery } from "../shared/sqs-worker";
import type { RecordStore } from "../table/record-store";
import { toRecordItem } from "../table/records";
import type { ReplyStore } from "../table/replies";
import { applyCallbackEffects } from "./effects";

export interface RecorderDeps {
  records: RecordStore;
  replyStore: ReplyStore;
  replies: MessageQueue<ReplyJob>;
  /** Records expire this many days after they are received; unset keeps them forever. */
  ttlDays: number | undefined;
  /** The events topic: one event per record, and a reply's final delivery report. */
  events: EventPublisher;
  /** The stage named in every event. */
  stage: string;
}

/**
 * Writes one queued callback; a duplicate (AT retry, SQS redelivery) is a success that writes
 * nothing. Then, for duplicates too (so a crash after the write is harmless): applies SMS
 * effects (opt-outs, delivery status, subscriptions) and queues a reply job for an incoming SMS;
 * the reply worker makes extra jobs harmless (docs/replies.md); and publishes the record's event
 * (docs/events.md), whose id consumers dedupe on. Parsing, failures and the
 * dead-letter queue are the worker plumbing's (functions/shared/sqs-worker.ts).
 */
export function recorder(deps: RecorderDeps) {
  return async (envelope: Envelope, { fields }: Pick<Delivery, "fields">): Promise<void> => {
    const item = toRecordItem(envelope, { now: new Date(), ttlDays: deps.ttlDays });
    const written = await deps.records.putOnce(item);
    // A duplicate acts on the record as first stored (its receivedAt), however the two raced.
    const record = written ? item : ((await deps.records.stored(item)) ?? item);
    const { effects, reply } = await applyCallbackEffects(record, deps.replyStore, item.receivedAt);
    const job = record.type === "sms.incoming" ? replyJobFor(record) : undefined;
    if (job) {
      await deps.replies.send(job);
      effects.push("reply-queued");
    } else if (record.type === "sms.incoming") {
      effects.push("no-reply-sender-not-a-phone-number");
    }
    const events = [
      recordEvent(record, deps.stage),
      ...(reply ? replyDeliveryEvents(reply, deps.stage) : []),
    ];
    // Last, and for duplicates too: a crash before it leaves the message to come back and publish.
    await deps.events.publish(events);
    // The one INFO line of a callback (the route logs its own at DEBUG): the type says the route.
    logger.info("record", {
      ...fields,
      recordType: envelope.type,
      outcome: written ? "recorded" : "duplicate",
      ...(effects.length > 0 ? { effects } : {}),
    });
  };
}
