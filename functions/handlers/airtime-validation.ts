import { dynamoPendingTransactions } from "../airtime/pending-store";
import { parseAirtimeRules, validateAirtime, withDeadline } from "../airtime/validation";
import { loadCallbackConfig } from "../lib/callback-config";
import { optionalNumberEnv, requiredEnv } from "../lib/config";
import { documentClient } from "../lib/dynamodb";
import { json } from "../lib/http";
import { interactive } from "../lib/interactive";
import { callbackHandler } from "../lib/pipeline";
import { sqsEventQueue } from "../lib/sqs";

const config = loadCallbackConfig();
const queue = sqsEventQueue(config.eventsQueueUrl);
// Bad rules fail the cold start with every problem listed, rather than validate wrongly.
const rules = parseAirtimeRules(process.env);
const deadlineMs = optionalNumberEnv("AIRTIME_DEADLINE_MS") ?? 3000;
const pending = rules.requirePending
  ? dynamoPendingTransactions(documentClient, requiredEnv("TABLE_NAME"))
  : undefined;

const DEADLINE_PASSED = { status: "Failed", reason: "validation took too long" } as const;

/** AT moves money only on `Validated`; anything else, including a slow answer, is `Failed`. */
export const handler = callbackHandler(
  interactive(queue, async ({ payload }) => {
    const decision = await withDeadline(
      validateAirtime(payload, rules, pending ? { pending } : {}),
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
