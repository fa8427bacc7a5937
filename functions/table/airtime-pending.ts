import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { PendingAirtime, PendingTransactions } from "../engines/airtime/validation";

/**
 * Pending airtime requests live in the records table under `AIRTIME#<transactionId>`, outside
 * the record indexes. Consuming one deletes it, so a transaction can be validated only once.
 */
const key = (transactionId: string) => ({ pk: `AIRTIME#${transactionId}`, sk: "pending" });

/** A registration expires after a day if AT never asks about it. */
const PENDING_TTL_SECONDS = 86_400;

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
          Item: {
            ...key(transactionId),
            ...request,
            registeredAt: new Date().toISOString(),
            expiresAt: Math.floor(Date.now() / 1000) + PENDING_TTL_SECONDS,
          },
        }),
      );
    },
    async consume(transactionId) {
      try {
        const { Attributes } = await client.send(
          new DeleteCommand({
            TableName: tableName,
            Key: key(transactionId),
            ConditionExpression: "attribute_exists(pk) AND expiresAt > :now",
            ExpressionAttributeValues: { ":now": Math.floor(Date.now() / 1000) },
            ReturnValues: "ALL_OLD",
          }),
        );
        if (!Attributes) return undefined;
        return {
          phoneNumber: String(Attributes.phoneNumber),
          currencyCode: String(Attributes.currencyCode),
          amount: Number(Attributes.amount),
        };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return undefined;
        throw error;
      }
    },
  };
}
