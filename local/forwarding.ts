import { SetSubscriptionAttributesCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { Env } from "../functions/config/env";
import { type ForwardEndpoint, parseForwardTo } from "../functions/forward/endpoints";
import { FORWARD_QUEUE } from "../functions/settings";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "./constants";
import type { LocalForwardQueue, ServiceEndpoints } from "./service-options";

export type { LocalForwardQueue };

/** The endpoints of the local stack: `FORWARD_TO` in its settings (npm start --forward-to). */
export const localForwardEndpoints = (settings: Env): ForwardEndpoint[] =>
  settings.FORWARD_TO ? parseForwardTo(settings.FORWARD_TO, { allowHttp: true }) : [];

const queueName = (endpoint: ForwardEndpoint) => `forward-${endpoint.name}`;
const deadLetterQueueName = (endpoint: ForwardEndpoint) => `forward-${endpoint.name}-dlq`;

/**
 * Each endpoint's queue and dead-letter queue, with the deployed settings, subscribed to the
 * events topic as the CDK stack subscribes them: raw delivery, filtered on `type` when asked.
 */
export async function createForwardQueues(
  services: Pick<ServiceEndpoints, "snsEndpoint" | "eventsTopicArn">,
  sqs: SQSClient,
  endpoints: readonly ForwardEndpoint[],
): Promise<LocalForwardQueue[]> {
  const create = async (name: string, attributes: Record<string, string>) => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
    );
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
    );
    if (!QueueUrl || !Attributes?.QueueArn) throw new Error(`could not create local queue ${name}`);
    return { url: QueueUrl, arn: Attributes.QueueArn };
  };
  const sns = new SNSClient({
    endpoint: services.snsEndpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    const queues: LocalForwardQueue[] = [];
    for (const endpoint of endpoints) {
      const dlq = await create(deadLetterQueueName(endpoint), {
        MessageRetentionPeriod: String(FORWARD_QUEUE.dlqRetentionDays * 86_400),
      });
      const queue = await create(queueName(endpoint), {
        VisibilityTimeout: String(FORWARD_QUEUE.visibilityTimeoutSeconds),
        MessageRetentionPeriod: String(FORWARD_QUEUE.retentionDays * 86_400),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlq.arn,
          maxReceiveCount: String(FORWARD_QUEUE.maxReceiveCount),
        }),
      });
      const { SubscriptionArn } = await sns.send(
        new SubscribeCommand({
          TopicArn: services.eventsTopicArn,
          Protocol: "sqs",
          Endpoint: queue.arn,
          Attributes: { RawMessageDelivery: "true" },
        }),
      );
      if (endpoint.types) {
        await sns.send(
          new SetSubscriptionAttributesCommand({
            SubscriptionArn,
            AttributeName: "FilterPolicy",
            AttributeValue: JSON.stringify({ type: endpoint.types }),
          }),
        );
      }
      queues.push({ endpoint, url: queue.url, arn: queue.arn, dlqUrl: dlq.url });
    }
    return queues;
  } finally {
    sns.destroy();
  }
}
