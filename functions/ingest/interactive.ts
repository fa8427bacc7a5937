import { type CallbackOf, type CallbackType, isCallbackOf } from "../model/callbacks";
import type { EventQueue } from "../model/envelope";
import { envelopeOf } from "../model/envelope";
import { logger } from "../shared/logger";
import type { HttpAnswer } from "./http";
import type { Accepted, Handled } from "./pipeline";

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
export function interactive<T extends CallbackType>(
  queue: EventQueue,
  type: T,
  answerFor: (callback: CallbackOf<T>, request: Accepted) => Promise<InteractiveAnswer>,
) {
  return async (request: Accepted): Promise<Handled> => {
    const { route, callback, receivedAt, signal } = request;
    if (!isCallbackOf(callback, type)) {
      throw new Error(`route ${route.name} receives ${callback.type}, not ${type}`);
    }
    const { answer, recorded, note } = await answerFor(callback, request);
    try {
      await queue.send(envelopeOf(callback, route.name, receivedAt, recorded, note), signal);
    } catch (error) {
      logger.error("could not queue interactive event", {
        route: route.name,
        atId: callback.atId,
        error,
      });
      return { answer, outcome: "answered-unrecorded" };
    }
    return { answer, outcome: note ? `answered:${note}` : "answered" };
  };
}
