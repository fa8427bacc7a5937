import * as v from "valibot";
import { describeIssues, isFieldObject } from "../shared/json";
import { PoisonMessageError } from "../shared/sqs-worker";
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

const present = v.pipe(v.string("is missing"), v.nonEmpty("is missing"));
const replyJobSchema = v.looseObject({
  inboundId: present,
  recipient: present,
  shortcode: v.string("is missing"),
  text: v.string("is missing"),
  linkId: v.optional(v.string("is not a string")),
  receivedAt: present,
});

export function parseReplyJob(body: string): ReplyJob {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new PoisonMessageError("reply job is not JSON");
  }
  if (!isFieldObject(value)) throw new PoisonMessageError("reply job is not an object");
  if (value.v !== 1 || value.kind !== "sms.reply") {
    throw new PoisonMessageError(`unsupported reply job ${String(value.kind)} v${String(value.v)}`);
  }
  const result = v.safeParse(replyJobSchema, value);
  if (!result.success) {
    throw new PoisonMessageError(`reply job field ${describeIssues(result.issues)}`);
  }
  const { inboundId, recipient, shortcode, text, linkId, receivedAt } = result.output;
  return {
    v: 1,
    kind: "sms.reply",
    inboundId,
    recipient,
    shortcode,
    text,
    ...(linkId === undefined ? {} : { linkId }),
    receivedAt,
  };
}
