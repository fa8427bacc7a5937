import { randomUUID } from "node:crypto";
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { ChangeMessageVisibilityCommand } from "@aws-sdk/client-sqs";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { loadReplierConfig } from "../lib/config";
import { documentClient } from "../lib/dynamodb";
import { describeError, logger } from "../lib/logger";
import { maskPhone } from "../lib/phone";
import { readSecret } from "../lib/secrets";
import { sqsClient } from "../lib/sqs";
import { parseReplyJob } from "../replies/job";
import { emfCount } from "../replies/metrics";
import { outboxSender } from "../replies/outbox";
import { loadReplyPolicy } from "../replies/policy";
import { dynamoReplyStore } from "../replies/store";
import { processReplyJob, type ReplyDeps, RetryLater, type SmsSender } from "../replies/worker";
import { REPLIES_QUEUE, REPLY_RETRY } from "../settings";

/** The reply worker: sends (at most) one SMS per incoming two-way SMS. See docs/replies.md. */
const config = loadReplierConfig();
const processor = new BatchProcessor(EventType.SQS);

let sender: { source: string; sender: Promise<SmsSender> } | undefined;
/**
 * Built once per container and rebuilt only when the credentials change: on AWS the secret is
 * re-read at most every 5 minutes (Powertools cache), so a rotated API key is picked up.
 */
async function smsSender(): Promise<SmsSender> {
  const source = config.credentials;
  const raw = source.kind === "secret" ? await readSecret(source.secretArn) : source.kind;
  if (sender?.source !== raw) {
    const built = buildSender(raw).catch((error) => {
      sender = undefined;
      throw error;
    });
    sender = { source: raw, sender: built };
  }
  return sender.sender;
}
async function buildSender(secret: string): Promise<SmsSender> {
  const source = config.credentials;
  switch (source.kind) {
    case "secret":
    case "env": {
      // Loaded on the first reply that is sent: a container whose jobs are all skipped,
      // suppressed or already settled never evaluates the SDK (axios, joi).
      const { atSmsSender, parseAtCredentials } = await import("../replies/at-sender");
      return atSmsSender(source.kind === "secret" ? parseAtCredentials(secret) : source);
    }
    case "outbox":
      return outboxSender(config.printOutbox ? (line) => console.log(line) : undefined);
  }
}

const deps: ReplyDeps = {
  store: dynamoReplyStore(documentClient, config.tableName),
  sender: smsSender,
  policy: loadReplyPolicy(process.env),
  shortcode: config.shortcode,
  ttlDays: config.recordTtlDays,
  retry: {
    ...REPLY_RETRY,
    ...(config.retryBaseDelaySeconds === undefined
      ? {}
      : { baseDelaySeconds: config.retryBaseDelaySeconds }),
  },
  maxReceiveCount: REPLIES_QUEUE.maxReceiveCount,
  now: () => new Date(),
  newAttemptId: randomUUID,
  metric: (name, fields, dimensions) => {
    emfCount(name, fields, dimensions);
    logger.warn("reply metric", { metric: name, ...fields, ...dimensions });
  },
};

function replyOne(context: Context) {
  return async (message: SQSRecord): Promise<void> => {
    const receiveCount = Number(message.attributes?.ApproximateReceiveCount ?? "1");
    const fields = { sqsMessageId: message.messageId, receiveCount };
    try {
      const job = parseReplyJob(message.body);
      const result = await processReplyJob(
        job,
        { receiveCount, deadline: new Date(Date.now() + context.getRemainingTimeInMillis()) },
        deps,
      );
      logger.info("reply", {
        ...fields,
        inboundId: job.inboundId,
        phoneNumber: maskPhone(job.recipient),
        ...result,
      });
    } catch (error) {
      if (error instanceof RetryLater) {
        // Backoff: the message comes back after the delay instead of the queue's visibility timeout.
        await sqsClient
          .send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: config.repliesQueueUrl,
              ReceiptHandle: message.receiptHandle,
              VisibilityTimeout: error.delaySeconds,
            }),
          )
          .catch((e) => logger.warn("reply backoff not set", { error: describeError(e) }));
        logger.warn("reply", { ...fields, outcome: "retry", reason: error.message });
      } else {
        logger.error("reply", { ...fields, outcome: "failed", error: describeError(error) });
      }
      throw error;
    }
  };
}

/** Partial batch failures: a job to retry comes back alone, and after maxReceiveCount goes to the DLQ. */
export const handler = async (event: SQSEvent, context: Context) =>
  processPartialResponse(event, replyOne(context), processor, {
    context,
    throwOnFullBatchFailure: false,
  });
