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
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: asciiJson(envelope) }),
      );
    },
  };
}

/**
 * SQS refuses some characters (control characters, and supplementary ones on some
 * implementations); JSON escapes for everything beyond ASCII make any text AT sends safe to queue.
 */
export const asciiJson = (value: unknown) =>
  JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
