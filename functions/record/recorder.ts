import type { SQSRecord } from "aws-lambda";
import { parseEnvelope } from "../ingest/envelope";
import { type ReplyJob, replyJobFor } from "../reply/job";
import { EVENTS_QUEUE } from "../settings";
import { isFieldObject } from "../shared/json";
import { describeError, logger } from "../shared/logger";
import { maskPhonesIn } from "../shared/phone";
import type { MessageQueue } from "../shared/sqs";
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
}

/**
 * Writes one queued callback; a duplicate (AT retry, SQS redelivery) is a success that writes
 * nothing. Then, for duplicates too (so a crash after the write is harmless): applies SMS
 * effects (opt-outs, delivery status, subscriptions) and queues a reply job for an incoming SMS;
 * the reply worker makes extra jobs harmless (docs/replies.md).
 */
export function recorder(deps: RecorderDeps) {
  return async (message: SQSRecord): Promise<void> => {
    const fields = {
      sqsMessageId: message.messageId,
      receiveCount: message.attributes?.ApproximateReceiveCount,
    };
    let atId: string | undefined;
    try {
      const envelope = parseEnvelope(message.body);
      atId = maskPhonesIn(envelope.id);
      const item = toRecordItem(envelope, { now: new Date(), ttlDays: deps.ttlDays });
      const written = await deps.records.putOnce(item);
      // A duplicate acts on the record as first stored (its receivedAt), however the two raced.
      const record = written ? item : ((await deps.records.stored(item)) ?? item);
      const { effects } = await applyCallbackEffects(record, deps.replyStore, item.receivedAt);
      const job = record.type === "sms.incoming" ? replyJobFor(record) : undefined;
      if (job) {
        await deps.replies.send(job);
        effects.push("reply-queued");
      } else if (record.type === "sms.incoming") {
        effects.push("no-reply-sender-not-a-phone-number");
      }
      logger.info("record", {
        ...fields,
        route: envelope.route,
        recordType: envelope.type,
        atId,
        outcome: written ? "recorded" : "duplicate",
        ...(effects.length > 0 ? { effects } : {}),
      });
    } catch (error) {
      // On its last receive the message goes to the dead-letter queue: say so, with its AT id.
      const last = Number(fields.receiveCount ?? 1) >= EVENTS_QUEUE.maxReceiveCount;
      logger.error("record", {
        ...fields,
        ...(atId ? { atId } : { atId: atIdIn(message.body) }),
        outcome: last ? "dead-lettered" : "failed",
        error: describeError(error),
      });
      throw error;
    }
  };
}

/** The AT id of a message that is not a valid envelope, if it names one. */
function atIdIn(body: string): string | undefined {
  try {
    const value: unknown = JSON.parse(body);
    const id = isFieldObject(value) ? value.id : undefined;
    return typeof id === "string" ? maskPhonesIn(id) : undefined;
  } catch {
    return undefined;
  }
}
