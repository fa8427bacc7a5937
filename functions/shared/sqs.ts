import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { AWS_CALL } from "../settings";
import { type ClientOptions, clientSettings } from "./clients";
import { boundByInvocation } from "./deadline";

/**
 * An SQS client for one container, its calls bounded (AWS_CALL) and by the worker invocation's
 * deadline. Without `endpoint` the SDK finds AWS's own; the queue URL names the queue, never
 * the host to call.
 */
export const createSqsClient = (options: ClientOptions = {}) =>
  boundByInvocation(
    new SQSClient({ useQueueUrlAsEndpoint: false, ...AWS_CALL, ...clientSettings(options) }),
  );

/** A queue of JSON messages of one kind. */
export interface MessageQueue<T> {
  /** `signal`: the request's deadline; the send is abandoned when it aborts. */
  send(message: T, signal?: AbortSignal): Promise<void>;
}

export function sqsQueue<T>(queueUrl: string, client: SQSClient): MessageQueue<T> {
  return {
    async send(message, signal) {
      await client.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: asciiJson(message) }),
        signal ? { abortSignal: signal } : {},
      );
    },
  };
}

/**
 * SQS refuses some characters (control characters, and supplementary ones on some
 * implementations); JSON escapes for everything beyond ASCII make any text AT sends safe to queue.
 */
export const asciiJson = (value: unknown) => asciiJsonText(JSON.stringify(value));

/** A JSON text with every character beyond ASCII escaped: the same JSON, safe to queue. */
export const asciiJsonText = (json: string) =>
  json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
