import { createHash } from "node:crypto";

/**
 * One description per Africa's Talking callback type: which fields AT sends, which are
 * required, which hold phone numbers, and how a callback is identified for de-duplication.
 * Fields are listed for documentation and records; unknown extra fields are always kept.
 */
export const RECORD_TYPES = [
  "sms.incoming",
  "sms.delivery",
  "sms.optout",
  "sms.subscription",
  "ussd.session",
  "ussd.end",
  "voice.call",
  "voice.event",
  "airtime.validation",
  "airtime.status",
  "simswap.status",
  "sms.reply",
] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

/** A callback body as received: values are strings (form) or JSON values (JSON bodies). */
export type Payload = Record<string, unknown>;

export interface CallbackSchema {
  type: RecordType;
  /** Every field the reference documents for this callback. */
  fields: readonly string[];
  required: readonly string[];
  /** Required fields that may arrive empty (an SMS with no text is still a message). */
  emptyAllowed?: readonly string[];
  /** Fields holding phone numbers, normalised to E.164 alongside the raw value. */
  phoneFields: readonly string[];
  /** The phone number a record is filed under (for the by-phone index). */
  primaryPhone?: string;
  /** The AT id a user looks a record up by: message id, session id, request id. */
  atId: (p: Payload) => string;
  /** What makes two callbacks the same one (AT retries share it; distinct events do not). */
  identity: (p: Payload) => string;
}

/** A payload field as text (JSON bodies may carry numbers), or undefined when absent. */
export function stringField(p: Payload, name: string): string | undefined {
  const value = p[name];
  return value === undefined || value === null ? undefined : String(value);
}

const field = (p: Payload, name: string): string => stringField(p, name) ?? "";
const byField = (name: string) => (p: Payload) => field(p, name);
const byFields =
  (...names: string[]) =>
  (p: Payload) =>
    names.map((n) => field(p, n)).join("#");

export const CALLBACK_SCHEMAS: Record<Exclude<RecordType, "sms.reply">, CallbackSchema> = {
  "sms.incoming": {
    type: "sms.incoming",
    fields: ["date", "from", "id", "linkId", "text", "to", "networkCode"],
    required: ["from", "to", "text", "id", "date"],
    emptyAllowed: ["text"],
    phoneFields: ["from"],
    primaryPhone: "from",
    atId: byField("id"),
    identity: byField("id"),
  },
  "sms.delivery": {
    type: "sms.delivery",
    fields: ["id", "status", "phoneNumber", "networkCode", "failureReason", "retryCount"],
    required: ["id", "status"],
    phoneFields: ["phoneNumber"],
    primaryPhone: "phoneNumber",
    atId: byField("id"),
    // One message gets several reports (Sent, Submitted, Success...): each status is its own record.
    identity: byFields("id", "status", "retryCount"),
  },
  "sms.optout": {
    type: "sms.optout",
    fields: ["senderId", "phoneNumber"],
    required: ["senderId", "phoneNumber"],
    phoneFields: ["phoneNumber"],
    primaryPhone: "phoneNumber",
    atId: byFields("senderId", "phoneNumber"),
    identity: byFields("senderId", "phoneNumber"),
  },
  "sms.subscription": {
    type: "sms.subscription",
    fields: ["phoneNumber", "shortCode", "keyword", "updateType"],
    required: ["phoneNumber", "shortCode", "keyword", "updateType"],
    phoneFields: ["phoneNumber"],
    primaryPhone: "phoneNumber",
    atId: byFields("shortCode", "keyword", "phoneNumber"),
    identity: (p) =>
      `${byFields("shortCode", "keyword", "phoneNumber")(p)}#${field(p, "updateType").toLowerCase()}`,
  },
  "ussd.session": {
    type: "ussd.session",
    fields: ["sessionId", "serviceCode", "phoneNumber", "networkCode", "text"],
    required: ["sessionId", "serviceCode", "phoneNumber"],
    phoneFields: ["phoneNumber"],
    primaryPhone: "phoneNumber",
    atId: byField("sessionId"),
    // Each hop of a session carries the whole input path so far.
    identity: (p) => `${field(p, "sessionId")}#hop:${field(p, "text")}`,
  },
  "ussd.end": {
    type: "ussd.end",
    fields: [
      "date",
      "sessionId",
      "serviceCode",
      "networkCode",
      "phoneNumber",
      "status",
      "cost",
      "durationInMillis",
      "hopsCount",
      "hopsMetadata",
      "input",
      "lastAppResponse",
      "errorMessage",
    ],
    required: ["sessionId"],
    phoneFields: ["phoneNumber"],
    primaryPhone: "phoneNumber",
    atId: byField("sessionId"),
    identity: byField("sessionId"),
  },
  "voice.call": {
    type: "voice.call",
    fields: [
      "isActive",
      "sessionId",
      "direction",
      "callerNumber",
      "destinationNumber",
      "callerCarrierName",
      "callerCountryCode",
      "callStartTime",
      "callSessionState",
      "dtmfDigits",
      "recordingUrl",
      "durationInSeconds",
      "currencyCode",
      "amount",
      "dialDestinationNumber",
      "dialDurationInSeconds",
      "dialStartTime",
      "hangupCause",
      "queueDurationInSeconds",
      "dequeuedToPhoneNumber",
      "dequeuedToSessionId",
      "dequeueTime",
      "clientDialedNumber",
      "clientRequestId",
      "status",
    ],
    required: ["sessionId"],
    phoneFields: ["callerNumber", "destinationNumber", "dialDestinationNumber"],
    primaryPhone: "callerNumber",
    atId: byField("sessionId"),
    // A call makes several requests (start, digits, recording, end); a retry repeats one exactly.
    identity: (p) => `${field(p, "sessionId")}#${contentHash(p)}`,
  },
  "voice.event": {
    type: "voice.event",
    fields: [
      "sessionId",
      "eventType",
      "isActive",
      "direction",
      "callerNumber",
      "destinationNumber",
      "callSessionState",
      "hangupCause",
      "durationInSeconds",
      "currencyCode",
      "amount",
      "callTransferParam",
      "callTransferredToNumber",
      "callTransferState",
      "callTransferHangupCause",
      "clientRequestId",
      "status",
    ],
    required: ["sessionId"],
    phoneFields: ["callerNumber", "destinationNumber"],
    primaryPhone: "callerNumber",
    atId: byField("sessionId"),
    identity: (p) => `${field(p, "sessionId")}#${contentHash(p)}`,
  },
  "airtime.validation": {
    type: "airtime.validation",
    fields: ["transactionId", "phoneNumber", "sourceIpAddress", "currencyCode", "amount"],
    required: ["transactionId", "phoneNumber", "amount"],
    phoneFields: ["phoneNumber"],
    primaryPhone: "phoneNumber",
    atId: byField("transactionId"),
    identity: byField("transactionId"),
  },
  "airtime.status": {
    type: "airtime.status",
    fields: ["requestId", "status", "phoneNumber", "description", "value", "discount"],
    required: ["requestId", "status"],
    phoneFields: ["phoneNumber"],
    primaryPhone: "phoneNumber",
    atId: byField("requestId"),
    identity: byFields("requestId", "status"),
  },
  "simswap.status": {
    type: "simswap.status",
    fields: [
      "status",
      "lastSimSwapDate",
      "providerRefId",
      "requestId",
      "transactionId",
      "phoneNumber",
    ],
    required: ["requestId"],
    phoneFields: ["phoneNumber"],
    primaryPhone: "phoneNumber",
    atId: byField("requestId"),
    identity: byField("requestId"),
  },
};

/** A short, stable digest of a payload's content, independent of field order. */
function contentHash(p: Payload): string {
  const canonical = JSON.stringify(
    Object.keys(p)
      .sort()
      .map((k) => [k, p[k]]),
  );
  return createHash("sha256").update(canonical).digest("base64url").slice(0, 16);
}
