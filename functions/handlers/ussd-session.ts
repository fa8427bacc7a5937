import { handleUssdRequest } from "../engines/ussd/engine";
import { menu } from "../engines/ussd/menu";
import { loadCallbackConfig } from "../ingest/config";
import { text } from "../ingest/http";
import { interactive } from "../ingest/interactive";
import { callbackHandler } from "../ingest/pipeline";
import { sqsEventQueue } from "../shared/sqs";

const config = loadCallbackConfig();
const queue = sqsEventQueue(config.eventsQueueUrl);

export const handler = callbackHandler(
  interactive(queue, "ussd.session", async ({ fields, phones }, { signal }) => {
    const answer = await handleUssdRequest(menu, {
      sessionId: fields.sessionId,
      serviceCode: fields.serviceCode,
      phoneNumber: phones.phoneNumber ?? fields.phoneNumber,
      text: fields.text ?? "",
      ...(fields.networkCode ? { networkCode: fields.networkCode } : {}),
      signal,
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
