import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import * as v from "valibot";
import {
  cents,
  normalisePhone,
  type PendingAirtime,
  type PendingTransactions,
} from "../engines/airtime/validation";
import { conditional } from "./conditional";
import { airtimePendingKey, expiryEpochSeconds, TABLE } from "./keys";

/** A registration expires after a day if AT never asks about it. */
const PENDING_TTL_SECONDS = 86_400;
const VALIDATED = "Validated";

/**
 * The pending-airtime codec. The phone number is kept as E.164 where possible and the amount
 * also in hundredths, so one conditional write can compare them with what AT sends.
 */
export const encodePendingAirtime = (
  transactionId: string,
  request: PendingAirtime,
  nowMs: number,
) => ({
  ...airtimePendingKey(transactionId),
  phoneNumber: normalisePhone(request.phoneNumber),
  currencyCode: request.currencyCode.toUpperCase(),
  amount: request.amount,
  amountCents: cents(request.amount),
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
 * the record indexes. Validating one records the decision on it in the same conditional write;
 * the registration itself stays until its TTL.
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

    async validate(transactionId, callback, signal) {
      const now = Date.now();
      const options = signal ? { abortSignal: signal } : {};
      const validated = await conditional(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: airtimePendingKey(transactionId),
            UpdateExpression:
              "SET #decision = :validated, #decidedAt = if_not_exists(#decidedAt, :now)",
            ConditionExpression: [
              "attribute_exists(#pk) AND #expiresAt > :nowSeconds",
              "#phone = :phone AND #currency = :currency AND #cents = :cents",
              "(attribute_not_exists(#decision) OR #decision = :validated)",
            ].join(" AND "),
            ExpressionAttributeNames: {
              "#pk": TABLE.partitionKey,
              "#expiresAt": TABLE.ttlAttribute,
              "#phone": "phoneNumber",
              "#currency": "currencyCode",
              "#cents": "amountCents",
              "#decision": "decision",
              "#decidedAt": "decidedAt",
            },
            ExpressionAttributeValues: {
              ":validated": VALIDATED,
              ":now": new Date(now).toISOString(),
              ":nowSeconds": Math.floor(now / 1000),
              ":phone": normalisePhone(callback.phoneNumber),
              ":currency": callback.currencyCode.toUpperCase(),
              ":cents": cents(callback.amount),
            },
          }),
          options,
        ),
      );
      if (validated) return undefined;
      // The condition failed: read the registration (no write) to say why.
      const { Item } = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: airtimePendingKey(transactionId),
          ConsistentRead: true,
        }),
        options,
      );
      return whyNotValidated(Item, callback, now);
    },
  };
}

function whyNotValidated(
  item: Record<string, unknown> | undefined,
  callback: PendingAirtime,
  nowMs: number,
): string {
  if (!item) return "no pending request for transactionId";
  if (Number(item[TABLE.ttlAttribute]) <= Math.floor(nowMs / 1000)) {
    return "the pending request has expired";
  }
  const registered = decodePendingAirtime(item);
  if (normalisePhone(registered.phoneNumber) !== normalisePhone(callback.phoneNumber)) {
    return "phoneNumber does not match the pending request";
  }
  if (registered.currencyCode.toUpperCase() !== callback.currencyCode.toUpperCase()) {
    return "currencyCode does not match the pending request";
  }
  if (cents(registered.amount) !== cents(callback.amount)) {
    return "amount does not match the pending request";
  }
  return "the pending request was registered before decisions were recorded; register it again";
}
