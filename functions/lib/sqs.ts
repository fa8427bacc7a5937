import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Envelope } from "./envelope";

/**
 * One client per container. The endpoint comes from the environment (AWS_ENDPOINT_URL_SQS
 * locally); the queue URL names the queue, never the host to call.
 */
export const sqsClient = new SQSClient({ useQueueUrlAsEndpoint: false });

export interface EventQueue {
  send(envelope: Envelope): Promise<void>;
}

export function sqsEventQueue(queueUrl: string, client: SQSClient = sqsClient): EventQueue {
  return {
    async send(envelope) {
      await client.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(envelope) }),
      );
    },
  };
}
