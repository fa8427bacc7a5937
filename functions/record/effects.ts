import { isBlacklistReason, isFinalDelivery } from "../model/reply-state";
import { isOptOutMessage } from "../reply/policy";
import { AT_RETRY_WINDOW_HOURS } from "../settings";
import { type RecordItem, recordedCallback } from "../table/records";
import { deliveryUpdateOf, type ReplyItem, type ReplyStore } from "../table/replies";

export interface EffectResult {
  /** What changed besides the record itself, for the log line. */
  effects: string[];
  /** The reply a delivery report is about, as it stands after the report (its events). */
  reply?: ReplyItem;
}

/**
 * What the recorder does, after writing a record, for the SMS callbacks that change reply
 * state. Idempotent: it runs again for duplicates (AT retries, SQS redeliveries), which is what
 * makes a crash between the record write and these updates harmless.
 *
 * - `sms.optout` → the number is suppressed for that sender id.
 * - `sms.incoming` saying STOP (policy.ts, OPT_OUT_KEYWORDS) → the number is suppressed for the
 *   shortcode it wrote to, so its reply job ends `suppressed` instead of answering.
 * - `sms.delivery` → the matching reply's delivery status (monotonic); `UserInBlackList`
 *   also suppresses the number for the reply's sender (`*`, every sender, when unknown).
 * - `sms.subscription` → the (shortcode, keyword, number) subscription goes active/inactive.
 *
 * `item` is the record as first stored; `receivedAt` is when this copy was received (a
 * redelivery or a dead-letter redrive keeps the first copy's time, an AT retry has its own).
 * A suppression lifted by an operator comes back only for a callback received after the lift
 * (table/suppressions.ts), so the time a suppression begins is `suppressionTime`.
 */
export async function applyCallbackEffects(
  item: RecordItem,
  store: ReplyStore,
  receivedAt: string = item.receivedAt,
): Promise<EffectResult> {
  const effects: string[] = [];
  let reply: ReplyItem | undefined;
  const since = suppressionTime(item.receivedAt, receivedAt);
  switch (item.type) {
    case "sms.incoming": {
      const { fields } = recordedCallback("sms.incoming", item);
      const phoneNumber = item.phones.from;
      if (!phoneNumber || !isOptOutMessage(fields.text.trim())) break;
      await store.suppress({
        phoneNumber,
        sender: fields.to.trim(),
        reason: "optout-keyword",
        source: `sms.incoming#${item.id}`,
        since,
      });
      effects.push("suppressed");
      break;
    }
    case "sms.optout": {
      const { fields } = recordedCallback("sms.optout", item);
      await store.suppress({
        phoneNumber: item.phones.phoneNumber ?? fields.phoneNumber.trim(),
        sender: fields.senderId.trim(),
        reason: "optout",
        source: `sms.optout#${item.id}`,
        since,
      });
      effects.push("suppressed");
      break;
    }
    case "sms.delivery": {
      const { fields } = recordedCallback("sms.delivery", item);
      const update = deliveryUpdateOf(item);
      const link = await store.replyForMessage(item.id);
      if (link) {
        const applied = await store.applyDelivery(link.inboundId, update);
        effects.push(applied ? "reply-delivery-updated" : "reply-delivery-unchanged");
        // A final report is an event: read back for duplicates too, so it is published again
        // after a crash.
        if (isFinalDelivery(update.status)) reply = await store.getReply(link.inboundId);
      }
      if (isBlacklistReason(fields.failureReason)) {
        await store.suppress({
          phoneNumber: item.phones.phoneNumber ?? (fields.phoneNumber ?? "").trim(),
          sender: link?.from ?? "*",
          reason: "UserInBlackList",
          source: `sms.delivery#${item.id}`,
          since,
        });
        effects.push("suppressed");
      }
      break;
    }
    case "sms.subscription": {
      const { fields } = recordedCallback("sms.subscription", item);
      const updateType = fields.updateType.trim();
      // Open enum: an update type we do not know is recorded but changes no state.
      const change = updateType.toLowerCase();
      if (change !== "addition" && change !== "deletion") break;
      await store.setSubscription({
        shortCode: fields.shortCode.trim(),
        keyword: fields.keyword.trim().toUpperCase(),
        phoneNumber: item.phones.phoneNumber ?? fields.phoneNumber.trim(),
        active: change === "addition",
        updateType,
        updatedAt: item.receivedAt,
      });
      effects.push("subscription");
      break;
    }
    default:
      break;
  }
  return { effects, ...(reply ? { reply } : {}) };
}

const AT_RETRY_WINDOW_MS = AT_RETRY_WINDOW_HOURS * 3_600_000;

/**
 * When a suppression begins: when its callback was first received. A copy received within AT's
 * retry window of the first is AT retrying it; one received later is the subscriber opting out
 * again (an opt-out carries no id of its own: its sender id and number are all AT sends, so
 * the two are otherwise the same record).
 */
export function suppressionTime(firstReceivedAt: string, receivedAt: string): string {
  const later = Date.parse(receivedAt) - Date.parse(firstReceivedAt);
  return later > AT_RETRY_WINDOW_MS ? receivedAt : firstReceivedAt;
}
