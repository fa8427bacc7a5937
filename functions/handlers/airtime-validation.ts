import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  type AirtimeValidationConfig,
  loadAirtimeValidationConfig,
} from "../config/airtime-validation";
import { validateAirtime } from "../engines/airtime/validation";
import { json } from "../ingest/http";
import { interactive } from "../ingest/interactive";
import { callbackHandler } from "../ingest/pipeline";
import type { Envelope } from "../model/envelope";
import { builtOnce } from "../shared/cold-start";
import { withDeadline } from "../shared/deadline";
import { createDocumentClient } from "../shared/dynamodb";
import { createSqsClient, sqsQueue } from "../shared/sqs";
import { dynamoPendingTransactions } from "../table/airtime-pending";

const DEADLINE_PASSED = { status: "Failed", reason: "validation took too long" } as const;

/**
 * AT moves money only on `Validated`; anything else, including a slow answer, is `Failed`. The
 * table call gets the request's deadline and this one, whichever comes first; a decision the
 * table recorded after the answer was given stays on the registration for AT's retry.
 */
export function createAirtimeValidationHandler({
  config,
  clients,
}: {
  config: AirtimeValidationConfig;
  clients: { sqs: SQSClient; documents: DynamoDBDocumentClient };
}) {
  const queue = sqsQueue<Envelope>(config.eventsQueueUrl, clients.sqs);
  const { rules, deadlineMs, tableName } = config;
  const pending = tableName ? dynamoPendingTransactions(clients.documents, tableName) : undefined;
  return callbackHandler(
    interactive(queue, "airtime.validation", async ({ fields }, { signal }) => {
      const decision = await withDeadline(
        validateAirtime(fields, rules, {
          ...(pending ? { pending } : {}),
          signal: AbortSignal.any([signal, AbortSignal.timeout(deadlineMs)]),
        }),
        deadlineMs,
        DEADLINE_PASSED,
      );
      return {
        answer: json(200, { status: decision.status }),
        recorded: decision.status,
        ...(decision.reason ? { note: decision.reason } : {}),
      };
    }),
    config,
  );
}

export const handler = builtOnce(() =>
  createAirtimeValidationHandler({
    config: loadAirtimeValidationConfig(),
    clients: { sqs: createSqsClient(), documents: createDocumentClient() },
  }),
);
