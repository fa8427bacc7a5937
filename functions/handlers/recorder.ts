import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSEvent } from "aws-lambda";
import { recorder } from "../record/recorder";
import type { ReplyJob } from "../reply/job";
import { WORKER_TIMEOUT_SECONDS } from "../settings";
import { requestDeadline, withInvocationDeadline } from "../shared/deadline";
import { documentClient } from "../shared/dynamodb";
import { loadRecorderConfig } from "../shared/env";
import { logger } from "../shared/logger";
import { sqsQueue } from "../shared/sqs";
import { dynamoRecordStore } from "../table/record-store";
import { dynamoReplyStore } from "../table/replies";

const config = loadRecorderConfig();
const recordOne = recorder({
  records: dynamoRecordStore(documentClient, config.tableName),
  replyStore: dynamoReplyStore(documentClient, config.tableName),
  replies: sqsQueue<ReplyJob>(config.repliesQueueUrl),
  ttlDays: config.recordTtlDays,
});
const processor = new BatchProcessor(EventType.SQS);

/**
 * Reports partial batch failures: only the failed messages come back (and reach the DLQ after
 * maxReceiveCount). A batch whose every message failed is reported the same way rather than
 * thrown, so the worker-errors alarm means a crash, not a poison message.
 */
export const handler = async (event: SQSEvent, context: Context) => {
  // Every line of the invocation carries its Lambda request id.
  if (context) logger.addContext(context);
  return withInvocationDeadline(
    requestDeadline(WORKER_TIMEOUT_SECONDS * 1000, context?.getRemainingTimeInMillis?.()),
    () =>
      processPartialResponse(event, recordOne, processor, {
        context,
        throwOnFullBatchFailure: false,
      }),
  );
};
