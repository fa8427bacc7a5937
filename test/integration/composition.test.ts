import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import type { QueueName } from "../../functions/routes";
import { QUEUES, type QueueSettings } from "../../functions/settings";
import { TABLE } from "../../functions/table/keys";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/constants";
import { type LocalStack, startLocalStack } from "../../local/stack";
import { startTestStack, TEST_KEY, testServiceOptions } from "../support/local";

describe("the local stack", () => {
  it("builds every handler from its factory without touching process.env", async () => {
    const before = { ...process.env };
    const stack = await startLocalStack({
      ...testServiceOptions(),
      port: 0,
      callbackKey: TEST_KEY,
      settings: { SMS_REPLY_TEMPLATE: "Got it" },
    });
    try {
      expect({ ...process.env }).toEqual(before);
      const res = await fetch(`${stack.url}/api/ussd/status?key=${TEST_KEY}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "sessionId=ATUid_composition",
      });
      expect(res.status).toBe(200);
    } finally {
      await stack.stop();
    }
    expect({ ...process.env }).toEqual(before);
  });
});

describe("local/ derives from the definitions CDK reads", () => {
  it("creates every queue with its deployed settings, the visibility timeout overridable for tests", async () => {
    const start = (visibility?: { visibilityTimeoutSeconds: number }) =>
      startLocalStack({ ...testServiceOptions(), port: 0, callbackKey: TEST_KEY, ...visibility });
    const deployed = await start();
    const quick = await start({ visibilityTimeoutSeconds: 2 });
    const attributesOf = async (stack: LocalStack, name: QueueName) => {
      const sqs = new SQSClient({
        endpoint: stack.services.sqsEndpoint,
        region: LOCAL_REGION,
        credentials: LOCAL_CREDENTIALS,
        useQueueUrlAsEndpoint: false,
      });
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: stack.services.queues[name].url,
          AttributeNames: ["VisibilityTimeout", "RedrivePolicy", "MessageRetentionPeriod"],
        }),
      );
      sqs.destroy();
      return Attributes;
    };
    try {
      for (const [name, settings] of Object.entries(QUEUES) as [QueueName, QueueSettings][]) {
        const attributes = (stack: LocalStack) => attributesOf(stack, name);
        const onDeployed = await attributes(deployed);
        expect(onDeployed.VisibilityTimeout, name).toBe(String(settings.visibilityTimeoutSeconds));
        expect(onDeployed.MessageRetentionPeriod, name).toBe(
          String(settings.retentionDays * 86_400),
        );
        expect(JSON.parse(onDeployed.RedrivePolicy ?? "{}").maxReceiveCount, name).toBe(
          String(settings.maxReceiveCount),
        );
        expect((await attributes(quick)).VisibilityTimeout, name).toBe("2");
      }
    } finally {
      await Promise.all([deployed.stop(), quick.stop()]);
    }
  });

  it("creates the table with the keys, indexes and projections of TABLE", async () => {
    const local = await startTestStack();
    try {
      const client = new DynamoDBClient({
        endpoint: local.stack.services.dynamodbEndpoint,
        region: LOCAL_REGION,
        credentials: LOCAL_CREDENTIALS,
      });
      const { Table } = await client.send(
        new DescribeTableCommand({ TableName: local.stack.services.tableName }),
      );
      client.destroy();
      expect(
        (Table?.GlobalSecondaryIndexes ?? [])
          .map((index) => ({
            name: index.IndexName,
            keys: index.KeySchema?.map((k) => k.AttributeName),
            projection: index.Projection?.ProjectionType,
          }))
          .sort((a, b) => String(a.name).localeCompare(String(b.name))),
      ).toEqual(
        TABLE.indexes
          .map((index) => ({
            name: index.indexName,
            keys: [index.partitionKey, index.sortKey],
            projection: index.projection.type,
          }))
          .sort((a, b) => a.name.localeCompare(b.name)),
      );
      expect(Table?.KeySchema?.map((k) => k.AttributeName)).toEqual([
        TABLE.partitionKey,
        TABLE.sortKey,
      ]);
    } finally {
      await local.stop();
    }
  });
});
