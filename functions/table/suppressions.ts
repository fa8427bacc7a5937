import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import * as v from "valibot";
import { conditional } from "./conditional";
import { suppressionKey, suppressionPartition, TABLE } from "./keys";

const suppressionSchema = v.object({
  phoneNumber: v.string(),
  /** The sender id or shortcode opted out of; `*` when unknown (a blacklist report for a message we cannot place). */
  sender: v.string(),
  reason: v.string(),
  source: v.string(),
  since: v.string(),
});
export type Suppression = v.InferOutput<typeof suppressionSchema>;

/** The suppression codec: one item per (number, sender). */
export const encodeSuppression = (entry: Suppression) => ({
  ...suppressionKey(entry.phoneNumber, entry.sender),
  ...entry,
});
export const decodeSuppression = (item: unknown): Suppression => v.parse(suppressionSchema, item);

/** Numbers that must not get a reply (opted out, blacklisted). */
export interface SuppressionList {
  suppressionFor(phoneNumber: string, senders: readonly string[]): Promise<Suppression | undefined>;
  /** Suppresses the number for the sender; the first suppression is kept, repeats change nothing. */
  suppress(entry: Suppression): Promise<void>;
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
      return Items.map(decodeSuppression).find((s) => senders.includes(s.sender));
    },

    async suppress(entry) {
      // The first opt-out is kept (its date is when suppression began); repeats change nothing.
      await conditional(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: encodeSuppression(entry),
            ConditionExpression: "attribute_not_exists(#pk)",
            ExpressionAttributeNames: { "#pk": TABLE.partitionKey },
          }),
        ),
      );
    },
  };
}
