import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Envelope } from "../ingest/envelope";

/**
 * One client per container. The endpoint comes from the environment (AWS_ENDPOINT_URL_SQS
 * locally); the queue URL names the queue, never the host to call.
 */
export const sqsClient = new SQSClient({
  useQueueUrlAsEndpoint: false,
  // Interactive routes queue their event before answering AT (USSD gives up after 10 s), and
  // an ack route should answer 503 soon rather than late: bound each call, retry once.
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true },
  maxAttempts: 2,
});

/** A queue of JSON messages of one kind. */
export interface MessageQueue<T> {
  send(message: T): Promise<void>;
}

/** The events queue: one envelope per accepted callback. */
export type EventQueue = MessageQueue<Envelope>;

export function sqsQueue<T>(queueUrl: string, client: SQSClient = sqsClient): MessageQueue<T> {
  return {
    async send(message) {
      await client.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: asciiJson(message) }),
      );
    },
  };
}

export const sqsEventQueue = (queueUrl: string): EventQueue => sqsQueue<Envelope>(queueUrl);

/**
 * SQS refuses some characters (control characters, and supplementary ones on some
 * implementations); JSON escapes for everything beyond ASCII make any text AT sends safe to queue.
 */
export const asciiJson = (value: unknown) =>
  JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
