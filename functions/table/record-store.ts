import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { isDeliveryItem } from "./deliveries";
import {
  type ItemKey,
  monthOf,
  recordPartition,
  recordSortKeyPrefix,
  replyKey,
  TABLE,
  typePartition,
} from "./keys";
import { decodeRecordItem, RECORD_TYPES, type RecordItem, type RecordType } from "./records";
import { bestDelivery, deliveryFields, dynamoReplies } from "./replies";

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
 * - otherwise the index, one partition per type and month: a month's types are read together,
 *   month after month back from now, until `limit` records are in hand (the records of older
 *   months are all older, so the newest are then known). `phone` is filtered on the server
 *   (the index projects the phone number and nothing else), then the records are read by key.
 * Replies are not indexed: each is read with its inbound message (same receivedAt), so they
 * list by type, phone and time all the same. A reply's delivery status is its best report.
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
      .filter((r) => filter.type === undefined || r.type === filter.type)
      .filter((r) => filter.phone === undefined || r.phoneNumber === filter.phone)
      .sort((a, b) => (a.receivedAt < b.receivedAt ? 1 : a.receivedAt > b.receivedAt ? -1 : 0))
      .slice(0, limit);

  if (filter.id) {
    const partitionKey = { name: TABLE.partitionKey, value: recordPartition(filter.id) };
    const { type: _type, phone: _phone, ...byId } = filter;
    const items = await queryAll(client, queryInput(tableName, { partitionKey, ...byId }));
    return newestFirst(await withDelivery(client, tableName, items.map(decodeRecordItem)));
  }
  // Replies are found through their inbound messages.
  const wantsReplies = filter.type === undefined || filter.type === "sms.reply";
  const types =
    filter.type === "sms.reply"
      ? (["sms.incoming"] as const)
      : filter.type
        ? [filter.type]
        : RECORD_TYPES.filter((t) => t !== "sms.reply");
  const found: ItemKey[] = [];
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
            phone: filter.phone,
          }),
          limit,
        ),
      ),
    );
    found.push(...pages.flat().map(keyOf));
    if (found.length >= limit) break;
  }
  const keys = found.flatMap((key) => {
    const reply = wantsReplies && key.sk.startsWith(recordSortKeyPrefix("sms.incoming"));
    return reply ? [key, replyKey(key.pk.slice(recordPartition("").length))] : [key];
  });
  const items = (await getAll(client, tableName, keys)).map(decodeRecordItem);
  return newestFirst(await withDelivery(client, tableName, items));
}

const keyOf = (item: Record<string, unknown>): ItemKey => ({
  [TABLE.partitionKey]: String(item[TABLE.partitionKey]),
  [TABLE.sortKey]: String(item[TABLE.sortKey]),
});

/** The items under `keys` (BatchGetItem, 100 keys a call, unprocessed keys asked again). */
async function getAll(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly ItemKey[],
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    let pending: Record<string, unknown>[] | undefined = keys
      .slice(i, i + 100)
      .map((k) => ({ ...k }));
    for (let round = 0; pending && pending.length > 0; round++) {
      if (round > 0)
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** round)));
      const page: BatchGetCommandOutput = await client.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending } } }),
      );
      items.push(...(page.Responses?.[tableName] ?? []));
      pending = page.UnprocessedKeys?.[tableName]?.Keys;
    }
  }
  return items;
}

/**
 * Replies with their delivery status: the best report recorded for their AT message id
 * (reports are records of their own; a reply is not rewritten for each of them).
 */
async function withDelivery(
  client: DynamoDBDocumentClient,
  tableName: string,
  items: RecordItem[],
): Promise<RecordItem[]> {
  return Promise.all(
    items.map(async (item) => {
      const messageId = (item as { messageId?: unknown }).messageId;
      if (item.type !== "sms.reply" || typeof messageId !== "string") return item;
      const best = bestDelivery(await dynamoReplies(client, tableName).deliveryReports(messageId));
      return best ? { ...item, ...deliveryFields(best) } : item;
    }),
  );
}

interface QuerySpec {
  indexName?: string;
  partitionKey: { name: string; value: string };
  /** An index sort key (they begin with the time received), bounded below by `since`. */
  sortKey?: string;
  since?: string | undefined;
  /** Filtered on the server. */
  phone?: string | undefined;
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
  if (spec.phone !== undefined) {
    names["#phone"] = "phoneNumber";
    values[":phone"] = spec.phone;
  }
  return {
    TableName: tableName,
    ...(spec.indexName ? { IndexName: spec.indexName } : {}),
    KeyConditionExpression: condition,
    ...(spec.phone !== undefined ? { FilterExpression: "#phone = :phone" } : {}),
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
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
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
    items.push(...(page.Items ?? []).filter((item) => !isDeliveryItem(item)));
    start = page.LastEvaluatedKey;
  } while (start && (limit === undefined || items.length < limit));
  return items;
}
