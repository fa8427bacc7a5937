import { envelopeFor } from "./envelope";
import { text } from "./http";
import type { Callback, Handled } from "./pipeline";
import type { EventQueue } from "./sqs";

/**
 * The ack path: queue the callback, then say so. If queueing fails the error propagates and
 * the caller answers 503, so AT retries: we never answer 200 for something not durably queued.
 */
export function acknowledge(queue: EventQueue) {
  return async ({ route, payload, receivedAt, signal }: Callback): Promise<Handled> => {
    await queue.send(envelopeFor(route.recordType, route.name, payload, receivedAt), signal);
    return { answer: text(200, route.answer === "twoway" ? "GOOD" : "OK"), outcome: "queued" };
  };
}
