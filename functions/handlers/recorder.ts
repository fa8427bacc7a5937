import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { parseEnvelope } from "../ingest/envelope";
import { applyCallbackEffects } from "../record/effects";
import { type ReplyJob, replyJobFor } from "../reply/job";
import { EVENTS_QUEUE, WORKER_TIMEOUT_SECONDS } from "../settings";
import { requestDeadline, withInvocationDeadline } from "../shared/deadline";
import { documentClient } from "../shared/dynamodb";
import { loadRecorderConfig } from "../shared/env";
import { describeError, logger } from "../shared/logger";
import { maskPhonesIn } from "../shared/phone";
import { sqsQueue } from "../shared/sqs";
import { dynamoRecordStore } from "../table/record-store";
import { toRecordItem } from "../table/records";
import { dynamoReplyStore } from "../table/replies";

const config = loadRecorderConfig();
const store = dynamoRecordStore(documentClient, config.tableName);
const replyStore = dynamoReplyStore(documentClient, config.tableName);
const replies = sqsQueue<ReplyJob>(config.repliesQueueUrl);
const processor = new BatchProcessor(EventType.SQS);

/**
 * Writes one queued callback; a duplicate (AT retry, SQS redelivery) is a success that writes
 * nothing. Then, for duplicates too (so a crash after the write is harmless): applies SMS
 * effects (opt-outs, delivery status, subscriptions) and queues a reply job for an incoming SMS;
 * the reply worker makes extra jobs harmless (docs/replies.md).
 */
async function recordOne(message: SQSRecord): Promise<void> {
  const fields = {
    sqsMessageId: message.messageId,
    receiveCount: message.attributes?.ApproximateReceiveCount,
  };
  let atId: string | undefined;
  try {
    const envelope = parseEnvelope(message.body);
    atId = maskPhonesIn(envelope.id);
    const item = toRecordItem(envelope, { now: new Date(), ttlDays: config.recordTtlDays });
    const written = await store.putOnce(item);
    // A duplicate acts on the record as first stored (its receivedAt), however the two raced.
    const record = written ? item : ((await store.stored(item)) ?? item);
    const { effects } = await applyCallbackEffects(record, replyStore);
    const job = record.type === "sms.incoming" ? replyJobFor(record) : undefined;
    if (job) {
      await replies.send(job);
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
}

/** The AT id of a message that is not a valid envelope, if it names one. */
function atIdIn(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return typeof id === "string" ? maskPhonesIn(id) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reports partial batch failures: only the failed messages come back (and reach the DLQ after
 * maxReceiveCount). A batch whose every message failed is reported the same way rather than
 * thrown, so the worker-errors alarm means a crash, not a poison message.
 */
export const handler = async (event: SQSEvent, context: Context) =>
  withInvocationDeadline(
    requestDeadline(WORKER_TIMEOUT_SECONDS * 1000, context?.getRemainingTimeInMillis?.()),
    () =>
      processPartialResponse(event, recordOne, processor, {
        context,
        throwOnFullBatchFailure: false,
      }),
  );
