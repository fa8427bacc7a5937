import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import * as v from "valibot";
import {
  DELIVERY_SORT_KEY_PREFIX,
  deliveryKey,
  expiryEpochSeconds,
  recordPartition,
  TABLE,
} from "./keys";

/** Where a forwarded event stands at one endpoint. */
export type DeliveryState = "retrying" | "delivered" | "failed";

/** What one attempt adds to a delivery's item. */
export interface DeliveryAttempt {
  atId: string;
  endpoint: string;
  url: string;
  eventId: string;
  eventType: string;
  state: DeliveryState;
  at: Date;
  status: number | undefined;
  error: string | undefined;
  /** The start of the endpoint's answer. */
  response: string | undefined;
  /** When the next attempt is due, while retrying. */
  nextAttemptAt: Date | undefined;
  ttlDays: number | undefined;
}

const deliveryItemSchema = v.looseObject({
  [TABLE.partitionKey]: v.string(),
  [TABLE.sortKey]: v.string(),
  endpoint: v.string(),
  url: v.string(),
  eventId: v.string(),
  eventType: v.string(),
  state: v.picklist(["retrying", "delivered", "failed"]),
  attempts: v.number(),
  firstAttemptAt: v.string(),
  lastAttemptAt: v.string(),
  lastStatus: v.optional(v.number()),
  lastError: v.optional(v.string()),
  lastResponse: v.optional(v.string()),
  nextAttemptAt: v.optional(v.string()),
  deliveredAt: v.optional(v.string()),
});

/** A delivery's item as stored. */
export type DeliveryItem = v.InferOutput<typeof deliveryItemSchema>;

export const isDeliveryItem = (item: Record<string, unknown>) =>
  typeof item[TABLE.sortKey] === "string" &&
  (item[TABLE.sortKey] as string).startsWith(DELIVERY_SORT_KEY_PREFIX);

export interface DeliveryStore {
  /** Counts the attempt and keeps its outcome (one UpdateItem). */
  recordAttempt(attempt: DeliveryAttempt): Promise<void>;
}

export function dynamoDeliveryStore(
  client: DynamoDBDocumentClient,
  tableName: string,
): DeliveryStore {
  return {
    async recordAttempt(a) {
      const at = a.at.toISOString();
      const set: Record<string, unknown> = {
        endpoint: a.endpoint,
        url: a.url,
        eventId: a.eventId,
        eventType: a.eventType,
        state: a.state,
        lastAttemptAt: at,
        ...(a.state === "delivered" ? { deliveredAt: at } : {}),
        ...(a.ttlDays === undefined
          ? {}
          : { [TABLE.ttlAttribute]: expiryEpochSeconds(a.at.getTime(), a.ttlDays * 86_400) }),
      };
      const remove: string[] = [];
      const optional = {
        lastStatus: a.status,
        lastError: a.error,
        lastResponse: a.response,
        nextAttemptAt: a.nextAttemptAt?.toISOString(),
      };
      for (const [name, value] of Object.entries(optional)) {
        if (value === undefined || value === "") remove.push(name);
        else set[name] = value;
      }
      const names = Object.fromEntries(
        [...Object.keys(set), ...remove, "attempts", "firstAttemptAt"].map((n) => [`#${n}`, n]),
      );
      const values: Record<string, unknown> = Object.fromEntries(
        Object.entries(set).map(([n, value]) => [`:${n}`, value]),
      );
      values[":one"] = 1;
      values[":first"] = at;
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: deliveryKey(a.atId, a.endpoint, a.eventId),
          UpdateExpression: [
            `SET ${Object.keys(set)
              .map((n) => `#${n} = :${n}`)
              .join(", ")}, #firstAttemptAt = if_not_exists(#firstAttemptAt, :first)`,
            "ADD #attempts :one",
            ...(remove.length ? [`REMOVE ${remove.map((n) => `#${n}`).join(", ")}`] : []),
          ].join(" "),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    },
  };
}

/** Every delivery of the events of the records under one AT id. */
export async function queryDeliveries(
  client: DynamoDBDocumentClient,
  tableName: string,
  atId: string,
): Promise<DeliveryItem[]> {
  const items: DeliveryItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
        ExpressionAttributeNames: { "#pk": TABLE.partitionKey, "#sk": TABLE.sortKey },
        ExpressionAttributeValues: {
          ":pk": recordPartition(atId),
          ":prefix": DELIVERY_SORT_KEY_PREFIX,
        },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const parsed = v.safeParse(deliveryItemSchema, item);
      if (parsed.success) items.push(parsed.output);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}
