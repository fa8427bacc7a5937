import { readFileSync } from "node:fs";
import { SetSubscriptionAttributesCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import type { CallbackEvent, EventType } from "../../functions/events/event";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/constants";
import type { ServiceEndpoints } from "../../local/services";
import { schemaFile } from "../../scripts/event-schemas";

export interface ReceivedEvent {
  event: CallbackEvent;
  /** The message's `type` attribute, as a filter policy sees it. */
  typeAttribute: string | undefined;
}

/**
 * A queue of the local SQS subscribed to the events topic with raw message delivery (the body
 * is the event itself), optionally with a filter policy on `type`: what a user's consumer does.
 */
export async function subscribeQueue(
  services: Pick<ServiceEndpoints, "snsEndpoint" | "eventsTopicArn">,
  sqs: SQSClient,
  name: string,
  types?: readonly string[],
) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
  );
  if (!QueueUrl || !Attributes?.QueueArn) throw new Error(`no queue ${name}`);
  const sns = new SNSClient({
    endpoint: services.snsEndpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const { SubscriptionArn } = await sns.send(
    new SubscribeCommand({
      TopicArn: services.eventsTopicArn,
      Protocol: "sqs",
      Endpoint: Attributes.QueueArn,
      Attributes: { RawMessageDelivery: "true" },
    }),
  );
  if (types) {
    await sns.send(
      new SetSubscriptionAttributesCommand({
        SubscriptionArn,
        AttributeName: "FilterPolicy",
        AttributeValue: JSON.stringify({ type: types }),
      }),
    );
  }
  sns.destroy();
  const received: ReceivedEvent[] = [];
  /** Reads (and deletes) what the queue holds, until it has been empty for `quietMs`. */
  const drain = async (quietMs = 1_500): Promise<ReceivedEvent[]> => {
    let quietSince = Date.now();
    const fresh: ReceivedEvent[] = [];
    while (Date.now() - quietSince < quietMs) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ["All"],
        }),
      );
      if (Messages.length === 0) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      quietSince = Date.now();
      for (const m of Messages) {
        fresh.push({
          event: JSON.parse(m.Body ?? "null") as CallbackEvent,
          typeAttribute: m.MessageAttributes?.type?.StringValue,
        });
      }
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
    received.push(...fresh);
    return fresh;
  };
  return { queueUrl: QueueUrl, received, drain };
}

/** Validates events against the JSON Schemas committed under schemas/events/. */
export function committedSchemaValidator() {
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats.default(ajv);
  const cache = new Map<string, ReturnType<typeof ajv.compile>>();
  return (event: CallbackEvent): string | undefined => {
    let validate = cache.get(event.type);
    if (!validate) {
      const schema = JSON.parse(readFileSync(schemaFile(event.type as EventType), "utf8"));
      validate = ajv.compile(schema);
      cache.set(event.type, validate);
    }
    return validate(event) ? undefined : ajv.errorsText(validate.errors);
  };
}
