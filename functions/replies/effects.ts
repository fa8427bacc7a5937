import type { RecordItem } from "../lib/records";
import { isOptOutMessage } from "./policy";
import { isBlacklistReason } from "./state";
import { deliveryUpdateOf, type ReplyStore } from "./store";

export interface EffectResult {
  /** What changed besides the record itself, for the log line. */
  effects: string[];
}

const str = (v: unknown) => (v === undefined || v === null ? "" : String(v).trim());

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
 */
export async function applyCallbackEffects(
  item: RecordItem,
  store: ReplyStore,
): Promise<EffectResult> {
  const effects: string[] = [];
  switch (item.type) {
    case "sms.incoming": {
      const phoneNumber = item.phones.from;
      if (!phoneNumber || !isOptOutMessage(str(item.payload.text))) break;
      await store.suppress({
        phoneNumber,
        sender: str(item.payload.to),
        reason: "optout-keyword",
        source: `sms.incoming#${item.id}`,
        since: item.receivedAt,
      });
      effects.push("suppressed");
      break;
    }
    case "sms.optout": {
      const phoneNumber = item.phones.phoneNumber ?? str(item.payload.phoneNumber);
      await store.suppress({
        phoneNumber,
        sender: str(item.payload.senderId),
        reason: "optout",
        source: `sms.optout#${item.id}`,
        since: item.receivedAt,
      });
      effects.push("suppressed");
      break;
    }
    case "sms.delivery": {
      const update = deliveryUpdateOf(item);
      const link = await store.replyForMessage(item.id);
      if (link) {
        const applied = await store.applyDelivery(link.inboundId, update);
        effects.push(applied ? "reply-delivery-updated" : "reply-delivery-unchanged");
      }
      if (isBlacklistReason(item.payload.failureReason)) {
        await store.suppress({
          phoneNumber: item.phones.phoneNumber ?? str(item.payload.phoneNumber),
          sender: link?.from ?? "*",
          reason: "UserInBlackList",
          source: `sms.delivery#${item.id}`,
          since: item.receivedAt,
        });
        effects.push("suppressed");
      }
      break;
    }
    case "sms.subscription": {
      const updateType = str(item.payload.updateType);
      // Open enum: an update type we do not know is recorded but changes no state.
      const change = updateType.toLowerCase();
      if (change !== "addition" && change !== "deletion") break;
      await store.setSubscription({
        shortCode: str(item.payload.shortCode),
        keyword: str(item.payload.keyword).toUpperCase(),
        phoneNumber: item.phones.phoneNumber ?? str(item.payload.phoneNumber),
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
  return { effects };
}
