import type { SQSClient } from "@aws-sdk/client-sqs";
import { type CallbackConfig, loadCallbackConfig } from "../config/callback";
import { acknowledge } from "../ingest/ack";
import { callbackHandler } from "../ingest/pipeline";
import type { Envelope } from "../model/envelope";
import { builtOnce } from "../shared/cold-start";
import { createSqsClient, sqsQueue } from "../shared/sqs";

/** Every ack route (SMS, USSD end, voice events, airtime status, SIM swap) runs this entry. */
export const createAckHandler = ({
  config,
  clients,
}: {
  config: CallbackConfig;
  clients: { sqs: SQSClient };
}) => callbackHandler(acknowledge(sqsQueue<Envelope>(config.eventsQueueUrl, clients.sqs)), config);

export const handler = builtOnce(() =>
  createAckHandler({ config: loadCallbackConfig(), clients: { sqs: createSqsClient() } }),
);
