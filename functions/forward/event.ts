import * as v from "valibot";
import type { CallbackEvent } from "../events/event";
import { CALLBACK_TYPES, type CallbackType, parseCallback } from "../model/callbacks";
import { describeIssues, isFieldObject } from "../shared/json";
import { PoisonMessageError } from "../shared/sqs-worker";

const eventSchema = v.looseObject({
  id: v.pipe(v.string(), v.nonEmpty("is missing")),
  type: v.pipe(v.string(), v.nonEmpty("is missing")),
  version: v.literal(1, (issue) => `unsupported event version ${String(issue.input)}`),
  receivedAt: v.string(),
  stage: v.string(),
  data: v.pipe(v.unknown(), v.check(isFieldObject, "is not an object")),
});

/** A forwarded message: the event, and its body exactly as published (it is what is signed). */
export interface QueuedEvent {
  event: CallbackEvent;
  body: string;
}

/** Reads a forwarding queue's message (the event JSON, as SNS delivered it raw). */
export function parseQueuedEvent(body: string): QueuedEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new PoisonMessageError("not JSON");
  }
  const result = v.safeParse(eventSchema, json);
  if (!result.success)
    throw new PoisonMessageError(`not an event: ${describeIssues(result.issues)}`);
  return { event: result.output as CallbackEvent, body };
}

const isCallbackType = (type: string): type is CallbackType =>
  (CALLBACK_TYPES as readonly string[]).includes(type);

/**
 * The AT id the event's record is filed under (its delivery outcomes go beside it): the
 * callback's own id, or for a reply's state change the inbound message it answers.
 */
export function atIdOfEvent(event: CallbackEvent): string {
  const { type, data } = event;
  if (isCallbackType(type)) {
    const parsed = parseCallback(type, data);
    if (parsed.ok) return parsed.callback.atId;
  }
  for (const field of ["inboundId", "id"]) {
    const value = data[field];
    if (typeof value === "string" && value !== "") return value;
  }
  return event.id;
}
