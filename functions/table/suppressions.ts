import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import * as v from "valibot";
import { conditional } from "./conditional";
import { suppressionKey, suppressionPartition, TABLE } from "./keys";

const suppressionSchema = v.object({
  phoneNumber: v.string(),
  /** The sender id or shortcode opted out of; `*` when unknown (a blacklist report for a message we cannot place). */
  sender: v.string(),
  reason: v.string(),
  source: v.string(),
  /** When the callback that suppressed the number was first received (ISO 8601, UTC). */
  since: v.string(),
  /**
   * Set when an operator lifted the suppression: the item stays as a tombstone, so that an
   * opt-out received before the lift (an AT retry, a redelivery, a dead-letter redrive) never
   * suppresses the number again. Only one received after it does.
   */
  liftedAt: v.optional(v.string()),
});
export type Suppression = v.InferOutput<typeof suppressionSchema>;

/** The suppression codec: one item per (number, sender). */
export const encodeSuppression = (entry: Suppression) => ({
  ...suppressionKey(entry.phoneNumber, entry.sender),
  ...entry,
});
export const decodeSuppression = (item: unknown): Suppression => v.parse(suppressionSchema, item);

/** In force: not lifted. */
export const isActive = (s: Suppression) => s.liftedAt === undefined;

/** Numbers that must not get a reply (opted out, blacklisted). */
export interface SuppressionList {
  suppressionFor(phoneNumber: string, senders: readonly string[]): Promise<Suppression | undefined>;
  /**
   * Suppresses the number for the sender; the first suppression is kept, repeats change nothing,
   * and one received (`since`) before the last lift of that suppression changes nothing either.
   */
  suppress(entry: Omit<Suppression, "liftedAt">): Promise<void>;
}

export function dynamoSuppressionList(
  client: DynamoDBDocumentClient,
  tableName: string,
): SuppressionList {
  return {
    async suppressionFor(phoneNumber, senders) {
      const { Items = [] } = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: "#pk = :pk",
          ExpressionAttributeNames: { "#pk": TABLE.partitionKey },
          ExpressionAttributeValues: { ":pk": suppressionPartition(phoneNumber) },
          ConsistentRead: true,
        }),
      );
      return Items.map(decodeSuppression).find((s) => isActive(s) && senders.includes(s.sender));
    },

    async suppress(entry) {
      // The first opt-out is kept (its date is when suppression began); repeats change nothing.
      // After a lift, only an opt-out received later suppresses again (ISO 8601 UTC times
      // compare as strings): effects are re-applied for duplicates, and a duplicate of the
      // lifted opt-out carries the time it was first received.
      await conditional(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: encodeSuppression(entry),
            ConditionExpression: "attribute_not_exists(#pk) OR #liftedAt < :since",
            ExpressionAttributeNames: { "#pk": TABLE.partitionKey, "#liftedAt": "liftedAt" },
            ExpressionAttributeValues: { ":since": entry.since },
          }),
        ),
      );
    },
  };
}

/**
 * Lifts a suppression (the subscriber opted back in): marks it lifted at `liftedAt` rather than
 * deleting it, so that replays of the opt-out it came from cannot bring it back. False when it
 * was not in force (already lifted, or never there).
 */
export async function liftSuppression(
  client: DynamoDBDocumentClient,
  tableName: string,
  suppression: Pick<Suppression, "phoneNumber" | "sender">,
  liftedAt: Date,
): Promise<boolean> {
  return conditional(() =>
    client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: suppressionKey(suppression.phoneNumber, suppression.sender),
        UpdateExpression: "SET #liftedAt = :liftedAt",
        ConditionExpression: "attribute_exists(#pk) AND attribute_not_exists(#liftedAt)",
        ExpressionAttributeNames: { "#pk": TABLE.partitionKey, "#liftedAt": "liftedAt" },
        ExpressionAttributeValues: { ":liftedAt": liftedAt.toISOString() },
      }),
    ),
  );
}
