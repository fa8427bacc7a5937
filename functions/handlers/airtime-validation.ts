import { loadCallbackConfig } from "../lib/config";
import { json } from "../lib/http";
import { interactive } from "../lib/interactive";
import { callbackHandler } from "../lib/pipeline";
import { sqsEventQueue } from "../lib/sqs";

const config = loadCallbackConfig();
const queue = sqsEventQueue(config.eventsQueueUrl);

export const handler = callbackHandler(
  // The schema already requires transactionId, phoneNumber and amount: what is left is valid.
  interactive(queue, async () => ({
    answer: json(200, { status: "Validated" }),
    recorded: "Validated",
  })),
  config,
);
