import { randomUUID } from "node:crypto";
import type { SNSClient } from "@aws-sdk/client-sns";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { loadReplierConfig, type ReplierConfig } from "../config/replier";
import { inEventBatch, snsEventPublisher } from "../events/publisher";
import { publishReplyEvents } from "../reply/events";
import { parseReplyJob } from "../reply/job";
import { countMetrics } from "../reply/metrics";
import { smsSenderFor } from "../reply/sender";
import { processReplyJob, type ReplyDeps } from "../reply/worker";
import { REPLIES_QUEUE, REPLY_RETRY, WORKER_FUNCTION } from "../settings";
import { builtOnce } from "../shared/cold-start";
import { createDocumentClient } from "../shared/dynamodb";
import { logger } from "../shared/logger";
import { maskPhone } from "../shared/phone";
import { createSnsClient } from "../shared/sns";
import { createSqsClient } from "../shared/sqs";
import { sqsWorker } from "../shared/sqs-worker";
import { dynamoReplyStore } from "../table/replies";

/** The reply worker: sends (at most) one SMS per incoming two-way SMS. See docs/replies.md. */
export function createReplierHandler({
  config,
  clients,
}: {
  config: ReplierConfig;
  clients: { sqs: SQSClient; sns: SNSClient; documents: DynamoDBDocumentClient };
}) {
  const deps: ReplyDeps = {
    store: dynamoReplyStore(clients.documents, config.tableName),
    sender: smsSenderFor(config.credentials, config.printOutbox),
    policy: config.policy,
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
    metric: countMetrics(config.stage),
  };
  const events = snsEventPublisher(clients.sns, config.eventsTopicArn);
  return sqsWorker({
    name: "reply",
    parse: parseReplyJob,
    // The AT id of the inbound message, in every line about this job.
    atIdOf: (job) => job.inboundId,
    atIdField: "inboundId",
    work: inEventBatch(events, async (job, { receiveCount, deadline, fields }) => {
      const result = await processReplyJob(job, { receiveCount, deadline }, deps);
      await publishReplyEvents(deps.store, events, job.inboundId, result.state, config.stage);
      logger.info("reply", { ...fields, phoneNumber: maskPhone(job.recipient), ...result });
    }),
    sqs: clients.sqs,
    // Retries after a retryable AT failure are delayed on the queue (backoff).
    queueUrl: config.repliesQueueUrl,
    deadLetterQueueUrl: config.deadLetterQueueUrl,
    maxReceiveCount: REPLIES_QUEUE.maxReceiveCount,
    timeoutSeconds: WORKER_FUNCTION.timeoutSeconds,
  });
}

export const handler = builtOnce(() =>
  createReplierHandler({
    config: loadReplierConfig(),
    clients: { sqs: createSqsClient(), sns: createSnsClient(), documents: createDocumentClient() },
  }),
);
