import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import dynalite from "dynalite";
import { buildApp } from "fauxqs";
import { EVENTS_QUEUE, REPLIES_QUEUE } from "../functions/settings";
import { TABLE } from "../functions/table/keys";

import { LOCAL_CREDENTIALS, LOCAL_REGION } from "./constants";

export interface LocalServices {
  sqsEndpoint: string;
  dynamodbEndpoint: string;
  tableName: string;
  eventsQueueUrl: string;
  eventsQueueArn: string;
  eventsDlqUrl: string;
  repliesQueueUrl: string;
  repliesQueueArn: string;
  repliesDlqUrl: string;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  /** Keep DynamoDB data in this folder across restarts; in memory when unset. */
  dataDir?: string;
  /**
   * Use this DynamoDB (AWS's DynamoDB Local, or any compatible endpoint) instead of the embedded
   * one; the table is created there unless it exists.
   */
  dynamodbEndpoint?: string;
  /** Table name (default `records`). */
  tableName?: string;
  /** Delete the table on stop (tests sharing one DynamoDB Local). */
  dropTableOnStop?: boolean;
  /** Overrides the deployed visibility timeout (tests use a short one to see redelivery quickly). */
  visibilityTimeoutSeconds?: number;
  /** Ports for the embedded SQS and DynamoDB; 0 or unset picks free ones. */
  sqsPort?: number;
  dynamodbPort?: number;
}

/**
 * Embedded stand-ins for SQS (fauxqs) and DynamoDB (dynalite) on free loopback ports, with
 * the queues (events, replies), their dead-letter queues and the table created as the CDK
 * stack creates them.
 */
export async function startServices(options: ServiceOptions = {}): Promise<LocalServices> {
  // fauxqs, bound to loopback only. Its queue URLs name the host `sqs.<region>.localhost`,
  // which clients must not call: they use the endpoint instead (useQueueUrlAsEndpoint: false).
  const sqs = buildApp({ logger: false });
  const sqsEndpoint = (await sqs.listen({ port: options.sqsPort ?? 0, host: "127.0.0.1" })).replace(
    "localhost",
    "127.0.0.1",
  );
  const dynamo = options.dynamodbEndpoint
    ? undefined
    : await startDynalite(options.dataDir, options.dynamodbPort);
  const dynamodbEndpoint = options.dynamodbEndpoint ?? dynamo?.endpoint ?? "";

  const queues = await createQueues(sqsEndpoint, options.visibilityTimeoutSeconds);
  const tableName = options.tableName ?? "records";
  await createTable(dynamodbEndpoint, tableName);

  return {
    sqsEndpoint,
    dynamodbEndpoint,
    tableName,
    ...queues,
    async stop() {
      await sqs.close();
      if (options.dropTableOnStop) await dropTable(dynamodbEndpoint, tableName);
      if (dynamo) await new Promise<void>((resolve) => dynamo.server.close(() => resolve()));
    },
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

async function createTable(endpoint: string, tableName: string) {
  const client = tableClient(endpoint);
  const s = "S" as const;
  const index = (name: string, pk: string, sk: string) => ({
    IndexName: name,
    KeySchema: [
      { AttributeName: pk, KeyType: "HASH" as const },
      { AttributeName: sk, KeyType: "RANGE" as const },
    ],
    Projection: { ProjectionType: "ALL" as const },
  });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          TABLE.partitionKey,
          TABLE.sortKey,
          TABLE.byPhone.partitionKey,
          TABLE.byPhone.sortKey,
          TABLE.byType.partitionKey,
          TABLE.byType.sortKey,
        ].map((AttributeName) => ({ AttributeName, AttributeType: s })),
        KeySchema: [
          { AttributeName: TABLE.partitionKey, KeyType: "HASH" },
          { AttributeName: TABLE.sortKey, KeyType: "RANGE" },
        ],
        GlobalSecondaryIndexes: [
          index(TABLE.byPhone.indexName, TABLE.byPhone.partitionKey, TABLE.byPhone.sortKey),
          index(TABLE.byType.indexName, TABLE.byType.partitionKey, TABLE.byType.sortKey),
        ],
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

async function createQueues(endpoint: string, visibilityTimeoutSeconds: number | undefined) {
  const client = new SQSClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    useQueueUrlAsEndpoint: false,
  });
  const create = async (name: string, attributes: Record<string, string>) => {
    const { QueueUrl } = await client.send(
      new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
    );
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
    );
    if (!QueueUrl || !Attributes?.QueueArn) throw new Error(`could not create local queue ${name}`);
    return { url: QueueUrl, arn: Attributes.QueueArn };
  };
  const withDlq = async (name: string, settings: typeof EVENTS_QUEUE | typeof REPLIES_QUEUE) => {
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
    return { queue, dlq };
  };
  const events = await withDlq("events", EVENTS_QUEUE);
  const replies = await withDlq("replies", REPLIES_QUEUE);
  client.destroy();
  return {
    eventsQueueUrl: events.queue.url,
    eventsQueueArn: events.queue.arn,
    eventsDlqUrl: events.dlq.url,
    repliesQueueUrl: replies.queue.url,
    repliesQueueArn: replies.queue.arn,
    repliesDlqUrl: replies.dlq.url,
  };
}
