import type { SQSRecord } from "aws-lambda";
import { parseEnvelope } from "../ingest/envelope";
import { type ReplyJob, replyJobFor } from "../reply/job";
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
    try {
      const envelope = parseEnvelope(message.body);
      const item = toRecordItem(envelope, { now: new Date(), ttlDays: deps.ttlDays });
      const written = await deps.records.putOnce(item);
      const { effects } = await applyCallbackEffects(item, deps.replyStore);
      const job = item.type === "sms.incoming" ? replyJobFor(item) : undefined;
      if (job) {
        await deps.replies.send(job);
        effects.push("reply-queued");
      } else if (item.type === "sms.incoming") {
        effects.push("no-reply-sender-not-a-phone-number");
      }
      logger.info("record", {
        ...fields,
        route: envelope.route,
        recordType: envelope.type,
        atId: maskPhonesIn(envelope.id),
        outcome: written ? "recorded" : "duplicate",
        ...(effects.length > 0 ? { effects } : {}),
      });
    } catch (error) {
      logger.error("record", { ...fields, outcome: "failed", error: describeError(error) });
      throw error;
    }
  };
}
