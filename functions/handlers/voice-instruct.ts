import { loadCallbackConfig } from "../lib/config";
import { text, xml } from "../lib/http";
import { interactive } from "../lib/interactive";
import { callbackHandler } from "../lib/pipeline";
import { sqsEventQueue } from "../lib/sqs";

const config = loadCallbackConfig();
const queue = sqsEventQueue(config.eventsQueueUrl);

const WELCOME =
  '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Welcome to the service. This is a demo voice application. Goodbye.</Say></Response>';

export const handler = callbackHandler(
  interactive(queue, async ({ payload }) =>
    // isActive=0 is AT's final notification: the call is over, nothing more to say.
    String(payload.isActive) === "0"
      ? { answer: text(200, ""), recorded: "" }
      : { answer: xml(200, WELCOME), recorded: WELCOME },
  ),
  config,
);
