import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { type ForwarderConfig, loadForwarderConfig } from "../config/forwarder";
import { atIdOfEvent, parseQueuedEvent } from "../forward/event";
import { type ForwardDeps, forwardEvent } from "../forward/forwarder";
import { parseSigningSecrets } from "../forward/signature";
import { FORWARD_ATTEMPT_TIMEOUT_MS, FORWARD_QUEUE, WORKER_FUNCTION } from "../settings";
import { builtOnce } from "../shared/cold-start";
import { createDocumentClient } from "../shared/dynamodb";
import { logger } from "../shared/logger";
import { readSecret } from "../shared/secrets";
import { asciiJsonText, createSqsClient } from "../shared/sqs";
import { RetryLater, sqsWorker } from "../shared/sqs-worker";
import { dynamoDeliveryStore } from "../table/deliveries";

/** The forwarder of one endpoint: every event of its queue, signed, to the user's URL. */
export function createForwarderHandler({
  config,
  clients,
}: {
  config: ForwarderConfig;
  clients: { sqs: SQSClient; documents: DynamoDBDocumentClient; fetch?: typeof fetch };
}) {
  const source = config.signingSecret;
  const deps: ForwardDeps = {
    endpoint: config.endpoint,
    signingKeys: async () =>
      source.kind === "value"
        ? [...source.keys]
        : parseSigningSecrets(await readSecret(source.secretArn)),
    deliveries: dynamoDeliveryStore(clients.documents, config.tableName),
    async deadLetter(body) {
      await clients.sqs.send(
        // The same JSON, escaped as SQS accepts it whatever the text (emoji, control characters).
        new SendMessageCommand({
          QueueUrl: config.deadLetterQueueUrl,
          MessageBody: asciiJsonText(body),
        }),
      );
    },
    fetch: clients.fetch ?? fetch,
    retry: config.retry,
    attemptTimeoutMs: FORWARD_ATTEMPT_TIMEOUT_MS,
    ttlDays: config.recordTtlDays,
    now: () => new Date(),
    random: Math.random,
  };
  return sqsWorker({
    name: "forward",
    parse: parseQueuedEvent,
    atIdOf: ({ event }) => atIdOfEvent(event),
    atIdField: "id",
    async work(message, { record, receiveCount, deadline, fields }) {
      fields.eventId = message.event.id;
      fields.endpoint = config.endpoint.name;
      fields.eventType = message.event.type;
      const first = Number(record.attributes?.ApproximateFirstReceiveTimestamp);
      const result = await forwardEvent(
        message,
        {
          attempt: receiveCount,
          firstAttemptAt: new Date(Number.isFinite(first) ? first : Date.now()),
          remainingMs: deadline.getTime() - Date.now(),
        },
        deps,
      );
      if (result.outcome === "retry") {
        Object.assign(fields, {
          attempt: result.attempt,
          ...(result.status === undefined ? {} : { status: result.status }),
          retryInSeconds: result.delaySeconds,
        });
        throw new RetryLater(result.error, result.delaySeconds);
      }
      const line = { ...fields, ...result };
      if (result.outcome === "delivered") logger.info("forward", line);
      else logger.error("forward", line);
    },
    sqs: clients.sqs,
    queueUrl: config.forwardQueueUrl,
    deadLetterQueueUrl: config.deadLetterQueueUrl,
    maxReceiveCount: FORWARD_QUEUE.maxReceiveCount,
    timeoutSeconds: WORKER_FUNCTION.timeoutSeconds,
  });
}

export const handler = builtOnce(() =>
  createForwarderHandler({
    config: loadForwarderConfig(),
    clients: { sqs: createSqsClient(), documents: createDocumentClient() },
  }),
);
