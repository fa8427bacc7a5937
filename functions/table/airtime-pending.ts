import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import * as v from "valibot";
import type { PendingAirtime, PendingTransactions } from "../engines/airtime/validation";
import { airtimePendingKey, expiryEpochSeconds, TABLE } from "./keys";

/** A registration expires after a day if AT never asks about it. */
const PENDING_TTL_SECONDS = 86_400;

/** The pending-airtime codec. */
export const encodePendingAirtime = (
  transactionId: string,
  request: PendingAirtime,
  nowMs: number,
) => ({
  ...airtimePendingKey(transactionId),
  ...request,
  registeredAt: new Date(nowMs).toISOString(),
  [TABLE.ttlAttribute]: expiryEpochSeconds(nowMs, PENDING_TTL_SECONDS),
});

const pendingAirtimeSchema = v.object({
  phoneNumber: v.pipe(v.unknown(), v.transform(String)),
  currencyCode: v.pipe(v.unknown(), v.transform(String)),
  amount: v.pipe(v.unknown(), v.transform(Number)),
});
export const decodePendingAirtime = (item: unknown): PendingAirtime =>
  v.parse(pendingAirtimeSchema, item);

/**
 * Pending airtime requests live in the records table under `AIRTIME#<transactionId>`, outside
 * the record indexes. Consuming one deletes it, so a transaction can be validated only once.
 */
export function dynamoPendingTransactions(
  client: DynamoDBDocumentClient,
  tableName: string,
): PendingTransactions & {
  register(transactionId: string, request: PendingAirtime): Promise<void>;
} {
  return {
    async register(transactionId, request) {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: encodePendingAirtime(transactionId, request, Date.now()),
        }),
      );
    },
    async consume(transactionId) {
      try {
        const { Attributes } = await client.send(
          new DeleteCommand({
            TableName: tableName,
            Key: airtimePendingKey(transactionId),
            ConditionExpression: "attribute_exists(#pk) AND #expiresAt > :now",
            ExpressionAttributeNames: {
              "#pk": TABLE.partitionKey,
              "#expiresAt": TABLE.ttlAttribute,
            },
            ExpressionAttributeValues: { ":now": Math.floor(Date.now() / 1000) },
            ReturnValues: "ALL_OLD",
          }),
        );
        return Attributes ? decodePendingAirtime(Attributes) : undefined;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return undefined;
        throw error;
      }
    },
  };
}
