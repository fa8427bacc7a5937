import * as v from "valibot";
import {
  type CallbackOf,
  type CallbackType,
  callbackPhones,
  isCallbackOf,
  parseCallback,
} from "../model/callbacks";
import type { Envelope } from "../model/envelope";
import { RECORD_TYPES, type RecordType } from "../model/record-type";
import { describeIssues, type JsonObject, type JsonValue, jsonObjectSchema } from "../shared/json";
import { expiryEpochSeconds, indexSortKey, monthOf, recordKey, TABLE, typePartition } from "./keys";

export { RECORD_TYPES, type RecordType };

/** The item schema of a record as stored (see docs/records.md); extra attributes are kept. */
export const recordItemEntries = {
  [TABLE.partitionKey]: v.string(),
  [TABLE.sortKey]: v.string(),
  type: v.picklist(RECORD_TYPES),
  id: v.string(),
  receivedAt: v.string(),
  route: v.string(),
  phoneNumber: v.optional(v.string()),
  phones: v.record(v.string(), v.string()),
  payload: jsonObjectSchema,
  answer: v.optional(v.string()),
  note: v.optional(v.string()),
  // Absent on replies: they are listed with their inbound message, not by the index.
  [TABLE.byType.partitionKey]: v.optional(v.string()),
  [TABLE.byType.sortKey]: v.optional(v.string()),
  [TABLE.ttlAttribute]: v.optional(v.number()),
  recordedAt: v.string(),
};
const recordItemSchema = v.looseObject(recordItemEntries);

/** A record as stored in the table. */
export type RecordItem = v.InferOutput<typeof recordItemSchema>;

/** Reads an item back from the table; an item that is not a record is an error naming the field. */
export function decodeRecordItem(item: unknown): RecordItem {
  const result = v.safeParse(recordItemSchema, item);
  if (!result.success) throw new Error(`not a record item: ${describeIssues(result.issues)}`);
  return result.output;
}

/** What every record holds, whoever writes it (the recorder, or the replier for `sms.reply`). */
export interface RecordFields {
  type: RecordType;
  id: string;
  /** What makes two records of this type under one id the same one. */
  identity: string;
  receivedAt: string;
  route: string;
  phones: Record<string, string>;
  /** The phone number a listing by phone finds the record under, E.164. */
  phoneNumber: string | undefined;
  payload: JsonObject;
  answer?: string | undefined;
  note?: string | undefined;
  recordedAt: string;
  ttlDays: number | undefined;
  /** False: not in the index (a reply, listed with its inbound message). */
  indexed?: boolean;
}

/** The record codec: keys, index keys and TTL from the record's fields. */
export function encodeRecord(fields: RecordFields): RecordItem {
  const { type, id, identity, receivedAt, phoneNumber, answer, note, ttlDays } = fields;
  const indexed = fields.indexed ?? true;
  return {
    ...recordKey(id, type, identity),
    type,
    id,
    receivedAt,
    route: fields.route,
    phones: fields.phones,
    payload: fields.payload,
    ...(indexed
      ? {
          [TABLE.byType.partitionKey]: typePartition(type, monthOf(receivedAt)),
          [TABLE.byType.sortKey]: indexSortKey(receivedAt, type, identity),
        }
      : {}),
    recordedAt: fields.recordedAt,
    ...(phoneNumber ? { phoneNumber } : {}),
    ...(answer === undefined ? {} : { answer }),
    ...(note === undefined ? {} : { note }),
    ...(ttlDays === undefined
      ? {}
      : { [TABLE.ttlAttribute]: expiryEpochSeconds(Date.parse(receivedAt), ttlDays * 86_400) }),
  };
}

/** The record of one queued callback. */
export function toRecordItem(
  envelope: Envelope,
  options: { now: Date; ttlDays: number | undefined },
): RecordItem {
  const { phones, phoneNumber } = callbackPhones(envelope.type, envelope.payload);
  return encodeRecord({
    type: envelope.type,
    id: envelope.id,
    identity: envelope.identity,
    receivedAt: envelope.receivedAt,
    route: envelope.route,
    phones,
    phoneNumber,
    payload: storableObject(envelope.payload),
    answer: envelope.answer,
    note: envelope.note,
    recordedAt: options.now.toISOString(),
    ttlDays: options.ttlDays,
  });
}

/**
 * DynamoDB's SDK reads integers beyond 2^53 back as BigInt, which JSON tools cannot print: such
 * a number (already rounded by JSON.parse when AT sent it) is kept as its decimal text.
 */
function storable(value: JsonValue): JsonValue {
  if (typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value)) {
    return String(value);
  }
  if (Array.isArray(value)) return value.map(storable);
  if (typeof value === "object" && value !== null) return storableObject(value);
  return value;
}

const storableObject = (value: JsonObject): JsonObject =>
  Object.fromEntries(Object.entries(value).map(([k, v]) => [k, storable(v)]));

/** The typed callback a record holds, read again through its type's schema. */
export function recordedCallback<T extends CallbackType>(
  type: T,
  item: Pick<RecordItem, "type" | "id" | "payload">,
): CallbackOf<T> {
  const parsed = parseCallback(type, item.payload);
  if (!parsed.ok) throw new Error(`record ${item.id} is not a valid ${type}: ${parsed.reason}`);
  if (!isCallbackOf(parsed.callback, type)) throw new Error(`record ${item.id} is not a ${type}`);
  return parsed.callback;
}
