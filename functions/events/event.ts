import { createHash } from "node:crypto";
import * as v from "valibot";
import { CALLBACK_TYPES, CALLBACKS, type CallbackType } from "../model/callbacks";
import { isFinalDelivery } from "../model/reply-state";
import type { ItemKey } from "../table/keys";
import type { RecordItem } from "../table/records";
import { decodeReplyItem, type ReplyItem } from "../table/replies";

/** The schema version of every event below; a breaking change to an envelope or `data` bumps it. */
export const EVENT_VERSION = 1;

/** Reply state changes worth acting on, as events of their own. */
export const REPLY_EVENT_TYPES = [
  "sms.reply.sent",
  "sms.reply.delivered",
  "sms.reply.failed",
] as const;
export type ReplyEventType = (typeof REPLY_EVENT_TYPES)[number];

/** Every event type: one per callback type (a new record), and the reply state changes. */
export const EVENT_TYPES = [...CALLBACK_TYPES, ...REPLY_EVENT_TYPES] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * What flows out of the pipeline, one per new record and per reply state change: the JSON body
 * of every message on the events topic, whose `type` message attribute repeats `type`.
 */
export interface CallbackEvent {
  /** Stable across redeliveries and replays: consumers dedupe on it. */
  id: string;
  type: string;
  version: 1;
  /** When AT's callback was received (ISO 8601, UTC). */
  receivedAt: string;
  /** The stage that received it (`local` for `npm start`). */
  stage: string;
  /** The callback's fields as stored (for replies: the reply's fields). */
  data: Record<string, unknown>;
}

/**
 * An event's id: the stored item's key and the kind of event, hashed. The same record (or reply
 * state) always yields the same id, however often it is published.
 */
export function eventId(key: ItemKey, kind: string): string {
  const digest = createHash("sha256").update(`${key.pk}\n${key.sk}\n${kind}`).digest("base64url");
  return `evt_${digest}`;
}

const envelopeEntries = <T extends string>(type: T) => ({
  id: v.pipe(v.string(), v.startsWith("evt_")),
  type: v.literal(type),
  version: v.literal(EVENT_VERSION),
  receivedAt: v.pipe(v.string(), v.isoTimestamp()),
  stage: v.pipe(v.string(), v.nonEmpty()),
});

/** The fields of a reply in its events: the stable ones, never the lease or version counters. */
const replyData = v.looseObject({
  inboundId: v.string(),
  to: v.string(),
  from: v.string(),
  message: v.string(),
  state: v.string(),
  attempts: v.number(),
  updatedAt: v.string(),
  linkId: v.optional(v.string()),
  keyword: v.optional(v.string()),
  messageId: v.optional(v.string()),
  status: v.optional(v.string()),
  statusCode: v.optional(v.number()),
  cost: v.optional(v.string()),
  error: v.optional(v.string()),
  deliveryStatus: v.optional(v.string()),
  deliveryFailureReason: v.optional(v.string()),
  deliveryNetworkCode: v.optional(v.string()),
  deliveryReportedAt: v.optional(v.string()),
});

const callbackEventSchema = <T extends CallbackType>(type: T) =>
  v.object({
    ...envelopeEntries(type),
    // As stored: the body as AT sent it, extra fields kept.
    data: v.looseObject(CALLBACKS[type].schema.entries),
  });

const replyEventSchema = <T extends ReplyEventType>(type: T) =>
  v.object({ ...envelopeEntries(type), data: replyData });

/** The schema of each event type; `npm run schemas` writes them as JSON Schema to schemas/events/. */
export const EVENT_SCHEMAS = Object.fromEntries([
  ...CALLBACK_TYPES.map((type) => [type, callbackEventSchema(type)] as const),
  ...REPLY_EVENT_TYPES.map((type) => [type, replyEventSchema(type)] as const),
]) as Record<EventType, v.GenericSchema>;

/** The event of a new record (one of the 11 callback types). */
export function recordEvent(record: RecordItem, stage: string): CallbackEvent {
  return {
    id: eventId(record, "record"),
    type: record.type,
    version: EVENT_VERSION,
    receivedAt: record.receivedAt,
    stage,
    data: record.payload,
  };
}

/** Whether a stored record has an event of its own (replies have their state-change events). */
export const hasRecordEvent = (record: Pick<RecordItem, "type">) => record.type !== "sms.reply";

const replyEvent = (
  reply: ReplyItem,
  type: ReplyEventType,
  kind: string,
  receivedAt: string,
  stage: string,
): CallbackEvent => ({
  id: eventId(reply, kind),
  type,
  version: EVENT_VERSION,
  receivedAt,
  stage,
  data: v.parse(replyData, pickReplyData(reply)),
});

function pickReplyData(reply: ReplyItem): Record<string, unknown> {
  const keys = Object.keys(replyData.entries);
  return Object.fromEntries(
    keys.filter((k) => reply[k] !== undefined).map((k) => [k, reply[k as keyof ReplyItem]]),
  );
}

/**
 * The events a reply's send state warrants: `sms.reply.sent` once AT accepted it,
 * `sms.reply.failed` once AT refused it for good (`rejected`). A reply `failed` after its retry
 * budget may still be sent by a later job, so it is no event.
 */
export function replySendEvents(reply: ReplyItem, stage: string): CallbackEvent[] {
  if (reply.state === "sent") {
    return [replyEvent(reply, "sms.reply.sent", "sent", reply.receivedAt, stage)];
  }
  if (reply.state === "rejected") {
    return [replyEvent(reply, "sms.reply.failed", "failed:send", reply.receivedAt, stage)];
  }
  return [];
}

/**
 * The event a reply's delivery report warrants once it is final: `sms.reply.delivered` for
 * `Success`, `sms.reply.failed` for `Failed`/`Rejected`. Its time is the report's.
 */
export function replyDeliveryEvents(reply: ReplyItem, stage: string): CallbackEvent[] {
  const status = reply.deliveryStatus;
  if (!status || !isFinalDelivery(status)) return [];
  const at = reply.deliveryReportedAt ?? reply.receivedAt;
  return status.toLowerCase() === "success"
    ? [replyEvent(reply, "sms.reply.delivered", "delivered", at, stage)]
    : [replyEvent(reply, "sms.reply.failed", "failed:delivery", at, stage)];
}

/**
 * Every event a stored record stands for, as first published (same ids): a callback record's
 * own, or a reply's state changes. What `npm run events -- replay` publishes again.
 */
export function storedEvents(record: RecordItem, stage: string): CallbackEvent[] {
  if (hasRecordEvent(record)) return [recordEvent(record, stage)];
  const reply = decodeReplyItem(record);
  return [...replySendEvents(reply, stage), ...replyDeliveryEvents(reply, stage)];
}
