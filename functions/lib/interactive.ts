import { envelopeFor } from "./envelope";
import type { HttpAnswer } from "./http";
import { describeError, logger } from "./logger";
import { maskPhonesIn } from "./phone";
import type { Callback, Handled } from "./pipeline";
import type { EventQueue } from "./sqs";

export interface InteractiveAnswer {
  answer: HttpAnswer;
  /** What the record keeps of the answer (the screen text, the XML, the decision). */
  recorded: string;
  /** Why the answer is what it is, when that is worth keeping (deadline passed, rule failed). */
  note?: string;
}

/**
 * Shared shape of the interactive routes: compute the answer AT is waiting for, then record
 * the exchange on the events queue. AT is waiting, so a queue failure is logged and does not
 * change what the caller hears.
 */
export function interactive(
  queue: EventQueue,
  answerFor: (callback: Callback) => Promise<InteractiveAnswer>,
) {
  return async (callback: Callback): Promise<Handled> => {
    const { answer, recorded, note } = await answerFor(callback);
    const { route, payload, receivedAt, signal } = callback;
    const envelope = envelopeFor(route.recordType, route.name, payload, receivedAt, recorded, note);
    try {
      await queue.send(envelope, signal);
    } catch (error) {
      logger.error("could not queue interactive event", {
        route: route.name,
        atId: maskPhonesIn(envelope.id),
        error: describeError(error),
      });
      return { answer, outcome: "answered-unrecorded" };
    }
    return { answer, outcome: note ? `answered:${note}` : "answered" };
  };
}
