import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { deliveryRank, type ReplyState } from "../reply/state";
import { idKey, type RecordItem } from "./records";

/** The `sms.reply` record: a record like any other (same keys and indexes) plus its state. */
export interface ReplyFields {
  state: ReplyState;
  /** Bumped by every state change; state changes are conditional on it. */
  version: number;
  /** How many times a job started sending (moved the reply to `sending`). */
  attempts: number;
  inboundId: string;
  /** Recipient (the subscriber) and sender (our shortcode). */
  to: string;
  from: string;
  message: string;
  linkId?: string;
  keyword?: string;
  /** The attempt that moved the reply to `sending`, and when that attempt's invocation ends. */
  attemptId?: string;
  leaseUntil?: string;
  updatedAt: string;
  /** AT's answer for this recipient. */
  messageId?: string;
  status?: string;
  statusCode?: number;
  cost?: string;
  error?: string;
  suppressedBy?: string;
  /** The best delivery report so far (monotonic, see state.ts). */
  deliveryStatus?: string;
  deliveryRank?: number;
  deliveryFailureReason?: string;
  deliveryNetworkCode?: string;
  deliveryReportedAt?: string;
}
export type ReplyItem = RecordItem & ReplyFields;

export interface Suppression {
  phoneNumber: string;
  /** The sender id or shortcode opted out of; `*` when unknown (a blacklist report for a message we cannot place). */
  sender: string;
  reason: string;
  source: string;
  since: string;
}

export interface DeliveryUpdate {
  status: string;
  failureReason?: string;
  networkCode?: string;
  reportedAt: string;
}

export interface MessageLink {
  inboundId: string;
  from: string;
  to: string;
}

export interface Subscription {
  shortCode: string;
  keyword: string;
  phoneNumber: string;
  active: boolean;
  updateType: string;
  updatedAt: string;
}

/** The port the reply worker and the recorder's effects use; DynamoDB below, fakes in tests. */
export interface ReplyStore {
  getReply(inboundId: string): Promise<ReplyItem | undefined>;
  /** Creates the reply unless it exists; false means another job created it first. */
  createReply(item: ReplyItem): Promise<boolean>;
  /**
   * Changes the reply if it is still as the caller saw it: same `version`, or (after sending)
   * still owned by the caller's attempt in one of `states`. False when the condition failed.
   */
  updateReply(
    inboundId: string,
    expected: { version: number } | { attemptId: string; states: readonly ReplyState[] },
    changes: Partial<ReplyFields>,
  ): Promise<boolean>;
  suppressionFor(phoneNumber: string, senders: readonly string[]): Promise<Suppression | undefined>;
  suppress(entry: Suppression): Promise<void>;
  linkMessage(messageId: string, link: MessageLink): Promise<void>;
  replyForMessage(messageId: string): Promise<MessageLink | undefined>;
  /** Delivery reports already recorded for an AT message id (they may precede the reply). */
  deliveryReports(messageId: string): Promise<DeliveryUpdate[]>;
  /** Applies a report unless the reply already holds one of equal or higher rank. */
  applyDelivery(inboundId: string, update: DeliveryUpdate): Promise<boolean>;
  /** Sets a subscription's state unless a later update was already applied. */
  setSubscription(subscription: Subscription): Promise<boolean>;
}

export const replySortKey = (inboundId: string) => `sms.reply#${inboundId}`;
export const suppressionKey = (phoneNumber: string) => `SUPPRESS#${phoneNumber}`;
export const messageKey = (messageId: string) => `MESSAGE#${messageId}`;
export const subscriptionKey = (shortCode: string, keyword: string) =>
  `SUBSCRIPTION#${shortCode}#${keyword.toUpperCase()}`;

const isConditionFailure = (error: unknown) => error instanceof ConditionalCheckFailedException;

export function dynamoReplyStore(client: DynamoDBDocumentClient, tableName: string): ReplyStore {
  const replyKey = (inboundId: string) => ({ pk: idKey(inboundId), sk: replySortKey(inboundId) });
  const conditional = async (write: () => Promise<unknown>): Promise<boolean> => {
    try {
      await write();
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  };

  return {
    async getReply(inboundId) {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: replyKey(inboundId), ConsistentRead: true }),
      );
      return Item as ReplyItem | undefined;
    },

    createReply(item) {
      return conditional(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: item,
            ConditionExpression: "attribute_not_exists(pk)",
          }),
        ),
      );
    },

    updateReply(inboundId, expected, changes) {
      const names: Record<string, string> = { "#version": "version" };
      const values: Record<string, unknown> = { ":one": 1 };
      const sets = ["#version = #version + :one"];
      for (const [i, [name, value]] of Object.entries(changes).entries()) {
        if (value === undefined) continue;
        names[`#f${i}`] = name;
        values[`:f${i}`] = value;
        sets.push(`#f${i} = :f${i}`);
      }
      let condition: string;
      if ("version" in expected) {
        values[":expected"] = expected.version;
        condition = "#version = :expected";
      } else {
        names["#attemptId"] = "attemptId";
        names["#state"] = "state";
        values[":attemptId"] = expected.attemptId;
        const states = expected.states.map((s, i) => {
          values[`:s${i}`] = s;
          return `:s${i}`;
        });
        condition = `#attemptId = :attemptId AND #state IN (${states.join(", ")})`;
      }
      return conditional(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: replyKey(inboundId),
            UpdateExpression: `SET ${sets.join(", ")}`,
            ConditionExpression: `attribute_exists(pk) AND ${condition}`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        ),
      );
    },

    async suppressionFor(phoneNumber, senders) {
      const { Items = [] } = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": suppressionKey(phoneNumber) },
          ConsistentRead: true,
        }),
      );
      return (Items as Suppression[]).find((s) => senders.includes(s.sender));
    },

    async suppress(entry) {
      // The first opt-out is kept (its date is when suppression began); repeats change nothing.
      await conditional(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: { pk: suppressionKey(entry.phoneNumber), sk: `SENDER#${entry.sender}`, ...entry },
            ConditionExpression: "attribute_not_exists(pk)",
          }),
        ),
      );
    },

    async linkMessage(messageId, link) {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: { pk: messageKey(messageId), sk: "REPLY", messageId, ...link },
        }),
      );
    },

    async replyForMessage(messageId) {
      const { Item } = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: { pk: messageKey(messageId), sk: "REPLY" },
          ConsistentRead: true,
        }),
      );
      return Item ? { inboundId: Item.inboundId, from: Item.from, to: Item.to } : undefined;
    },

    async deliveryReports(messageId) {
      const { Items = [] } = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: "pk = :pk AND begins_with(sk, :type)",
          ExpressionAttributeValues: { ":pk": idKey(messageId), ":type": "sms.delivery#" },
          ConsistentRead: true,
        }),
      );
      return (Items as RecordItem[]).map(deliveryUpdateOf);
    },

    applyDelivery(inboundId, update) {
      const values: Record<string, unknown> = {
        ":status": update.status,
        ":rank": deliveryRank(update.status),
        ":at": update.reportedAt,
      };
      const sets = ["deliveryStatus = :status", "deliveryRank = :rank", "deliveryReportedAt = :at"];
      if (update.failureReason) {
        values[":reason"] = update.failureReason;
        sets.push("deliveryFailureReason = :reason");
      }
      if (update.networkCode) {
        values[":network"] = update.networkCode;
        sets.push("deliveryNetworkCode = :network");
      }
      return conditional(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: replyKey(inboundId),
            UpdateExpression: `SET ${sets.join(", ")}`,
            ConditionExpression:
              "attribute_exists(pk) AND (attribute_not_exists(deliveryRank) OR deliveryRank < :rank)",
            ExpressionAttributeValues: values,
          }),
        ),
      );
    },

    setSubscription(s) {
      return conditional(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              pk: subscriptionKey(s.shortCode, s.keyword),
              sk: `PHONE#${s.phoneNumber}`,
              ...s,
            },
            ConditionExpression: "attribute_not_exists(pk) OR updatedAt <= :at",
            ExpressionAttributeValues: { ":at": s.updatedAt },
          }),
        ),
      );
    },
  };
}

const text = (v: unknown) => (v === undefined || v === null || v === "" ? undefined : String(v));

/** A recorded `sms.delivery` record as a delivery update. */
export function deliveryUpdateOf(item: Pick<RecordItem, "payload" | "receivedAt">): DeliveryUpdate {
  const failureReason = text(item.payload.failureReason);
  const networkCode = text(item.payload.networkCode);
  return {
    status: String(item.payload.status ?? ""),
    reportedAt: item.receivedAt,
    ...(failureReason ? { failureReason } : {}),
    ...(networkCode ? { networkCode } : {}),
  };
}
