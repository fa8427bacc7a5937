import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { monthOf, phonePartition, recordPartition, TABLE, typePartition } from "./keys";
import { decodeRecordItem, RECORD_TYPES, type RecordItem, type RecordType } from "./records";

export interface RecordStore {
  /** Writes the record unless one with the same key exists; false means it was a duplicate. */
  putOnce(item: RecordItem): Promise<boolean>;
}

export function dynamoRecordStore(client: DynamoDBDocumentClient, tableName: string): RecordStore {
  return {
    async putOnce(item) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: item,
            ConditionExpression: "attribute_not_exists(#pk)",
            ExpressionAttributeNames: { "#pk": TABLE.partitionKey },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
  };
}

export interface RecordFilter {
  type?: RecordType;
  phone?: string;
  id?: string;
  /** ISO time: only records received at or after it. */
  since?: string;
  limit: number;
}

/**
 * Reads records newest first without a scan: by AT id (table key), by phone number
 * (byPhone index) or by type and month (byType index). With no filter, every type's
 * month partitions are read back from the current month until the limit is reached.
 */
export async function queryRecords(
  client: DynamoDBDocumentClient,
  tableName: string,
  filter: RecordFilter,
  now = new Date(),
): Promise<RecordItem[]> {
  const since = filter.since ?? "";
  const keep = (items: RecordItem[]) =>
    items
      .filter((r) => r.receivedAt >= since)
      .filter((r) => !filter.type || r.type === filter.type)
      .filter((r) => !filter.phone || r.phoneNumber === filter.phone)
      .sort((a, b) => (a.receivedAt < b.receivedAt ? 1 : a.receivedAt > b.receivedAt ? -1 : 0))
      .slice(0, filter.limit);

  if (filter.id) {
    return keep(
      await queryAll(client, {
        TableName: tableName,
        KeyConditionExpression: "#pk = :pk",
        ExpressionAttributeNames: { "#pk": TABLE.partitionKey },
        ExpressionAttributeValues: { ":pk": recordPartition(filter.id) },
      }),
    );
  }
  if (filter.phone) {
    return keep(
      await queryAll(
        client,
        {
          TableName: tableName,
          IndexName: TABLE.byPhone.indexName,
          KeyConditionExpression: "#pk = :pk AND #sk >= :since",
          ExpressionAttributeNames: {
            "#pk": TABLE.byPhone.partitionKey,
            "#sk": TABLE.byPhone.sortKey,
          },
          ExpressionAttributeValues: { ":pk": phonePartition(filter.phone), ":since": since },
          ScanIndexForward: false,
        },
        filter.type ? undefined : filter.limit,
      ),
    );
  }
  const types = filter.type ? [filter.type] : RECORD_TYPES;
  const found: RecordItem[] = [];
  for (const month of monthsBack(now, since)) {
    for (const type of types) {
      found.push(
        ...(await queryAll(
          client,
          {
            TableName: tableName,
            IndexName: TABLE.byType.indexName,
            KeyConditionExpression: "#pk = :pk AND #sk >= :since",
            ExpressionAttributeNames: {
              "#pk": TABLE.byType.partitionKey,
              "#sk": TABLE.byType.sortKey,
            },
            ExpressionAttributeValues: { ":pk": typePartition(type, month), ":since": since },
            ScanIndexForward: false,
          },
          filter.limit,
        )),
      );
    }
    if (found.length >= filter.limit) break;
  }
  return keep(found);
}

/** Months from now back to `since` (or one year when there is no `since`), newest first. */
export function monthsBack(now: Date, since: string): string[] {
  const oldest = since
    ? monthOf(since)
    : monthOf(new Date(now.getTime() - 365 * 86_400_000).toISOString());
  const months: string[] = [];
  const cursor = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  while (monthOf(cursor.toISOString()) >= oldest) {
    months.push(monthOf(cursor.toISOString()));
    cursor.setUTCMonth(cursor.getUTCMonth() - 1);
  }
  return months;
}

async function queryAll(
  client: DynamoDBDocumentClient,
  input: ConstructorParameters<typeof QueryCommand>[0],
  limit?: number,
): Promise<RecordItem[]> {
  const items: RecordItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []).map(decodeRecordItem));
    start = page.LastEvaluatedKey;
  } while (start && (limit === undefined || items.length < limit));
  return items;
}
