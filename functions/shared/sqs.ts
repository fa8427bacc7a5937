import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Envelope } from "../ingest/envelope";
import { AWS_CALL } from "../settings";
import { boundByInvocation } from "./deadline";

/**
 * One client per container. The endpoint comes from the environment (AWS_ENDPOINT_URL_SQS
 * locally); the queue URL names the queue, never the host to call.
 */
export const sqsClient = boundByInvocation(
  new SQSClient({ useQueueUrlAsEndpoint: false, ...AWS_CALL }),
);

/** A queue of JSON messages of one kind. */
export interface MessageQueue<T> {
  /** `signal`: the request's deadline; the send is abandoned when it aborts. */
  send(message: T, signal?: AbortSignal): Promise<void>;
}

/** The events queue: one envelope per accepted callback. */
export type EventQueue = MessageQueue<Envelope>;

export function sqsQueue<T>(queueUrl: string, client: SQSClient = sqsClient): MessageQueue<T> {
  return {
    async send(message, signal) {
      await client.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: asciiJson(message) }),
        signal ? { abortSignal: signal } : {},
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
