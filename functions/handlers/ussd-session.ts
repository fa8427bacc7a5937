import { loadCallbackConfig } from "../lib/callback-config";
import { stringField } from "../lib/callbacks";
import { text } from "../lib/http";
import { interactive } from "../lib/interactive";
import { callbackHandler } from "../lib/pipeline";
import { sqsEventQueue } from "../lib/sqs";
import { handleUssdRequest } from "../ussd/engine";
import { menu } from "../ussd/menu";

const config = loadCallbackConfig();
const queue = sqsEventQueue(config.eventsQueueUrl);

export const handler = callbackHandler(
  interactive(queue, async ({ payload, phones }) => {
    const networkCode = stringField(payload, "networkCode");
    const answer = await handleUssdRequest(menu, {
      sessionId: stringField(payload, "sessionId") ?? "",
      serviceCode: stringField(payload, "serviceCode") ?? "",
      phoneNumber: phones.phoneNumber ?? stringField(payload, "phoneNumber") ?? "",
      text: stringField(payload, "text") ?? "",
      ...(networkCode ? { networkCode } : {}),
    });
    const response = text(200, answer.body);
    return {
      answer: { ...response, headers: { ...response.headers, "at-ussd-hop-metadata": answer.hop } },
      recorded: answer.body,
      ...(answer.timedOut ? { note: "deadline" } : answer.error ? { note: "error" } : {}),
    };
  }),
  config,
);
