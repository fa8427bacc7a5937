import { recordQuietly } from "./ack";
import type { HttpAnswer } from "./http";
import { describeError, logger } from "./logger";
import type { Callback, Handled } from "./pipeline";
import type { EventQueue } from "./sqs";

/**
 * Shared shape of the interactive routes: compute the answer AT is waiting for, record the
 * exchange on the events queue without letting a queue failure change the answer.
 */
export function interactive(
  queue: EventQueue,
  answerFor: (callback: Callback) => Promise<{ answer: HttpAnswer; recorded: string }>,
) {
  return async (callback: Callback): Promise<Handled> => {
    const { answer, recorded } = await answerFor(callback);
    const queued = await recordQuietly(queue, callback, recorded, (error) =>
      logger.error("could not queue interactive event", {
        route: callback.route.name,
        error: describeError(error),
      }),
    );
    return { answer, outcome: queued ? "answered" : "answered-unrecorded" };
  };
}
