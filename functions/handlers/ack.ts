import { acknowledge } from "../ingest/ack";
import { loadCallbackConfig } from "../ingest/config";
import { callbackHandler } from "../ingest/pipeline";
import { sqsEventQueue } from "../shared/sqs";

/** Every ack route (SMS, USSD end, voice events, airtime status, SIM swap) runs this entry. */
const config = loadCallbackConfig();

export const handler = callbackHandler(acknowledge(sqsEventQueue(config.eventsQueueUrl)), config);
