import { createHash } from "node:crypto";
import * as v from "valibot";
import { isFieldObject, type JsonObject, jsonObjectSchema } from "../shared/json";
import { toE164 } from "../shared/phone";

/**
 * The typed callback map: one schema per Africa's Talking callback type, giving the fields AT
 * sends (which are required, which may be empty), which hold phone numbers, and how a callback
 * is identified for de-duplication. Parsing a body yields the typed fields, the E.164 phones and
 * the identity once. Unknown extra fields are always kept and enum values are never checked:
 * AT adds both without notice.
 */
export const CALLBACK_TYPES = [
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
] as const;
export type CallbackType = (typeof CALLBACK_TYPES)[number];

/** A callback body as received (strings from forms, JSON values from JSON bodies): what is stored. */
export type CallbackBody = JsonObject;

const SINGLE = "must be a single value";
const MISSING = "is blank";
/** A field as AT sends it: text in a form, a scalar in JSON; a repeated form field is a list. */
const scalar = v.union([v.string(), v.number(), v.boolean()], SINGLE);
const asText = (value: string | number | boolean) => String(value);

/*
 * JSON `null` is "no value" (a number never swapped, no error message): the body keeps it as
 * sent, and the typed fields read it as absent. So it never makes a refusal of its own: an
 * optional field sent as null is absent, a required one is missing, and one that may be empty
 * is empty.
 */

/** A field that must be present and not blank. */
const required = v.pipe(
  v.unknown(),
  v.check((value) => value !== null, MISSING),
  scalar,
  v.transform(asText),
  v.check((value) => value.trim() !== "", MISSING),
);
/** A field that must be present but may be empty (an SMS with no text is still a message). */
const requiredMayBeEmpty = v.pipe(
  v.unknown(),
  v.transform((value) => (value === null ? "" : value)),
  scalar,
  v.transform(asText),
);
const optional = v.optional(
  v.pipe(
    v.nullable(scalar),
    v.transform((value) => (value === null ? undefined : asText(value))),
  ),
);

type FieldSchema = typeof required | typeof requiredMayBeEmpty | typeof optional;
type FieldEntries = Record<string, FieldSchema>;
type FieldsOfEntries<E extends FieldEntries> = v.InferOutput<v.ObjectSchema<E, undefined>>;

interface CallbackDefinition<E extends FieldEntries, P extends keyof E & string> {
  /** Every field the reference documents for this callback, read as text. */
  entries: E;
  /** Fields holding phone numbers, normalised to E.164 alongside the raw value. */
  phoneFields: readonly P[];
  /** The phone number a record is filed under (for the by-phone index). */
  primaryPhone: P;
  /** The AT id a user looks a record up by: message id, session id, request id. */
  atId: (fields: FieldsOfEntries<E>) => string;
  /** What makes two callbacks the same one (AT retries share it; distinct events do not). */
  identity: (fields: FieldsOfEntries<E>, body: CallbackBody) => string;
}

/** One entry of the map: the definition, its schema, and the parser that yields the typed callback. */
function define<T extends CallbackType, E extends FieldEntries, P extends keyof E & string>(
  type: T,
  definition: CallbackDefinition<E, P>,
) {
  const schema = v.object(definition.entries);
  const parse = (body: CallbackBody) => {
    const result = v.safeParse(schema, body);
    if (!result.success) return refused(result.issues);
    const fields = result.output;
    const atId = definition.atId(fields);
    if (Buffer.byteLength(atId) > MAX_AT_ID_BYTES) {
      return refusedBecause(`AT id is longer than ${MAX_AT_ID_BYTES} bytes`);
    }
    const phones = phonesOf(definition.phoneFields, body);
    return {
      ok: true as const,
      callback: {
        type,
        fields,
        body,
        phones,
        phoneNumber: phones[definition.primaryPhone],
        atId,
        identity: boundedIdentity(definition.identity(fields, body)),
      },
    };
  };
  return { ...definition, type, schema, parse };
}

const joined = (...values: (string | undefined)[]) => values.map((x) => x ?? "").join("#");

export const CALLBACKS = {
  "sms.incoming": define("sms.incoming", {
    // Required fields first, in the order a refusal names them.
    entries: {
      from: required,
      to: required,
      text: requiredMayBeEmpty,
      id: required,
      date: required,
      linkId: optional,
      networkCode: optional,
    },
    phoneFields: ["from"],
    primaryPhone: "from",
    atId: (f) => f.id,
    identity: (f) => f.id,
  }),
  "sms.delivery": define("sms.delivery", {
    entries: {
      id: required,
      status: required,
      phoneNumber: optional,
      networkCode: optional,
      failureReason: optional,
      retryCount: optional,
    },
    phoneFields: ["phoneNumber"],
    primaryPhone: "phoneNumber",
    atId: (f) => f.id,
    // One message gets several reports (Sent, Submitted, Success...): each status is its own record.
    identity: (f) => joined(f.id, f.status, f.retryCount),
  }),
  "sms.optout": define("sms.optout", {
    entries: { senderId: required, phoneNumber: required },
    phoneFields: ["phoneNumber"],
    primaryPhone: "phoneNumber",
    atId: (f) => joined(f.senderId, f.phoneNumber),
    identity: (f) => joined(f.senderId, f.phoneNumber),
  }),
  "sms.subscription": define("sms.subscription", {
    entries: {
      phoneNumber: required,
      shortCode: required,
      keyword: required,
      updateType: required,
    },
    phoneFields: ["phoneNumber"],
    primaryPhone: "phoneNumber",
    atId: (f) => joined(f.shortCode, f.keyword, f.phoneNumber),
    identity: (f) => joined(f.shortCode, f.keyword, f.phoneNumber, f.updateType.toLowerCase()),
  }),
  "ussd.session": define("ussd.session", {
    entries: {
      sessionId: required,
      serviceCode: required,
      phoneNumber: required,
      networkCode: optional,
      text: optional,
    },
    phoneFields: ["phoneNumber"],
    primaryPhone: "phoneNumber",
    atId: (f) => f.sessionId,
    // Each hop of a session carries the whole input path so far.
    identity: (f) => `${f.sessionId}#hop:${f.text ?? ""}`,
  }),
  "ussd.end": define("ussd.end", {
    entries: {
      date: optional,
      sessionId: required,
      serviceCode: optional,
      networkCode: optional,
      phoneNumber: optional,
      status: optional,
      cost: optional,
      durationInMillis: optional,
      hopsCount: optional,
      hopsMetadata: optional,
      input: optional,
      lastAppResponse: optional,
      errorMessage: optional,
    },
    phoneFields: ["phoneNumber"],
    primaryPhone: "phoneNumber",
    atId: (f) => f.sessionId,
    identity: (f) => f.sessionId,
  }),
  "voice.call": define("voice.call", {
    entries: {
      isActive: optional,
      sessionId: required,
      direction: optional,
      callerNumber: optional,
      destinationNumber: optional,
      callerCarrierName: optional,
      callerCountryCode: optional,
      callStartTime: optional,
      callSessionState: optional,
      dtmfDigits: optional,
      recordingUrl: optional,
      durationInSeconds: optional,
      currencyCode: optional,
      amount: optional,
      dialDestinationNumber: optional,
      dialDurationInSeconds: optional,
      dialStartTime: optional,
      hangupCause: optional,
      queueDurationInSeconds: optional,
      dequeuedToPhoneNumber: optional,
      dequeuedToSessionId: optional,
      dequeueTime: optional,
      clientDialedNumber: optional,
      clientRequestId: optional,
      status: optional,
    },
    phoneFields: ["callerNumber", "destinationNumber", "dialDestinationNumber"],
    primaryPhone: "callerNumber",
    atId: (f) => f.sessionId,
    // A call makes several requests (start, digits, recording, end); a retry repeats one exactly.
    identity: (f, body) => `${f.sessionId}#${contentHash(body)}`,
  }),
  "voice.event": define("voice.event", {
    entries: {
      sessionId: required,
      eventType: optional,
      isActive: optional,
      direction: optional,
      callerNumber: optional,
      destinationNumber: optional,
      callSessionState: optional,
      hangupCause: optional,
      durationInSeconds: optional,
      currencyCode: optional,
      amount: optional,
      callTransferParam: optional,
      callTransferredToNumber: optional,
      callTransferState: optional,
      callTransferHangupCause: optional,
      clientRequestId: optional,
      status: optional,
    },
    phoneFields: ["callerNumber", "destinationNumber"],
    primaryPhone: "callerNumber",
    atId: (f) => f.sessionId,
    identity: (f, body) => `${f.sessionId}#${contentHash(body)}`,
  }),
  "airtime.validation": define("airtime.validation", {
    entries: {
      transactionId: required,
      phoneNumber: required,
      sourceIpAddress: optional,
      currencyCode: optional,
      amount: required,
    },
    phoneFields: ["phoneNumber"],
    primaryPhone: "phoneNumber",
    atId: (f) => f.transactionId,
    identity: (f) => f.transactionId,
  }),
  "airtime.status": define("airtime.status", {
    entries: {
      requestId: required,
      status: required,
      phoneNumber: optional,
      description: optional,
      value: optional,
      discount: optional,
    },
    phoneFields: ["phoneNumber"],
    primaryPhone: "phoneNumber",
    atId: (f) => f.requestId,
    identity: (f) => joined(f.requestId, f.status),
  }),
  "simswap.status": define("simswap.status", {
    entries: {
      status: optional,
      lastSimSwapDate: optional,
      providerRefId: optional,
      requestId: required,
      transactionId: optional,
      phoneNumber: optional,
    },
    phoneFields: ["phoneNumber"],
    primaryPhone: "phoneNumber",
    atId: (f) => f.requestId,
    identity: (f) => f.requestId,
  }),
} satisfies { [T in CallbackType]: unknown };

type Definitions = typeof CALLBACKS;

/** A callback of one type that passed its schema. */
export type CallbackOf<T extends CallbackType> = Extract<
  ReturnType<Definitions[T]["parse"]>,
  { ok: true }
>["callback"];
/** Any callback that passed its schema; `type` tells which. */
export type Callback = { [T in CallbackType]: CallbackOf<T> }[CallbackType];
/** The documented fields of a callback type, as text: what code reads. */
export type CallbackFields<T extends CallbackType> = CallbackOf<T>["fields"];

export const isCallbackOf = <T extends CallbackType>(
  callback: Callback,
  type: T,
): callback is CallbackOf<T> => callback.type === type;

/** The fields a callback type requires, in the order a refusal names them. */
export const requiredFieldsOf = (type: CallbackType): string[] =>
  Object.entries(CALLBACKS[type].entries as Record<string, { type: string }>)
    .filter(([, schema]) => schema.type !== "optional")
    .map(([name]) => name);

/** AT's ids are a few dozen characters; the table's keys allow at most 1 KiB. */
export const MAX_AT_ID_BYTES = 256;

export type Parsed = { ok: true; callback: Callback } | { ok: false; reason: string };

const BODY_NOT_OBJECT = "body must be an object of fields";
const bodySchema = v.pipe(v.unknown(), v.check(isFieldObject, BODY_NOT_OBJECT), jsonObjectSchema);

/**
 * Checks a parsed body against its callback's schema. The reason of a refusal is one line that
 * names the fields: every field that is repeated, else every field that is missing.
 */
export function parseCallback(type: CallbackType, input: unknown): Parsed {
  const body = v.safeParse(bodySchema, input);
  if (!body.success) return refusedBecause(BODY_NOT_OBJECT);
  return CALLBACKS[type].parse(body.output);
}

function refusedBecause(reason: string) {
  return { ok: false as const, reason };
}

function refused(issues: readonly v.BaseIssue<unknown>[]) {
  const fieldsWith = (message: string) => [
    ...new Set(issues.filter((i) => i.message === message).map((i) => String(i.path?.[0]?.key))),
  ];
  const repeated = fieldsWith(SINGLE);
  if (repeated.length > 0) return refusedBecause(`field ${repeated.join(", ")} ${SINGLE}`);
  // A required field that is absent fails the object's key check; one that is blank, its own.
  const missing = [...new Set(issues.map((i) => String(i.path?.[0]?.key)))];
  return refusedBecause(
    `missing required field${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`,
  );
}

function phonesOf<P extends string>(phoneFields: readonly P[], body: CallbackBody) {
  const phones: Partial<Record<P, string>> = {};
  for (const field of phoneFields) {
    const raw = body[field];
    const e164 = typeof raw === "string" ? toE164(raw) : undefined;
    if (e164) phones[field] = e164;
  }
  return phones;
}

/**
 * Identities become part of the table's sort keys (at most 1 KiB): a long one (a USSD session
 * with many hops) is replaced by its digest, which de-duplicates just as well.
 */
function boundedIdentity(identity: string): string {
  if (Buffer.byteLength(identity) <= 200) return identity;
  return `sha256:${createHash("sha256").update(identity).digest("base64url")}`;
}

/** A short, stable digest of a body's content, independent of field order. */
function contentHash(body: CallbackBody): string {
  const canonical = JSON.stringify(
    Object.keys(body)
      .sort()
      .map((k) => [k, body[k]]),
  );
  return createHash("sha256").update(canonical).digest("base64url").slice(0, 16);
}

/** The E.164 phones of a body of this type, and the one its record is filed under. */
export function callbackPhones(type: CallbackType, body: CallbackBody) {
  const { phoneFields, primaryPhone } = CALLBACKS[type];
  const phones: Record<string, string> = phonesOf(phoneFields, body);
  return { phones, phoneNumber: phones[primaryPhone] };
}
