import { replyDeliveryEvents, replySendEvents } from "../events/event";
import type { EventPublisher } from "../events/publisher";
import type { ReplyState } from "../model/reply-state";
import { bestDelivery, deliveryFields, type Replies } from "../table/replies";

/** The states a job can leave a reply in that have events (event.ts `replySendEvents`). */
const WITH_EVENTS: ReadonlySet<ReplyState> = new Set(["sent", "rejected"]);

/**
 * Publishes the events of a reply as a job left it: sent or refused, and its final delivery
 * report when one was recorded before the reply's message was linked (the recorder found no
 * reply for it then). A redelivered job publishes them again (same ids), so a crash between the
 * state change and the publish loses nothing.
 */
export async function publishReplyEvents(
  store: Pick<Replies, "getReply" | "deliveryReports">,
  events: EventPublisher,
  inboundId: string,
  state: ReplyState,
  stage: string,
): Promise<number> {
  if (!WITH_EVENTS.has(state)) return 0;
  const stored = await store.getReply(inboundId);
  if (!stored) return 0;
  // A reply is not rewritten per report: its delivery status is its best report so far.
  const best = stored.messageId
    ? bestDelivery(await store.deliveryReports(stored.messageId))
    : undefined;
  const reply = best ? { ...stored, ...deliveryFields(best) } : stored;
  const all = [...replySendEvents(reply, stage), ...replyDeliveryEvents(reply, stage)];
  await events.publish(all);
  return all.length;
}
