import { type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { SessionStore } from "../engines/ussd/session-store";

/**
 * USSD session state in the records table under `USSD#<sessionId>`, outside the record
 * indexes, expired by the table's TTL. Reads also check the expiry, because DynamoDB deletes
 * expired items only eventually.
 */
export function dynamoSessionStore<S>(
  client: DynamoDBDocumentClient,
  tableName: string,
  now: () => number = Date.now,
): SessionStore<S> {
  const key = (sessionId: string) => ({ pk: `USSD#${sessionId}`, sk: "state" });
  return {
    async get(sessionId) {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: key(sessionId), ConsistentRead: true }),
      );
      if (!Item || Number(Item.expiresAt) * 1000 <= now()) return undefined;
      return Item.state as S;
    },
    async put(sessionId, state, ttlSeconds) {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...key(sessionId), state, expiresAt: Math.floor(now() / 1000) + ttlSeconds },
        }),
      );
    },
  };
}
