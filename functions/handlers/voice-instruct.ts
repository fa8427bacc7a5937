import type { SQSClient } from "@aws-sdk/client-sqs";
import { type CallbackConfig, loadCallbackConfig } from "../config/callback";
import { flow } from "../engines/voice/flow";
import { answerVoiceCall } from "../engines/voice/flows";
import { buildVoiceXml, say } from "../engines/voice/xml";
import { text, xml } from "../ingest/http";
import { interactive } from "../ingest/interactive";
import { callbackHandler } from "../ingest/pipeline";
import type { Envelope } from "../model/envelope";
import { builtOnce } from "../shared/cold-start";
import { logger } from "../shared/logger";
import { createSqsClient, sqsQueue } from "../shared/sqs";

const APOLOGY = buildVoiceXml([say("Sorry, something went wrong. Please call again later.")]);

export function createVoiceInstructHandler({
  config,
  clients,
}: {
  config: CallbackConfig;
  clients: { sqs: SQSClient };
}) {
  const queue = sqsQueue<Envelope>(config.eventsQueueUrl, clients.sqs);
  return callbackHandler(
    interactive(queue, "voice.call", async ({ fields, atId }, { url, signal }) => {
      try {
        const reply = await answerVoiceCall(fields, flow, {
          callbackUrl: url,
          callbackKeys: await config.callbackKeys(signal),
        });
        // isActive=0 is AT's final notification: the call is over and nothing is read back.
        return reply.kind === "final"
          ? { answer: text(200, ""), recorded: "", note: "call-ended" }
          : { answer: xml(200, reply.xml), recorded: reply.xml };
      } catch (error) {
        logger.error("voice flow failed", {
          atId,
          error,
        });
        return { answer: xml(200, APOLOGY), recorded: APOLOGY, note: "error" };
      }
    }),
    config,
  );
}

export const handler = builtOnce(() =>
  createVoiceInstructHandler({ config: loadCallbackConfig(), clients: { sqs: createSqsClient() } }),
);
