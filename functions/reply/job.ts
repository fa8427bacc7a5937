import { PoisonMessageError } from "../ingest/envelope";
import { type RecordItem, recordedCallback } from "../table/records";

/** The replies-queue message: one per (re)recorded incoming SMS. Duplicates are expected. */
export interface ReplyJob {
  v: 1;
  kind: "sms.reply";
  /** AT id of the incoming message; the reply's key. */
  inboundId: string;
  /** The subscriber, in E.164 (no job is queued for other senders). */
  recipient: string;
  /** The shortcode the subscriber wrote to. */
  shortcode: string;
  text: string;
  linkId?: string;
  /** When the incoming message reached our endpoint. */
  receivedAt: string;
}

/**
 * The reply job for an incoming SMS, or undefined when its sender is not a phone number: AT
 * passes alphanumeric senders (`MTN`) and service numbers (`123`) through, and a reply to them
 * could only fail at AT.
 */
export function replyJobFor(item: RecordItem): ReplyJob | undefined {
  const recipient = item.phones.from;
  if (!recipient) return undefined;
  const { fields } = recordedCallback("sms.incoming", item);
  return {
    v: 1,
    kind: "sms.reply",
    inboundId: item.id,
    recipient,
    shortcode: fields.to,
    text: fields.text,
    ...(fields.linkId ? { linkId: fields.linkId } : {}),
    receivedAt: item.receivedAt,
  };
}

export function parseReplyJob(body: string): ReplyJob {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new PoisonMessageError("reply job is not JSON");
  }
  if (typeof value !== "object" || value === null) {
    throw new PoisonMessageError("reply job is not an object");
  }
  const j = value as Record<string, unknown>;
  if (j.v !== 1 || j.kind !== "sms.reply") {
    throw new PoisonMessageError(`unsupported reply job ${String(j.kind)} v${String(j.v)}`);
  }
  for (const key of ["inboundId", "recipient", "receivedAt"] as const) {
    if (typeof j[key] !== "string" || j[key] === "") {
      throw new PoisonMessageError(`reply job field ${key} is missing`);
    }
  }
  for (const key of ["shortcode", "text"] as const) {
    if (typeof j[key] !== "string")
      throw new PoisonMessageError(`reply job field ${key} is missing`);
  }
  if (j.linkId !== undefined && typeof j.linkId !== "string") {
    throw new PoisonMessageError("reply job linkId is not a string");
  }
  return j as unknown as ReplyJob;
}
