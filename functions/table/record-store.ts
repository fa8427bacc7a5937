import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { isDeliveryItem } from "./deliveries";
import { monthOf, phonePartition, recordPartition, TABLE, typePartition } from "./keys";
import { decodeRecordItem, RECORD_TYPES, type RecordItem, type RecordType } from "./records";

export interface RecordStore {
  /** Writes the record unless one with the same key exists; false means it was a duplicate. */
  putOnce(item: RecordItem): Promise<boolean>;
  /** The record stored under the same key as `item` (read after a write, so strongly). */
  stored(item: RecordItem): Promise<RecordItem | undefined>;
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
    async stored(item) {
      const { Item } = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: { [TABLE.partitionKey]: item.pk, [TABLE.sortKey]: item.sk },
          ConsistentRead: true,
        }),
      );
      return Item === undefined ? undefined : decodeRecordItem(Item);
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
 * Reads records newest first without a scan, asking DynamoDB for no more than `limit`:
 * - `id`: the AT id's partition (a handful of items);
 * - `phone` (and `type`, filtered on the server): the byPhone index, newest first;
 * - otherwise the byType index, one partition per type and month: a month's types are read
 *   together, month after month back from now, until `limit` records are in hand (the
 *   records of older months are all older, so the newest are then known).
 * `since` bounds the index sort keys; without it there is no sort-key condition at all
 * (DynamoDB refuses an empty string as an index key value).
 */
export async function queryRecords(
  client: DynamoDBDocumentClient,
  tableName: string,
  filter: RecordFilter,
  now = new Date(),
): Promise<RecordItem[]> {
  const { since, limit } = filter;
  const newestFirst = (items: RecordItem[]) =>
    items
      .filter((r) => since === undefined || r.receivedAt >= since)
      .sort((a, b) => (a.receivedAt < b.receivedAt ? 1 : a.receivedAt > b.receivedAt ? -1 : 0))
      .slice(0, limit);

  if (filter.id) {
    const partitionKey = { name: TABLE.partitionKey, value: recordPartition(filter.id) };
    return newestFirst(await queryAll(client, queryInput(tableName, { partitionKey, ...filter })));
  }
  if (filter.phone) {
    const input = queryInput(tableName, {
      indexName: TABLE.byPhone.indexName,
      partitionKey: { name: TABLE.byPhone.partitionKey, value: phonePartition(filter.phone) },
      sortKey: TABLE.byPhone.sortKey,
      ...filter,
    });
    return newestFirst(await queryAll(client, input, limit));
  }
  const types = filter.type ? [filter.type] : RECORD_TYPES;
  const found: RecordItem[] = [];
  for (const month of monthsBack(now, since ?? "")) {
    const pages = await Promise.all(
      types.map((type) =>
        queryAll(
          client,
          queryInput(tableName, {
            indexName: TABLE.byType.indexName,
            partitionKey: { name: TABLE.byType.partitionKey, value: typePartition(type, month) },
            sortKey: TABLE.byType.sortKey,
            since,
          }),
          limit,
        ),
      ),
    );
    found.push(...pages.flat());
    if (found.length >= limit) break;
  }
  return newestFirst(found);
}

interface QuerySpec {
  indexName?: string;
  partitionKey: { name: string; value: string };
  /** An index sort key (they begin with the time received), bounded below by `since`. */
  sortKey?: string;
  since?: string | undefined;
  /** Filtered on the server. */
  type?: RecordType | undefined;
}

/**
 * One Query's input; on an index, newest first. Without `since` there is no sort-key condition
 * at all: DynamoDB refuses an empty string as an index key value.
 */
function queryInput(tableName: string, spec: QuerySpec): QueryCommandInput {
  const names: Record<string, string> = { "#pk": spec.partitionKey.name };
  const values: Record<string, unknown> = { ":pk": spec.partitionKey.value };
  let condition = "#pk = :pk";
  if (spec.sortKey !== undefined && spec.since !== undefined) {
    condition += " AND #sk >= :since";
    names["#sk"] = spec.sortKey;
    values[":since"] = spec.since;
  }
  if (spec.type !== undefined) {
    names["#type"] = "type";
    values[":type"] = spec.type;
  }
  return {
    TableName: tableName,
    ...(spec.indexName ? { IndexName: spec.indexName } : {}),
    KeyConditionExpression: condition,
    ...(spec.type !== undefined ? { FilterExpression: "#type = :type" } : {}),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ...(spec.indexName ? { ScanIndexForward: false } : {}),
  };
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

/** Pages through a Query, asking each page for no more than the records still wanted. */
async function queryAll(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
  limit?: number,
): Promise<RecordItem[]> {
  const items: RecordItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        ...input,
        ...(limit === undefined ? {} : { Limit: limit - items.length }),
        ExclusiveStartKey: start,
      }),
    );
    // Deliveries of forwarded events share a record's partition (functions/table/deliveries.ts).
    items.push(...(page.Items ?? []).filter((item) => !isDeliveryItem(item)).map(decodeRecordItem));
    start = page.LastEvaluatedKey;
  } while (start && (limit === undefined || items.length < limit));
  return items;
}
