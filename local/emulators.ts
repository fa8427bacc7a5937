/**
 * The embedded AWS services (see services.ts): fauxqs for SQS and
 * dynalite for DynamoDB on loopback ports, the queues and table created as the CDK stack
 * creates them, and, with a data directory, the queues journaled so that a crash loses nothing.
 */
import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import dynalite from "dynalite";
import { buildApp } from "fauxqs";
import type { QueueName } from "../functions/routes";
import { QUEUES, type QueueSettings } from "../functions/settings";
import { type IndexProjection, TABLE } from "../functions/table/keys";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "./constants";
import { type JournaledMessage, QueueJournal } from "./journal";
import type { LocalQueue, ServiceEndpoints, ServiceOptions } from "./service-options";

/** What this project uses of fauxqs's queue store (fauxqs 1.9, which we pin). */
interface FauxQueue {
  name: string;
  spy?: { addMessage(event: SpyEvent): void };
  enqueue(message: FauxMessage): void;
  purge(): void;
}
interface FauxMessage {
  messageId: string;
  body: string;
  messageAttributes: Record<string, unknown>;
  sentTimestamp: number;
}
interface FauxStore {
  getQueueByName(name: string): FauxQueue | undefined;
  listQueues(): FauxQueue[];
  createQueue(name: string, url: string, arn: string, ...rest: unknown[]): FauxQueue;
}
interface SpyEvent {
  service: string;
  queueName?: string;
  messageId?: string;
  body?: string;
  messageAttributes?: Record<string, unknown>;
  status: string;
}

// fauxqs exports no way to reach its queues from outside; its store classes are plain modules
// of the package, so the store is built here and handed to its app.
const fauxqsDir = import.meta.resolve("fauxqs");
const internal = async <T>(path: string) => (await import(new URL(path, fauxqsDir).href)) as T;
const { SqsStore } = await internal<{
  SqsStore: (new () => FauxStore) & {
    createMessage(body: string, attributes?: Record<string, unknown>): FauxMessage;
  };
}>("./sqs/sqsStore.js");
const { SnsStore } = await internal<{ SnsStore: new () => unknown }>("./sns/snsStore.js");
const { S3Store } = await internal<{ S3Store: new () => unknown }>("./s3/s3Store.js");

export async function startEmulators(options: ServiceOptions): Promise<{
  endpoints: ServiceEndpoints;
  stop(): Promise<void>;
}> {
  const dynamo = options.dynamodbEndpoint
    ? undefined
    : await startDynalite(options.dataDir, options.dynamodbPort);
  const dynamodbEndpoint = options.dynamodbEndpoint ?? dynamo?.endpoint ?? "";
  const tableName = options.tableName ?? "records";
  await createTable(dynamodbEndpoint, tableName);

  const store = new SqsStore();
  const sqs = buildApp({
    logger: false,
    stores: { sqsStore: store, snsStore: new SnsStore(), s3Store: new S3Store() } as never,
  });
  const journal = options.dataDir ? QueueJournal.open(options.dataDir) : undefined;
  // Nothing is answered (a send, a delete) before the journal entries it caused are on disk.
  if (journal) {
    sqs.addHook("onSend", async (_request: unknown, _reply: unknown, payload: unknown) => {
      await journal.durable();
      return payload;
    });
  }
  // fauxqs's queue URLs name the host `sqs.<region>.localhost`, which clients must not call:
  // they use the endpoint instead (useQueueUrlAsEndpoint: false).
  const sqsEndpoint = (await sqs.listen({ port: options.sqsPort ?? 0, host: "127.0.0.1" })).replace(
    "localhost",
    "127.0.0.1",
  );
  const queues = await createQueues(sqsEndpoint, options.visibilityTimeoutSeconds);
  const eventsTopicArn = await createTopic(sqsEndpoint, EVENTS_TOPIC_NAME);

  let recovered = 0;
  if (journal) {
    const restore = (queue: FauxQueue, m: JournaledMessage) => {
      const message = SqsStore.createMessage(m.body, m.attributes);
      message.messageId = m.id;
      message.sentTimestamp = m.sentAt;
      queue.enqueue(message);
    };
    // Messages of queues made later (`npm start --forward-to`'s endpoint queues) wait for their
    // queue; the journal keeps them meanwhile, across restarts without that endpoint too.
    const waiting = new Map<string, JournaledMessage[]>();
    for (const m of journal.messages()) {
      const queue = store.getQueueByName(m.queue);
      if (queue) {
        restore(queue, m);
        recovered++;
      } else waiting.set(m.queue, [...(waiting.get(m.queue) ?? []), m]);
    }
    for (const queue of store.listQueues()) journalQueue(queue, journal);
    const createQueue = store.createQueue.bind(store);
    store.createQueue = (...args) => {
      const queue = createQueue(...args);
      for (const m of waiting.get(queue.name) ?? []) restore(queue, m);
      waiting.delete(queue.name);
      journalQueue(queue, journal);
      return queue;
    };
  }

  return {
    endpoints: {
      sqsEndpoint,
      snsEndpoint: sqsEndpoint,
      dynamodbEndpoint,
      tableName,
      recovered,
      eventsTopicArn,
      ...queues,
    },
    async stop() {
      await sqs.close();
      journal?.close();
      if (options.dropTableOnStop) await dropTable(dynamodbEndpoint, tableName);
      if (dynamo) await new Promise<void>((resolve) => dynamo.server.close(() => resolve()));
    },
  };
}

/** Journals every message put on the queue (sent, or moved to it as a dead letter) or removed. */
function journalQueue(queue: FauxQueue, journal: QueueJournal) {
  queue.spy = {
    addMessage(event) {
      if (event.service !== "sqs" || !event.messageId) return;
      if (event.status === "published") {
        journal.put({
          queue: queue.name,
          id: event.messageId,
          body: event.body ?? "",
          ...(event.messageAttributes && Object.keys(event.messageAttributes).length > 0
            ? { attributes: event.messageAttributes }
            : {}),
          sentAt: Date.now(),
        });
      } else if (event.status === "consumed") journal.delete(event.messageId);
      // "dlq": the move is journaled as the dead-letter queue's "published".
    },
  };
  const purge = queue.purge.bind(queue);
  queue.purge = () => {
    journal.purge(queue.name);
    purge();
  };
}

async function startDynalite(dataDir: string | undefined, port = 0) {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const dynamo = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(dataDir ? { path: dataDir } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    dynamo.once("error", reject);
    dynamo.listen(port, "127.0.0.1", () => resolve());
  });
  return { server: dynamo, endpoint: `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}` };
}

const tableClient = (endpoint: string) =>
  new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });

async function dropTable(endpoint: string, tableName: string) {
  const client = tableClient(endpoint);
  await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
  client.destroy();
}

/** The records table as the CDK stack declares it: keys, indexes and projections from TABLE. */
async function createTable(endpoint: string, tableName: string) {
  const client = tableClient(endpoint);
  const keySchema = (pk: string, sk: string) => [
    { AttributeName: pk, KeyType: "HASH" as const },
    { AttributeName: sk, KeyType: "RANGE" as const },
  ];
  const attributes = [
    TABLE.partitionKey,
    TABLE.sortKey,
    ...TABLE.indexes.flatMap((index) => [index.partitionKey, index.sortKey]),
  ];
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: attributes.map((AttributeName) => ({
          AttributeName,
          AttributeType: "S",
        })),
        KeySchema: keySchema(TABLE.partitionKey, TABLE.sortKey),
        GlobalSecondaryIndexes: TABLE.indexes.map((index) => ({
          IndexName: index.indexName,
          KeySchema: keySchema(index.partitionKey, index.sortKey),
          Projection: indexProjection(index.projection),
        })),
      }),
    );
  } catch (error) {
    // An on-disk table survives restarts.
    if (!(error instanceof Error && error.name === "ResourceInUseException")) throw error;
  }
  await client
    .send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
      }),
    )
    .catch(() => undefined); // dynalite does not implement TTL; DynamoDB Local and AWS do.
  client.destroy();
}

const indexProjection = (projection: IndexProjection) =>
  projection.type === "ALL"
    ? { ProjectionType: "ALL" as const }
    : projection.type === "KEYS_ONLY"
      ? { ProjectionType: "KEYS_ONLY" as const }
      : { ProjectionType: "INCLUDE" as const, NonKeyAttributes: [...projection.attributes] };

/** The local events topic's name (the deployed one is named by CloudFormation). */
const EVENTS_TOPIC_NAME = "events";

/**
 * The events topic: a standard topic, as deployed. Topics and their subscriptions live in memory:
 * a subscriber subscribes again after a restart.
 */
async function createTopic(endpoint: string, name: string): Promise<string> {
  const client = new SNSClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    const { TopicArn } = await client.send(new CreateTopicCommand({ Name: name }));
    if (!TopicArn) throw new Error(`could not create local topic ${name}`);
    return TopicArn;
  } finally {
    client.destroy();
  }
}

/**
 * Every work queue of settings.ts `QUEUES` and its dead-letter queue, with the deployed
 * settings (the CDK stack reads the same ones), the visibility timeout unless overridden.
 */
async function createQueues(endpoint: string, visibilityTimeoutSeconds: number | undefined) {
  const client = new SQSClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    useQueueUrlAsEndpoint: false,
  });
  const queues = {} as Record<QueueName, LocalQueue>;
  for (const [name, settings] of Object.entries(QUEUES) as [QueueName, QueueSettings][]) {
    queues[name] = await createWorkQueue(client, name, settings, visibilityTimeoutSeconds);
  }
  client.destroy();
  return {
    queues,
    eventsQueueUrl: queues.events.url,
    eventsQueueArn: queues.events.arn,
    eventsDlqUrl: queues.events.dlqUrl,
    repliesQueueUrl: queues.replies.url,
    repliesQueueArn: queues.replies.arn,
    repliesDlqUrl: queues.replies.dlqUrl,
  };
}

/**
 * One work queue and its dead-letter queue (`<name>-dlq`) with a queue's deployed settings, as
 * the CDK stack creates them; the visibility timeout overridable for tests.
 */
export async function createWorkQueue(
  client: SQSClient,
  name: string,
  settings: QueueSettings,
  visibilityTimeoutSeconds?: number,
): Promise<LocalQueue> {
  const create = async (queueName: string, attributes: Record<string, string>) => {
    const { QueueUrl } = await client.send(
      new CreateQueueCommand({ QueueName: queueName, Attributes: attributes }),
    );
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
    );
    if (!QueueUrl || !Attributes?.QueueArn) {
      throw new Error(`could not create local queue ${queueName}`);
    }
    return { url: QueueUrl, arn: Attributes.QueueArn };
  };
  const dlq = await create(`${name}-dlq`, {
    MessageRetentionPeriod: String(settings.dlqRetentionDays * 86_400),
  });
  const queue = await create(name, {
    VisibilityTimeout: String(visibilityTimeoutSeconds ?? settings.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(settings.retentionDays * 86_400),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: dlq.arn,
      maxReceiveCount: String(settings.maxReceiveCount),
    }),
  });
  return { url: queue.url, arn: queue.arn, dlqUrl: dlq.url };
}
