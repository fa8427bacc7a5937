import {
  SetSubscriptionAttributesCommand,
  type SNSClient,
  SubscribeCommand,
} from "@aws-sdk/client-sns";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Env } from "../functions/config/env";
import { type ForwardEndpoint, parseForwardTo } from "../functions/forward/endpoints";
import { FORWARD_QUEUE } from "../functions/settings";
import { createWorkQueue } from "./emulators";
import type { LocalForwardQueue, ServiceEndpoints } from "./service-options";

export type { LocalForwardQueue };

/** The endpoints of the local stack: `FORWARD_TO` in its settings (npm start --forward-to). */
export const localForwardEndpoints = (settings: Env): ForwardEndpoint[] =>
  settings.FORWARD_TO ? parseForwardTo(settings.FORWARD_TO, { allowHttp: true }) : [];

const queueName = (endpoint: ForwardEndpoint) => `forward-${endpoint.name}`;

/**
 * Each endpoint's queue and dead-letter queue, with the deployed settings, subscribed to the
 * events topic as the CDK stack subscribes them: raw delivery, filtered on `type` when asked.
 */
export async function createForwardQueues(
  services: Pick<ServiceEndpoints, "eventsTopicArn">,
  clients: { sqs: SQSClient; sns: SNSClient },
  endpoints: readonly ForwardEndpoint[],
): Promise<LocalForwardQueue[]> {
  const queues: LocalForwardQueue[] = [];
  for (const endpoint of endpoints) {
    const queue = await createWorkQueue(clients.sqs, queueName(endpoint), FORWARD_QUEUE);
    const { SubscriptionArn } = await clients.sns.send(
      new SubscribeCommand({
        TopicArn: services.eventsTopicArn,
        Protocol: "sqs",
        Endpoint: queue.arn,
        Attributes: { RawMessageDelivery: "true" },
      }),
    );
    if (endpoint.types) {
      await clients.sns.send(
        new SetSubscriptionAttributesCommand({
          SubscriptionArn,
          AttributeName: "FilterPolicy",
          AttributeValue: JSON.stringify({ type: endpoint.types }),
        }),
      );
    }
    queues.push({ endpoint, ...queue });
  }
  return queues;
}
