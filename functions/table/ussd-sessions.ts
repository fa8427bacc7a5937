import { type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import * as v from "valibot";
import type { SessionStore } from "../engines/ussd/session-store";
import { expiryEpochSeconds, TABLE, ussdSessionKey } from "./keys";

/**
 * USSD session state in the records table under `USSD#<sessionId>`, outside the record
 * indexes, expired by the table's TTL. Reads also check the expiry, because DynamoDB deletes
 * expired items only eventually, and read the state back through the menu's own schema (e.g.
 * `v.object({ visits: v.number() })`): state written by an older menu is refused, not trusted.
 */
export function dynamoSessionStore<S>(
  client: DynamoDBDocumentClient,
  tableName: string,
  stateSchema: v.GenericSchema<unknown, S>,
  now: () => number = Date.now,
): SessionStore<S> {
  return {
    async get(sessionId, signal) {
      const { Item } = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: ussdSessionKey(sessionId),
          ConsistentRead: true,
        }),
        signal ? { abortSignal: signal } : {},
      );
      if (!Item || Number(Item[TABLE.ttlAttribute]) * 1000 <= now()) return undefined;
      return v.parse(stateSchema, Item.state);
    },
    async put(sessionId, state, ttlSeconds, signal) {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...ussdSessionKey(sessionId),
            state,
            [TABLE.ttlAttribute]: expiryEpochSeconds(now(), ttlSeconds),
          },
        }),
        signal ? { abortSignal: signal } : {},
      );
    },
  };
}
