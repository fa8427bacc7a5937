import type { RecordType } from "../model/record-type";

/** What an index keeps of each item besides its keys. */
export type IndexProjection =
  | { readonly type: "ALL" }
  | { readonly type: "KEYS_ONLY" }
  | { readonly type: "INCLUDE"; readonly attributes: readonly string[] };

/**
 * The one index: records by type and month, newest first. It projects only what a listing
 * filters on (the phone number); a listing reads the records themselves by their keys. Replies
 * and the other state items are not in it, so a state change never rewrites it.
 */
const byType = {
  indexName: "byTypeMonth",
  partitionKey: "typePk",
  sortKey: "typeSk",
  projection: { type: "INCLUDE", attributes: ["phoneNumber"] } as IndexProjection,
} as const;

/**
 * The single-table design (docs/records.md): every attribute name the keys and indexes use and
 * every key prefix, in this one place. The codecs beside this file build items only from these;
 * the CDK stack and the local stack both create the table and its indexes from `TABLE`.
 */
export const TABLE = {
  partitionKey: "pk",
  sortKey: "sk",
  ttlAttribute: "expiresAt",
  byType,
  indexes: [byType],
} as const;

/**
 * Indexes of earlier versions, kept on an existing table while it is upgraded one index change
 * per deploy (docs/deploy.md, "Upgrading the table's indexes"); nothing reads or writes them.
 */
export const LEGACY_INDEXES = {
  byPhone: {
    indexName: "byPhone",
    partitionKey: "phonePk",
    sortKey: "phoneSk",
    projection: { type: "ALL" } as IndexProjection,
  },
  byType: {
    indexName: "byType",
    partitionKey: "typePk",
    sortKey: "typeSk",
    projection: { type: "ALL" } as IndexProjection,
  },
} as const;

/** The primary key of one item. */
export interface ItemKey {
  [TABLE.partitionKey]: string;
  [TABLE.sortKey]: string;
}

const itemKey = (pk: string, sk: string): ItemKey => ({
  [TABLE.partitionKey]: pk,
  [TABLE.sortKey]: sk,
});

/** Records (and their replies) are filed under the AT id a user looks them up by. */
export const recordPartition = (atId: string) => `ID#${atId}`;
/** A record's sort key: its type, then what makes two callbacks the same one. */
export const recordSortKey = (type: RecordType, identity: string) => `${type}#${identity}`;
/** The sort-key prefix of every record of one type under an AT id. */
export const recordSortKeyPrefix = (type: RecordType) => `${type}#`;
export const recordKey = (atId: string, type: RecordType, identity: string) =>
  itemKey(recordPartition(atId), recordSortKey(type, identity));

/** Type partitions are split by month so one busy type never becomes one hot partition forever. */
export const typePartition = (type: RecordType, month: string) => `TYPE#${type}#${month}`;
/** The index sorts by time, then type and identity (unique per record). */
export const indexSortKey = (receivedAt: string, type: RecordType, identity: string) =>
  `${receivedAt}#${type}#${identity}`;
/** `2026-11-30T…` → `2026-11`: the month of a type partition. */
export const monthOf = (iso: string) => iso.slice(0, 7);

/** A reply is the `sms.reply` record filed under the inbound message's AT id. */
export const replyKey = (inboundId: string) => recordKey(inboundId, "sms.reply", inboundId);

/**
 * How one event fared at one forwarding endpoint: filed under the record's AT id, beside it,
 * with no index keys (the records indexes never list it).
 */
export const DELIVERY_SORT_KEY_PREFIX = "DELIVERY#";
export const deliveryKey = (atId: string, endpoint: string, eventId: string) =>
  itemKey(recordPartition(atId), `${DELIVERY_SORT_KEY_PREFIX}${endpoint}#${eventId}`);

/** Suppressions of one number: one item per sender id it opted out of (`*`: every sender). */
export const suppressionPartition = (phoneNumber: string) => `SUPPRESS#${phoneNumber}`;
export const suppressionKey = (phoneNumber: string, sender: string) =>
  itemKey(suppressionPartition(phoneNumber), `SENDER#${sender}`);

/** Which reply an AT message id belongs to, so its delivery reports find it. */
export const messageLinkKey = (messageId: string) => itemKey(`MESSAGE#${messageId}`, "REPLY");

/** One item per (shortcode, keyword, number); keywords are matched upper-cased. */
export const subscriptionKey = (shortCode: string, keyword: string, phoneNumber: string) =>
  itemKey(`SUBSCRIPTION#${shortCode}#${keyword.toUpperCase()}`, `PHONE#${phoneNumber}`);

/** USSD session state, outside the record indexes. */
export const ussdSessionKey = (sessionId: string) => itemKey(`USSD#${sessionId}`, "state");

/** An airtime request the application registered, outside the record indexes. */
export const airtimePendingKey = (transactionId: string) =>
  itemKey(`AIRTIME#${transactionId}`, "pending");

/** The TTL attribute's value: epoch seconds, `afterSeconds` after `fromMs`. */
export const expiryEpochSeconds = (fromMs: number, afterSeconds: number) =>
  Math.floor(fromMs / 1000) + Math.round(afterSeconds);
