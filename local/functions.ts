/**
 * The local stack's composition root: every function built by its own factory (the same one
 * its Lambda entry uses), with config made from the local services' endpoints and the user's
 * settings, and clients pointed at the local services. Nothing is read from or written to
 * `process.env` here.
 */
import { loadAirtimeSettings } from "../functions/config/airtime-validation";
import { type CallbackConfig, fixedCallbackKeys } from "../functions/config/callback";
import type { Env } from "../functions/config/env";
import { loadForwarderConfig } from "../functions/config/forwarder";
import { loadRecorderConfig } from "../functions/config/recorder";
import { loadReplierConfig } from "../functions/config/replier";
import { createAckHandler } from "../functions/handlers/ack";
import { createAirtimeValidationHandler } from "../functions/handlers/airtime-validation";
import { createForwarderHandler } from "../functions/handlers/forwarder";
import { createRecorderHandler } from "../functions/handlers/recorder";
import { createReplierHandler } from "../functions/handlers/replier";
import { createUssdSessionHandler } from "../functions/handlers/ussd-session";
import { createVoiceInstructHandler } from "../functions/handlers/voice-instruct";
import type { RouteName, WorkerName } from "../functions/routes";
import { createDocumentClient } from "../functions/shared/dynamodb";
import { createSnsClient } from "../functions/shared/sns";
import { createSqsClient } from "../functions/shared/sqs";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "./constants";
import type { Meter } from "./meter";
import type { SqsWorker } from "./poller";
import type { ServiceEndpoints } from "./services";

/** What every route's factory builds: API Gateway's event in, its answer out. */
export type HttpHandler = ReturnType<typeof createAckHandler>;

/** Clients on the local services, as the functions' own are on AWS; metered when asked. */
export function localClients(
  services: Pick<ServiceEndpoints, "sqsEndpoint" | "snsEndpoint" | "dynamodbEndpoint">,
  meter?: Meter,
) {
  const base = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const clients = {
    sqs: createSqsClient({ ...base, endpoint: services.sqsEndpoint }),
    sns: createSnsClient({ ...base, endpoint: services.snsEndpoint }),
    documents: createDocumentClient({ ...base, endpoint: services.dynamodbEndpoint }),
  };
  meter?.meterSqs(clients.sqs);
  meter?.meterSns(clients.sns);
  meter?.meterDocuments(clients.documents);
  return clients;
}

type Clients = ReturnType<typeof localClients>;
/** What the routes use: they publish no events. */
type RouteClients = Pick<Clients, "sqs" | "documents">;

interface RouteDeps {
  callback: CallbackConfig;
  settings: Env;
  services: ServiceEndpoints;
  clients: RouteClients;
}

const ack = ({ callback, clients }: RouteDeps) => createAckHandler({ config: callback, clients });

/** Which factory serves each route. */
const ROUTE_FACTORIES: Record<RouteName, (deps: RouteDeps) => HttpHandler> = {
  "sms-twoway": ack,
  "sms-delivery-reports": ack,
  "sms-opt-out": ack,
  "sms-subscription": ack,
  "ussd-session": ({ callback, clients }) =>
    createUssdSessionHandler({ config: callback, clients }),
  "ussd-status": ack,
  "voice-instruct": ({ callback, clients }) =>
    createVoiceInstructHandler({ config: callback, clients }),
  "voice-events": ack,
  "airtime-validation": ({ callback, settings, services, clients }) =>
    createAirtimeValidationHandler({
      config: Object.freeze({
        ...callback,
        ...loadAirtimeSettings({ ...settings, TABLE_NAME: services.tableName }),
      }),
      clients,
    }),
  "airtime-status": ack,
  "sim-swap-status": ack,
};

/** The handler of every route, by route name. */
export function routeHandlers(
  services: ServiceEndpoints,
  callbackKey: string,
  settings: Env,
  clients: RouteClients,
): Map<RouteName, HttpHandler> {
  const callback: CallbackConfig = Object.freeze({
    eventsQueueUrl: services.eventsQueueUrl,
    callbackKeys: fixedCallbackKeys(callbackKey),
  });
  const deps = { callback, settings, services, clients };
  return new Map(
    Object.entries(ROUTE_FACTORIES).map(([name, factory]) => [name as RouteName, factory(deps)]),
  );
}

/** The queue workers, by worker name. */
export function workerHandlers(
  services: ServiceEndpoints,
  settings: Env,
  clients: Clients,
): Record<WorkerName, SqsWorker> {
  const env = {
    ...settings,
    TABLE_NAME: services.tableName,
    EVENTS_TOPIC_ARN: services.eventsTopicArn,
  };
  return {
    recorder: createRecorderHandler({
      config: loadRecorderConfig(
        {
          ...env,
          REPLIES_QUEUE_URL: services.repliesQueueUrl,
          DEAD_LETTER_QUEUE_URL: services.eventsDlqUrl,
        },
        "local",
      ),
      clients,
    }),
    replier: createReplierHandler({
      config: loadReplierConfig(
        {
          ...env,
          REPLIES_QUEUE_URL: services.repliesQueueUrl,
          DEAD_LETTER_QUEUE_URL: services.repliesDlqUrl,
        },
        "local",
      ),
      clients,
    }),
  };
}

/**
 * The forwarder of one `--forward-to` endpoint, on its queue; signed with `FORWARD_SECRET`,
 * retried on the local schedule.
 */
export function forwarderHandler(
  services: ServiceEndpoints,
  settings: Env,
  clients: Clients,
  queue: { endpoint: { name: string; url: string }; url: string; dlqUrl: string },
): SqsWorker {
  return createForwarderHandler({
    config: loadForwarderConfig(
      {
        ...settings,
        TABLE_NAME: services.tableName,
        FORWARD_ENDPOINT_NAME: queue.endpoint.name,
        FORWARD_URL: queue.endpoint.url,
        FORWARD_QUEUE_URL: queue.url,
        DEAD_LETTER_QUEUE_URL: queue.dlqUrl,
      },
      "local",
    ),
    clients,
  });
}

export const destroyClients = (clients: Clients) => {
  clients.sqs.destroy();
  clients.sns.destroy();
  clients.documents.destroy();
};
