import { CALLBACK_SCHEMAS, type Payload, type RecordType } from "../ingest/callbacks";
import type { Envelope } from "../ingest/envelope";
import { TABLE } from "../settings";
import { toE164 } from "../shared/phone";

/** A record as stored in the table (see README "Records" for the key design). */
export interface RecordItem {
  pk: string;
  sk: string;
  type: RecordType;
  id: string;
  receivedAt: string;
  route: string;
  phoneNumber?: string;
  phones: Record<string, string>;
  payload: Payload;
  answer?: string;
  note?: string;
  phonePk?: string;
  phoneSk?: string;
  typePk: string;
  typeSk: string;
  expiresAt?: number;
  recordedAt: string;
}

export const idKey = (atId: string) => `ID#${atId}`;
export const phoneKey = (e164: string) => `PHONE#${e164}`;
/** Type partitions are split by month so one busy type never becomes one hot partition forever. */
export const typeKey = (type: RecordType, month: string) => `TYPE#${type}#${month}`;
export const monthOf = (iso: string) => iso.slice(0, 7);

export function toRecordItem(
  envelope: Envelope,
  options: { now: Date; ttlDays: number | undefined },
): RecordItem {
  const schema = envelope.type === "sms.reply" ? undefined : CALLBACK_SCHEMAS[envelope.type];
  const phones: Record<string, string> = {};
  for (const f of schema?.phoneFields ?? []) {
    const raw = envelope.payload[f];
    const e164 = typeof raw === "string" ? toE164(raw) : undefined;
    if (e164) phones[f] = e164;
  }
  const phoneNumber = schema?.primaryPhone ? phones[schema.primaryPhone] : undefined;
  const sortable = `${envelope.receivedAt}#${envelope.type}#${envelope.identity}`;
  const expiresAt =
    options.ttlDays === undefined
      ? undefined
      : Math.floor(Date.parse(envelope.receivedAt) / 1000) + Math.round(options.ttlDays * 86_400);
  return {
    [TABLE.partitionKey]: idKey(envelope.id),
    [TABLE.sortKey]: `${envelope.type}#${envelope.identity}`,
    type: envelope.type,
    id: envelope.id,
    receivedAt: envelope.receivedAt,
    route: envelope.route,
    phones,
    payload: storable(envelope.payload) as Payload,
    typePk: typeKey(envelope.type, monthOf(envelope.receivedAt)),
    typeSk: sortable,
    recordedAt: options.now.toISOString(),
    ...(phoneNumber ? { phoneNumber, phonePk: phoneKey(phoneNumber), phoneSk: sortable } : {}),
    ...(envelope.answer === undefined ? {} : { answer: envelope.answer }),
    ...(envelope.note === undefined ? {} : { note: envelope.note }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
  } as RecordItem;
}

/**
 * DynamoDB's SDK reads integers beyond 2^53 back as BigInt, which JSON tools cannot print: such
 * a number (already rounded by JSON.parse when AT sent it) is kept as its decimal text.
 */
function storable(value: unknown): unknown {
  if (typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value)) {
    return String(value);
  }
  if (Array.isArray(value)) return value.map(storable);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, storable(v)]));
  }
  return value;
}
