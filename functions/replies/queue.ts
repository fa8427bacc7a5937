import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { asciiJson, sqsClient } from "../lib/sqs";
import type { ReplyJob } from "./job";

export interface ReplyQueue {
  send(job: ReplyJob): Promise<void>;
}

export function sqsReplyQueue(queueUrl: string, client: SQSClient = sqsClient): ReplyQueue {
  return {
    async send(job) {
      await client.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: asciiJson(job) }),
      );
    },
  };
}
