import type { SNSClient } from "@aws-sdk/client-sns";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { loadRecorderConfig, type RecorderConfig } from "../config/recorder";
import { inEventBatch, snsEventPublisher } from "../events/publisher";
import { parseEnvelope } from "../model/envelope";
import { recorder } from "../record/recorder";
import type { ReplyJob } from "../reply/job";
import { EVENTS_QUEUE, WORKER_FUNCTION } from "../settings";
import { builtOnce } from "../shared/cold-start";
import { createDocumentClient } from "../shared/dynamodb";
import { createSnsClient } from "../shared/sns";
import { createSqsClient, sqsQueue } from "../shared/sqs";
import { sqsWorker } from "../shared/sqs-worker";
import { dynamoRecordStore } from "../table/record-store";
import { dynamoReplyStore } from "../table/replies";

/**
 * The recorder: one record per queued callback, its SMS effects, a reply job per incoming SMS,
 * its event on the events topic.
 */
export function createRecorderHandler({
  config,
  clients,
}: {
  config: RecorderConfig;
  clients: { sqs: SQSClient; sns: SNSClient; documents: DynamoDBDocumentClient };
}) {
  // One publisher per container: the events of a batch's messages go out together.
  const events = snsEventPublisher(clients.sns, config.eventsTopicArn);
  return sqsWorker({
    name: "record",
    parse: parseEnvelope,
    atIdOf: (envelope) => envelope.id,
    atIdField: "id",
    work: inEventBatch(
      events,
      recorder({
        records: dynamoRecordStore(clients.documents, config.tableName),
        replyStore: dynamoReplyStore(clients.documents, config.tableName),
        replies: sqsQueue<ReplyJob>(config.repliesQueueUrl, clients.sqs),
        ttlDays: config.recordTtlDays,
        events,
        stage: config.stage,
      }),
    ),
    sqs: clients.sqs,
    deadLetterQueueUrl: config.deadLetterQueueUrl,
    maxReceiveCount: EVENTS_QUEUE.maxReceiveCount,
    timeoutSeconds: WORKER_FUNCTION.timeoutSeconds,
  });
}

export const handler = builtOnce(() =>
  createRecorderHandler({
    config: loadRecorderConfig(),
    clients: { sqs: createSqsClient(), sns: createSnsClient(), documents: createDocumentClient() },
  }),
);
