import { flow } from "../engines/voice/flow";
import { answerVoiceCall, type VoiceCallRequest } from "../engines/voice/flows";
import { buildVoiceXml, say } from "../engines/voice/xml";
import { loadCallbackConfig } from "../ingest/config";
import { text, xml } from "../ingest/http";
import { interactive } from "../ingest/interactive";
import { callbackHandler } from "../ingest/pipeline";
import { logger } from "../shared/logger";
import { sqsEventQueue } from "../shared/sqs";

const config = loadCallbackConfig();
const queue = sqsEventQueue(config.eventsQueueUrl);

const APOLOGY = buildVoiceXml([say("Sorry, something went wrong. Please call again later.")]);

export const handler = callbackHandler(
  interactive(queue, "voice.call", async ({ body, atId }, { url, signal }) => {
    // Every field, unknown ones included: a flow may read what AT adds. A field holding a list
    // or an object is recorded, not read.
    const call: VoiceCallRequest = Object.fromEntries(
      Object.entries(body).map(([k, v]) => [
        k,
        v === null || typeof v === "object" ? undefined : String(v),
      ]),
    );
    try {
      const reply = await answerVoiceCall(call, flow, {
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
