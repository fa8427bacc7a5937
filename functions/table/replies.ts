import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import * as v from "valibot";
import { deliveryRank, REPLY_STATES, type ReplyState } from "../model/reply-state";
import { MESSAGE_LINK_TTL_DAYS } from "../settings";
import { conditional } from "./conditional";
import {
  expiryEpochSeconds,
  messageLinkKey,
  recordPartition,
  recordSortKeyPrefix,
  replyKey,
  TABLE,
} from "./keys";
import {
  decodeRecordItem,
  encodeRecord,
  type RecordItem,
  recordedCallback,
  recordItemEntries,
} from "./records";
import { dynamoSubscriptions, type Subscriptions } from "./subscriptions";
import { dynamoSuppressionList, type SuppressionList } from "./suppressions";

const replyFieldEntries = {
  state: v.picklist(REPLY_STATES),
  /** Bumped by every state change; state changes are conditional on it. */
  version: v.number(),
  /** How many times a job started sending (moved the reply to `sending`). */
  attempts: v.number(),
  inboundId: v.string(),
  /** Recipient (the subscriber) and sender (our shortcode). */
  to: v.string(),
  from: v.string(),
  message: v.string(),
  linkId: v.optional(v.string()),
  keyword: v.optional(v.string()),
  /** The attempt that moved the reply to `sending`, and when that attempt's invocation ends. */
  attemptId: v.optional(v.string()),
  leaseUntil: v.optional(v.string()),
  updatedAt: v.string(),
  /** AT's answer for this recipient. */
  messageId: v.optional(v.string()),
  status: v.optional(v.string()),
  statusCode: v.optional(v.number()),
  cost: v.optional(v.string()),
  error: v.optional(v.string()),
  suppressedBy: v.optional(v.string()),
  /** The best delivery report so far (monotonic, see reply/state.ts). */
  deliveryStatus: v.optional(v.string()),
  deliveryRank: v.optional(v.number()),
  deliveryFailureReason: v.optional(v.string()),
  deliveryNetworkCode: v.optional(v.string()),
  deliveryReportedAt: v.optional(v.string()),
};
const replyFieldsSchema = v.object(replyFieldEntries);
const replyItemSchema = v.looseObject({ ...recordItemEntries, ...replyFieldEntries });

/** The `sms.reply` record's own fields: its state and AT's answer. */
export type ReplyFields = v.InferOutput<typeof replyFieldsSchema>;
/** The `sms.reply` record: a record like any other (same keys and indexes) plus its state. */
export type ReplyItem = v.InferOutput<typeof replyItemSchema>;

export const decodeReplyItem = (item: unknown): ReplyItem => v.parse(replyItemSchema, item);

/** A new reply to an inbound message, in state `pending`. */
export interface NewReply {
  inboundId: string;
  /** When the inbound message was received: the pair lists together. */
  receivedAt: string;
  to: string;
  from: string;
  message: string;
  linkId?: string | undefined;
  keyword?: string | undefined;
  now: string;
  ttlDays: number | undefined;
}

/** The reply codec: the `sms.reply` record filed under the inbound message's id. */
export function encodeNewReply(reply: NewReply): ReplyItem {
  const { inboundId, to, from, message, linkId, keyword } = reply;
  // Only an E.164 recipient is filed under its number.
  const phone = to.startsWith("+") ? to : undefined;
  const optional = { ...(linkId ? { linkId } : {}), ...(keyword ? { keyword } : {}) };
  return {
    ...encodeRecord({
      type: "sms.reply",
      id: inboundId,
      identity: inboundId,
      receivedAt: reply.receivedAt,
      route: "replier",
      phones: phone ? { to: phone } : {},
      phoneNumber: phone,
      payload: { to, from, message, ...optional },
      recordedAt: reply.now,
      ttlDays: reply.ttlDays,
      indexed: false,
    }),
    state: "pending",
    version: 0,
    attempts: 0,
    inboundId,
    to,
    from,
    message,
    ...optional,
    updatedAt: reply.now,
  };
}

export interface DeliveryUpdate {
  status: string;
  failureReason?: string;
  networkCode?: string;
  reportedAt: string;
}

const messageLinkSchema = v.object({ inboundId: v.string(), from: v.string(), to: v.string() });
export type MessageLink = v.InferOutput<typeof messageLinkSchema>;

/** The link codec: AT's message id → the reply it was sent for; it expires (see settings). */
export const encodeMessageLink = (messageId: string, link: MessageLink, nowMs = Date.now()) => ({
  ...messageLinkKey(messageId),
  messageId,
  ...link,
  [TABLE.ttlAttribute]: expiryEpochSeconds(nowMs, MESSAGE_LINK_TTL_DAYS * 86_400),
});
export const decodeMessageLink = (item: unknown): MessageLink => v.parse(messageLinkSchema, item);

/** Reply state and the links from AT message ids back to replies. */
export interface Replies {
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
  linkMessage(messageId: string, link: MessageLink): Promise<void>;
  replyForMessage(messageId: string): Promise<MessageLink | undefined>;
  /** Delivery reports recorded for an AT message id: a reply's delivery status is the best. */
  deliveryReports(messageId: string): Promise<DeliveryUpdate[]>;
}

/** Everything the reply worker and the recorder's effects keep in the table. */
export type ReplyStore = Replies & SuppressionList & Subscriptions;

export const dynamoReplyStore = (
  client: DynamoDBDocumentClient,
  tableName: string,
): ReplyStore => ({
  ...dynamoReplies(client, tableName),
  ...dynamoSuppressionList(client, tableName),
  ...dynamoSubscriptions(client, tableName),
});

const PK = { "#pk": TABLE.partitionKey } as const;

export function dynamoReplies(client: DynamoDBDocumentClient, tableName: string): Replies {
  return {
    async getReply(inboundId) {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: replyKey(inboundId), ConsistentRead: true }),
      );
      return Item ? decodeReplyItem(Item) : undefined;
    },

    createReply(item) {
      return conditional(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: item,
            ConditionExpression: "attribute_not_exists(#pk)",
            ExpressionAttributeNames: PK,
          }),
        ),
      );
    },

    updateReply(inboundId, expected, changes) {
      const names: Record<string, string> = { ...PK, "#version": "version" };
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
            ConditionExpression: `attribute_exists(#pk) AND ${condition}`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        ),
      );
    },

    async linkMessage(messageId, link) {
      await client.send(
        new PutCommand({ TableName: tableName, Item: encodeMessageLink(messageId, link) }),
      );
    },

    async replyForMessage(messageId) {
      const { Item } = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: messageLinkKey(messageId),
          ConsistentRead: true,
        }),
      );
      return Item ? decodeMessageLink(Item) : undefined;
    },

    async deliveryReports(messageId) {
      const { Items = [] } = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :type)",
          ExpressionAttributeNames: { ...PK, "#sk": TABLE.sortKey },
          ExpressionAttributeValues: {
            ":pk": recordPartition(messageId),
            ":type": recordSortKeyPrefix("sms.delivery"),
          },
          ConsistentRead: true,
        }),
      );
      return Items.map(decodeRecordItem).map(deliveryUpdateOf);
    },
  };
}

/** A recorded `sms.delivery` record as a delivery update. */
export function deliveryUpdateOf(
  item: Pick<RecordItem, "type" | "id" | "payload" | "receivedAt">,
): DeliveryUpdate {
  const { status, failureReason, networkCode } = recordedCallback("sms.delivery", item).fields;
  return {
    status,
    reportedAt: item.receivedAt,
    ...(failureReason ? { failureReason } : {}),
    ...(networkCode ? { networkCode } : {}),
  };
}

/**
 * The report a reply's delivery status is: the highest in rank (a final status beats an
 * interim one whatever the order they arrived in), the first of equal rank.
 */
export function bestDelivery(updates: readonly DeliveryUpdate[]): DeliveryUpdate | undefined {
  let best: DeliveryUpdate | undefined;
  for (const update of updates) {
    const rank = deliveryRank(update.status);
    const bestRank = best ? deliveryRank(best.status) : 0;
    if (!best || rank > bestRank || (rank === bestRank && update.reportedAt < best.reportedAt)) {
      best = update;
    }
  }
  return best;
}

/** A delivery report as the reply fields the tools show. */
export const deliveryFields = (update: DeliveryUpdate): Partial<ReplyFields> => ({
  deliveryStatus: update.status,
  deliveryRank: deliveryRank(update.status),
  deliveryReportedAt: update.reportedAt,
  ...(update.failureReason ? { deliveryFailureReason: update.failureReason } : {}),
  ...(update.networkCode ? { deliveryNetworkCode: update.networkCode } : {}),
});
