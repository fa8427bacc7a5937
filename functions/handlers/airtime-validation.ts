import { parseAirtimeRules, validateAirtime } from "../engines/airtime/validation";
import { loadCallbackConfig } from "../ingest/config";
import { json } from "../ingest/http";
import { interactive } from "../ingest/interactive";
import { callbackHandler } from "../ingest/pipeline";
import { withDeadline } from "../shared/deadline";
import { documentClient } from "../shared/dynamodb";
import { optionalNumberEnv, requiredEnv } from "../shared/env";
import { sqsEventQueue } from "../shared/sqs";
import { dynamoPendingTransactions } from "../table/airtime-pending";

const config = loadCallbackConfig();
const queue = sqsEventQueue(config.eventsQueueUrl);
// Bad rules fail the cold start with every problem listed, rather than validate wrongly.
const rules = parseAirtimeRules(process.env);
const deadlineMs = optionalNumberEnv("AIRTIME_DEADLINE_MS") ?? 3000;
const pending = rules.requirePending
  ? dynamoPendingTransactions(documentClient, requiredEnv("TABLE_NAME"))
  : undefined;

const DEADLINE_PASSED = { status: "Failed", reason: "validation took too long" } as const;

/**
 * AT moves money only on `Validated`; anything else, including a slow answer, is `Failed`. The
 * table call gets the request's deadline and this one, whichever comes first; a decision the
 * table recorded after the answer was given stays on the registration for AT's retry.
 */
export const handler = callbackHandler(
  interactive(queue, "airtime.validation", async ({ body }, { signal }) => {
    const decision = await withDeadline(
      validateAirtime(body, rules, {
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
