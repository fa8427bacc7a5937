import { acknowledge } from "../lib/ack";
import { loadCallbackConfig } from "../lib/callback-config";
import { callbackHandler } from "../lib/pipeline";
import { sqsEventQueue } from "../lib/sqs";

/** Every ack route (SMS, USSD end, voice events, airtime status, SIM swap) runs this entry. */
const config = loadCallbackConfig();

export const handler = callbackHandler(acknowledge(sqsEventQueue(config.eventsQueueUrl)), config);
