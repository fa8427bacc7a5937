import type { EventQueue } from "../model/envelope";
import { envelopeOf } from "../model/envelope";
import { text } from "./http";
import type { Accepted, Handled } from "./pipeline";

/**
 * The ack path: queue the callback, then say so. If queueing fails the error propagates and
 * the caller answers 503, so AT retries: we never answer 200 for something not durably queued.
 */
export function acknowledge(queue: EventQueue) {
  return async ({ route, callback, receivedAt, signal }: Accepted): Promise<Handled> => {
    await queue.send(envelopeOf(callback, route.name, receivedAt), signal);
    return { answer: text(200, route.answer === "twoway" ? "GOOD" : "OK"), outcome: "queued" };
  };
}
