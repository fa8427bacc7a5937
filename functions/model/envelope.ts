import * as v from "valibot";
import { describeIssues, isFieldObject, jsonObjectSchema } from "../shared/json";
import { redactCallbackKeys } from "../shared/redact";
import type { MessageQueue } from "../shared/sqs";
import { PoisonMessageError } from "../shared/sqs-worker";
import { CALLBACK_TYPES, type Callback, type CallbackType, parseCallback } from "./callbacks";

const nonEmpty = v.pipe(v.string(), v.nonEmpty("is missing"));
const optionalText = v.optional(v.string("is not a string"));

/**
 * The events-queue message: one per accepted callback. Versioned, and validated again by
 * the worker, because a queue can hold messages written by an older or newer deployment.
 * Unknown fields are kept.
 */
const envelopeSchema = v.looseObject({
  v: v.literal(1, (issue) => `unsupported envelope version ${String(issue.input)}`),
  type: v.picklist(CALLBACK_TYPES, (issue) => `unknown callback type ${String(issue.input)}`),
  /** The AT id users look the record up by (message id, session id, request id). */
  id: nonEmpty,
  /** What makes two callbacks the same one; AT retries and SQS redeliveries share it. */
  identity: nonEmpty,
  /** When our endpoint received the callback (ISO 8601, UTC). */
  receivedAt: v.pipe(
    nonEmpty,
    v.check((value) => !Number.isNaN(Date.parse(value)), "is not a date"),
  ),
  route: nonEmpty,
  /** The fields exactly as AT sent them. */
  payload: v.pipe(v.unknown(), v.check(isFieldObject, "is not an object"), jsonObjectSchema),
  /** For interactive callbacks: what we answered (the USSD screen, the airtime decision...). */
  answer: optionalText,
  /** For interactive callbacks: why the answer is what it is (deadline passed, rule failed...). */
  note: optionalText,
});
export type Envelope = v.InferOutput<typeof envelopeSchema>;

/**
 * The envelope of an accepted callback; interactive routes add what they answered, and why.
 * A callback key in the answer (a voice flow's `callbackUrl`) is redacted here, before the
 * answer is queued and stored: AT received it with the key, the queue and the table never do.
 */
export function envelopeOf(
  callback: Callback,
  route: string,
  receivedAt: Date,
  answer?: string,
  note?: string,
): Envelope {
  return {
    v: 1,
    type: callback.type,
    id: callback.atId,
    identity: callback.identity,
    receivedAt: receivedAt.toISOString(),
    route,
    payload: callback.body,
    ...(answer === undefined ? {} : { answer: redactCallbackKeys(answer) }),
    ...(note === undefined ? {} : { note: redactCallbackKeys(note) }),
  };
}

/** The envelope of a body, checked against its callback's schema first (scripts, benchmarks, tests). */
export function envelopeFor(
  type: CallbackType,
  route: string,
  body: unknown,
  receivedAt: Date,
  answer?: string,
  note?: string,
): Envelope {
  const parsed = parseCallback(type, body);
  if (!parsed.ok) throw new Error(`not a valid ${type} callback: ${parsed.reason}`);
  return envelopeOf(parsed.callback, route, receivedAt, answer, note);
}

export { PoisonMessageError };

/** The events queue: one envelope per accepted callback. */
export type EventQueue = MessageQueue<Envelope>;

export function parseEnvelope(body: string): Envelope {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new PoisonMessageError("message body is not JSON");
  }
  if (!isFieldObject(value)) throw new PoisonMessageError("message body is not an object");
  const result = v.safeParse(envelopeSchema, value);
  if (!result.success) {
    throw new PoisonMessageError(`envelope ${describeIssues(result.issues)}`);
  }
  return result.output;
}
