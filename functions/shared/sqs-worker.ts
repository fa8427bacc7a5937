import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import {
  ChangeMessageVisibilityCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { requestDeadline, withInvocationDeadline } from "./deadline";
import { isFieldObject } from "./json";
import { logger } from "./logger";

/** A message that can never be read (not JSON, wrong shape, unknown version): retrying is useless. */
export class PoisonMessageError extends Error {
  override name = "PoisonMessageError";
}

/** Thrown for a message that must come back later: it is delayed instead of the visibility timeout. */
export class RetryLater extends Error {
  override name = "RetryLater";
  constructor(
    message: string,
    readonly delaySeconds: number,
  ) {
    super(message);
  }
}

/** What a worker is told of one message besides its content. */
export interface Delivery {
  record: SQSRecord;
  receiveCount: number;
  /** When the invocation ends (less nothing: the invocation deadline keeps its own margin). */
  deadline: Date;
  /** The fields every log line about this message carries (message id, receive count, AT id). */
  fields: Record<string, unknown>;
}

export interface SqsWorkerOptions<T> {
  /** The message of its log lines: `record`, `reply`. */
  name: string;
  /** Reads and validates a message body (schema and version); throws PoisonMessageError. */
  parse(body: string): T;
  /** The AT id a message is about, for every log line (phone numbers are masked). */
  atIdOf(message: T): string;
  /** Where an unparseable body still shows its AT id (`id`, `inboundId`). */
  atIdField: string;
  /** Works on one message; a throw leaves it on the queue for a retry. */
  work(message: T, delivery: Delivery): Promise<void>;
  sqs: SQSClient;
  /** The worker's own queue, for a worker that delays its retries (RetryLater) on it. */
  queueUrl?: string;
  /** Its dead-letter queue: a poison message goes there on first sight. */
  deadLetterQueueUrl: string;
  maxReceiveCount: number;
  /** The function timeout: an invocation's calls give up before it. */
  timeoutSeconds: number;
}

/**
 * The plumbing every queue worker shares: one deadline per invocation, every record processed
 * on its own and only the failed ones reported back (partial batch response; a batch that
 * failed whole is reported, not thrown, so the errors alarm means a crash). A message that can
 * never be read goes straight to the dead-letter queue with one log line, and counts as done; a
 * failure on the last receive is logged as dead-lettered.
 */
export function sqsWorker<T>(options: SqsWorkerOptions<T>) {
  const one = (context: Context) => async (record: SQSRecord) => {
    const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? "1");
    // The receive count is worth its bytes only on a redelivery.
    const fields: Record<string, unknown> = {
      sqsMessageId: record.messageId,
      ...(receiveCount > 1 ? { receiveCount } : {}),
    };
    let message: T;
    try {
      message = options.parse(record.body);
    } catch (error) {
      if (!(error instanceof PoisonMessageError)) throw error;
      await deadLetter(options, record, error, fields);
      return;
    }
    // As AT sent it: the logger masks only a phone number in it (an opt-out's id).
    fields.atId = options.atIdOf(message);
    const remaining = context?.getRemainingTimeInMillis?.() ?? options.timeoutSeconds * 1000;
    try {
      await options.work(message, {
        record,
        receiveCount,
        deadline: new Date(Date.now() + remaining),
        fields,
      });
    } catch (error) {
      if (error instanceof RetryLater && options.queueUrl) {
        await options.sqs
          .send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: options.queueUrl,
              ReceiptHandle: record.receiptHandle,
              VisibilityTimeout: error.delaySeconds,
            }),
          )
          .catch((e) => logger.warn(`${options.name} backoff not set`, { ...fields, error: e }));
        logger.warn(options.name, { ...fields, outcome: "retry", reason: error.message });
      } else {
        const last = receiveCount >= options.maxReceiveCount;
        logger.error(options.name, {
          ...fields,
          outcome: last ? "dead-lettered" : "failed",
          error,
        });
      }
      throw error;
    }
  };
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    // Every line of the invocation carries its Lambda request id.
    if (context) logger.addContext(context);
    return withInvocationDeadline(
      requestDeadline(options.timeoutSeconds * 1000, context?.getRemainingTimeInMillis?.()),
      () =>
        // A processor per invocation: it holds the batch's results, and the local stack runs
        // several invocations of one handler at once.
        processPartialResponse(event, one(context), new BatchProcessor(EventType.SQS), {
          context,
          throwOnFullBatchFailure: false,
        }),
    );
  };
}

/**
 * Moves a poison message to the dead-letter queue itself (its body as received) and logs it
 * once, naming its AT id where the body shows one. If the move fails the message stays on its
 * queue and reaches the dead-letter queue the usual way.
 */
async function deadLetter<T>(
  options: SqsWorkerOptions<T>,
  record: SQSRecord,
  error: PoisonMessageError,
  fields: Record<string, unknown>,
): Promise<void> {
  const atId = fieldIn(record.body, options.atIdField);
  const line = { ...(atId ? { atId } : {}), ...fields };
  try {
    await options.sqs.send(
      new SendMessageCommand({ QueueUrl: options.deadLetterQueueUrl, MessageBody: record.body }),
    );
  } catch (sendError) {
    logger.error(options.name, {
      ...line,
      outcome: "failed",
      error,
      deadLetterError: sendError,
    });
    throw sendError;
  }
  logger.error(options.name, {
    ...line,
    outcome: "dead-lettered",
    reason: "poison message: it can never be read",
    error,
  });
}

/** A string field of a body that is JSON, if it has it. */
function fieldIn(body: string, field: string): string | undefined {
  try {
    const value: unknown = JSON.parse(body);
    const found = isFieldObject(value) ? value[field] : undefined;
    return typeof found === "string" && found !== "" ? found : undefined;
  } catch {
    return undefined;
  }
}
