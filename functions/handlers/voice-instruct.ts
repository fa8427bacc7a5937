import { loadCallbackConfig } from "../lib/callback-config";
import { text, xml } from "../lib/http";
import { interactive } from "../lib/interactive";
import { describeError, logger } from "../lib/logger";
import { callbackHandler } from "../lib/pipeline";
import { sqsEventQueue } from "../lib/sqs";
import { flow } from "../voice/flow";
import { answerVoiceCall, type VoiceCallRequest } from "../voice/flows";
import { buildVoiceXml, say } from "../voice/xml";

const config = loadCallbackConfig();
const queue = sqsEventQueue(config.eventsQueueUrl);

const APOLOGY = buildVoiceXml([say("Sorry, something went wrong. Please call again later.")]);

export const handler = callbackHandler(
  interactive(queue, async ({ payload }) => {
    // AT's fields are single values; an extra field holding a list or object is recorded, not read.
    const call: VoiceCallRequest = Object.fromEntries(
      Object.entries(payload).map(([k, v]) => [
        k,
        v === null || typeof v === "object" ? undefined : String(v),
      ]),
    );
    try {
      const reply = await answerVoiceCall(call, flow);
      // isActive=0 is AT's final notification: the call is over and nothing is read back.
      return reply.kind === "final"
        ? { answer: text(200, ""), recorded: "", note: "call-ended" }
        : { answer: xml(200, reply.xml), recorded: reply.xml };
    } catch (error) {
      logger.error("voice flow failed", { error: describeError(error) });
      return { answer: xml(200, APOLOGY), recorded: APOLOGY, note: "error" };
    }
  }),
  config,
);
