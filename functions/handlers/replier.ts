import { randomUUID } from "node:crypto";
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { ChangeMessageVisibilityCommand } from "@aws-sdk/client-sqs";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { parseReplyJob } from "../reply/job";
import { countMetric } from "../reply/metrics";
import { outboxSender } from "../reply/outbox";
import { loadReplyPolicy } from "../reply/policy";
import { processReplyJob, type ReplyDeps, RetryLater, type SmsSender } from "../reply/worker";
import { REPLIES_QUEUE, REPLY_RETRY, WORKER_TIMEOUT_SECONDS } from "../settings";
import { requestDeadline, withInvocationDeadline } from "../shared/deadline";
import { documentClient } from "../shared/dynamodb";
import { loadReplierConfig } from "../shared/env";
import { logger } from "../shared/logger";
import { maskPhone } from "../shared/phone";
import { readSecret } from "../shared/secrets";
import { sqsClient } from "../shared/sqs";
import { dynamoReplyStore } from "../table/replies";

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
      const { atSmsSender, parseAtCredentials } = await import("../reply/at-sender");
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
  metric: countMetric,
};

function replyOne(context: Context) {
  return async (message: SQSRecord): Promise<void> => {
    const receiveCount = Number(message.attributes?.ApproximateReceiveCount ?? "1");
    // The receive count is worth its bytes only on a redelivery.
    const fields: Record<string, unknown> = {
      sqsMessageId: message.messageId,
      ...(receiveCount > 1 ? { receiveCount } : {}),
    };
    try {
      const job = parseReplyJob(message.body);
      // The AT id of the inbound message, in every line about this job.
      fields.atId = job.inboundId;
      const result = await processReplyJob(
        job,
        { receiveCount, deadline: new Date(Date.now() + context.getRemainingTimeInMillis()) },
        deps,
      );
      logger.info("reply", {
        ...fields,
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
          .catch((e) => logger.warn("reply backoff not set", { ...fields, error: e }));
        logger.warn("reply", { ...fields, outcome: "retry", reason: error.message });
      } else {
        // On its last receive the job goes to the dead-letter queue: say so.
        const outcome = receiveCount >= REPLIES_QUEUE.maxReceiveCount ? "dead-lettered" : "failed";
        logger.error("reply", { ...fields, outcome, error });
      }
      throw error;
    }
  };
}

/** Partial batch failures: a job to retry comes back alone, and after maxReceiveCount goes to the DLQ. */
export const handler = async (event: SQSEvent, context: Context) => {
  // Every line of the invocation carries its Lambda request id.
  if (context) logger.addContext(context);
  return withInvocationDeadline(
    requestDeadline(WORKER_TIMEOUT_SECONDS * 1000, context?.getRemainingTimeInMillis?.()),
    () =>
      processPartialResponse(event, replyOne(context), processor, {
        context,
        throwOnFullBatchFailure: false,
      }),
  );
};
