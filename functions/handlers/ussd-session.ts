import type { SQSClient } from "@aws-sdk/client-sqs";
import { type CallbackConfig, loadCallbackConfig } from "../config/callback";
import { handleUssdRequest } from "../engines/ussd/engine";
import { menu } from "../engines/ussd/menu";
import { text } from "../ingest/http";
import { interactive } from "../ingest/interactive";
import { callbackHandler } from "../ingest/pipeline";
import type { Envelope } from "../model/envelope";
import { builtOnce } from "../shared/cold-start";
import { createSqsClient, sqsQueue } from "../shared/sqs";

export function createUssdSessionHandler({
  config,
  clients,
}: {
  config: CallbackConfig;
  clients: { sqs: SQSClient };
}) {
  const queue = sqsQueue<Envelope>(config.eventsQueueUrl, clients.sqs);
  return callbackHandler(
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
        answer: {
          ...response,
          headers: { ...response.headers, "at-ussd-hop-metadata": answer.hop },
        },
        recorded: answer.body,
        ...(answer.timedOut ? { note: "deadline" } : answer.error ? { note: "error" } : {}),
      };
    }),
    config,
  );
}

export const handler = builtOnce(() =>
  createUssdSessionHandler({ config: loadCallbackConfig(), clients: { sqs: createSqsClient() } }),
);
