import { handleUssdRequest } from "../engines/ussd/engine";
import { menu } from "../engines/ussd/menu";
import { stringField } from "../ingest/callbacks";
import { loadCallbackConfig } from "../ingest/config";
import { text } from "../ingest/http";
import { interactive } from "../ingest/interactive";
import { callbackHandler } from "../ingest/pipeline";
import { sqsEventQueue } from "../shared/sqs";

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
