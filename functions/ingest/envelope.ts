import { createHash } from "node:crypto";
import { CALLBACK_SCHEMAS, type Payload, RECORD_TYPES, type RecordType } from "./callbacks";

/**
 * The events-queue message: one per accepted callback. Versioned, and validated again by
 * the worker, because a queue can hold messages written by an older or newer deployment.
 */
export interface Envelope {
  v: 1;
  type: RecordType;
  /** The AT id users look the record up by (message id, session id, request id). */
  id: string;
  /** What makes two callbacks the same one; AT retries and SQS redeliveries share it. */
  identity: string;
  /** When our endpoint received the callback (ISO 8601, UTC). */
  receivedAt: string;
  route: string;
  /** The fields exactly as AT sent them. */
  payload: Payload;
  /** For interactive callbacks: what we answered (the USSD screen, the airtime decision...). */
  answer?: string;
  /** For interactive callbacks: why the answer is what it is (deadline passed, rule failed...). */
  note?: string;
}

export function envelopeFor(
  type: Exclude<RecordType, "sms.reply">,
  route: string,
  payload: Payload,
  receivedAt: Date,
  answer?: string,
  note?: string,
): Envelope {
  const schema = CALLBACK_SCHEMAS[type];
  return {
    v: 1,
    type,
    id: schema.atId(payload),
    identity: boundedIdentity(schema.identity(payload)),
    receivedAt: receivedAt.toISOString(),
    route,
    payload,
    ...(answer === undefined ? {} : { answer }),
    ...(note === undefined ? {} : { note }),
  };
}

/**
 * Identities become part of the table's sort keys (at most 1 KiB): a long one (a USSD session
 * with many hops) is replaced by its digest, which de-duplicates just as well.
 */
function boundedIdentity(identity: string): string {
  if (Buffer.byteLength(identity) <= 200) return identity;
  return `sha256:${createHash("sha256").update(identity).digest("base64url")}`;
}

export class PoisonMessageError extends Error {
  override name = "PoisonMessageError";
}

const isRecordType = (v: unknown): v is RecordType =>
  typeof v === "string" && (RECORD_TYPES as readonly string[]).includes(v);
const nonEmpty = (v: unknown): v is string => typeof v === "string" && v.length > 0;

export function parseEnvelope(body: string): Envelope {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new PoisonMessageError("message body is not JSON");
  }
  if (typeof value !== "object" || value === null) {
    throw new PoisonMessageError("message body is not an object");
  }
  const e = value as Record<string, unknown>;
  if (e.v !== 1) throw new PoisonMessageError(`unsupported envelope version ${String(e.v)}`);
  if (!isRecordType(e.type)) throw new PoisonMessageError(`unknown record type ${String(e.type)}`);
  for (const key of ["id", "identity", "receivedAt", "route"] as const) {
    if (!nonEmpty(e[key])) throw new PoisonMessageError(`envelope field ${key} is missing`);
  }
  if (Number.isNaN(Date.parse(String(e.receivedAt)))) {
    throw new PoisonMessageError("envelope receivedAt is not a date");
  }
  if (typeof e.payload !== "object" || e.payload === null || Array.isArray(e.payload)) {
    throw new PoisonMessageError("envelope payload is not an object");
  }
  for (const key of ["answer", "note"] as const) {
    if (e[key] !== undefined && typeof e[key] !== "string") {
      throw new PoisonMessageError(`envelope ${key} is not a string`);
    }
  }
  return e as unknown as Envelope;
}
