/**
 * The embedded DynamoDB (see services.ts): dynalite on a loopback port, on disk in the data
 * directory when there is one, and the table created as the CDK stack creates it (in any
 * DynamoDB: dynalite, or the one --dynamodb-endpoint names).
 */
import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import dynalite from "dynalite";
import { TABLE } from "../functions/table/keys";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "./constants";

export async function startDynalite(
  dataDir: string | undefined,
  port = 0,
): Promise<{ endpoints: { dynamodbEndpoint: string }; stop(): Promise<void> }> {
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
  return {
    endpoints: { dynamodbEndpoint: `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}` },
    stop: () => new Promise<void>((resolve) => dynamo.close(() => resolve())),
  };
}

const tableClient = (endpoint: string) =>
  new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });

export async function dropTable(endpoint: string, tableName: string) {
  const client = tableClient(endpoint);
  await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
  client.destroy();
}

export async function createTable(endpoint: string, tableName: string) {
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
