import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { WORKER_FUNCTION } from "../functions/settings";
import { lambdaContext } from "./apigw";
import { LOCAL_REGION } from "./constants";

export type SqsWorker = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface Poller {
  stop(): Promise<void>;
}

/**
 * Invokes a worker the way Lambda's SQS event source mapping does: batches of up to
 * `batchSize`, messages reported in `batchItemFailures` (or all, if the worker throws or
 * outlives the function timeout) stay on the queue and come back after the visibility timeout;
 * the rest are deleted.
 */
export function startPoller(options: {
  client: SQSClient;
  queueUrl: string;
  queueArn: string;
  functionName: string;
  worker: SqsWorker;
  onError: (error: unknown) => void;
  /** Messages per batch (the queue's event source mapping `batchSize`). */
  batchSize: number;
  /** Batches in flight at once (concurrent invocations); 1 by default. */
  concurrency?: number;
  /** Lambda ends an invocation at the function timeout; so does the poller. */
  timeoutMs?: number;
}): Poller {
  const { client, queueUrl, worker } = options;
  let running = true;
  const controller = new AbortController();

  const loop = async () => {
    while (running) {
      try {
        const { Messages = [] } = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: options.batchSize,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ["All"],
            MessageAttributeNames: ["All"],
          }),
          { abortSignal: controller.signal },
        );
        if (Messages.length === 0) continue;
        const event = sqsEventOf(Messages, options.queueArn);
        let failed: Set<string>;
        try {
          const timeoutMs = options.timeoutMs ?? WORKER_FUNCTION.timeoutSeconds * 1000;
          const result = await withinTimeout(
            worker(event, lambdaContext(options.functionName, timeoutMs)),
            timeoutMs,
            options.functionName,
          );
          failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
        } catch (error) {
          options.onError(error);
          failed = new Set(event.Records.map((r) => r.messageId));
        }
        const done = event.Records.filter((r) => !failed.has(r.messageId));
        if (done.length > 0) {
          await client.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
            }),
          );
        }
      } catch (error) {
        if (!running) break;
        options.onError(error);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  const finished = Promise.all(Array.from({ length: options.concurrency ?? 1 }, loop));

  return {
    async stop() {
      running = false;
      controller.abort();
      await finished;
    },
  };
}

/** The event Lambda's SQS event source mapping hands a worker for these received messages. */
export const sqsEventOf = (messages: readonly Message[], queueArn: string): SQSEvent => ({
  Records: messages.map((m) => ({
    messageId: m.MessageId ?? "",
    receiptHandle: m.ReceiptHandle ?? "",
    body: m.Body ?? "",
    attributes: {
      ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? "1",
      SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
      SenderId: m.Attributes?.SenderId ?? "local",
      ApproximateFirstReceiveTimestamp:
        m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: m.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: LOCAL_REGION,
  })),
});

/** The invocation's result, or a timeout error when it runs past the function timeout. */
async function withinTimeout<T>(work: Promise<T>, timeoutMs: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${name} timed out after ${timeoutMs} ms (function timeout)`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
