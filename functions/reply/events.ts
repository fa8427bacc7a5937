import { replyDeliveryEvents, replySendEvents } from "../events/event";
import type { EventPublisher } from "../events/publisher";
import type { ReplyState } from "../model/reply-state";
import type { Replies } from "../table/replies";

/** The states a job can leave a reply in that have events (event.ts `replySendEvents`). */
const WITH_EVENTS: ReadonlySet<ReplyState> = new Set(["sent", "rejected"]);

/**
 * Publishes the events of a reply as a job left it: sent or refused, and its final delivery
 * report when one came before the reply was marked sent. A redelivered job publishes them again
 * (same ids), so a crash between the state change and the publish loses nothing.
 */
export async function publishReplyEvents(
  store: Pick<Replies, "getReply">,
  events: EventPublisher,
  inboundId: string,
  state: ReplyState,
  stage: string,
): Promise<number> {
  if (!WITH_EVENTS.has(state)) return 0;
  const reply = await store.getReply(inboundId);
  if (!reply) return 0;
  const all = [...replySendEvents(reply, stage), ...replyDeliveryEvents(reply, stage)];
  await events.publish(all);
  return all.length;
}
