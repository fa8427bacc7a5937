/**
 * The reply state machine (docs/replies.md has the diagram). Pure rules; the store applies
 * them with conditional writes so that concurrent jobs for one inbound message cannot both send.
 *
 *   (none) ──claim──▶ pending ──▶ sending ──▶ sent | rejected | unknown
 *                       │  ▲         │
 *                       │  └─retry───┤ (certainly not sent: connect error, 5xx, 429)
 *                       │            └─▶ failed (retry budget spent; a later job may try again)
 *                       ├──▶ suppressed (recipient opted out)
 *                       └──▶ skipped (the policy has no reply)
 *   sending, found by a later job after the sending attempt's deadline ──▶ unknown (never resent)
 */
export const REPLY_STATES = [
  "pending",
  "sending",
  "sent",
  "rejected",
  "failed",
  "unknown",
  "suppressed",
  "skipped",
] as const;
export type ReplyState = (typeof REPLY_STATES)[number];

/** States from which a job may (still) send: no SMS has left for this inbound message. */
export const SENDABLE: ReadonlySet<ReplyState> = new Set(["pending", "failed"]);
/** States a job never leaves: the reply is decided. */
export const SETTLED: ReadonlySet<ReplyState> = new Set([
  "sent",
  "rejected",
  "unknown",
  "suppressed",
  "skipped",
]);

/** Delay before the next attempt after a retryable failure: exponential, capped. */
export function backoffSeconds(
  attempts: number,
  options: { baseDelaySeconds: number; maxDelaySeconds: number },
): number {
  const n = Math.max(1, attempts);
  return Math.min(options.maxDelaySeconds, options.baseDelaySeconds * 2 ** (n - 1));
}

/**
 * Delivery-report statuses ranked so that updates are monotonic: a report only replaces one of
 * lower rank. Final statuses outrank everything, so a late `Sent` never overwrites `Success`.
 */
const DELIVERY_RANK: Readonly<Record<string, number>> = {
  sent: 2,
  submitted: 3,
  buffered: 3,
  success: 4,
  failed: 4,
  rejected: 4,
};
/** Statuses AT has not documented still count, below any documented one. */
export const deliveryRank = (status: string) => DELIVERY_RANK[status.toLowerCase()] ?? 1;
export const isFinalDelivery = (status: string) => deliveryRank(status) === 4;

export const isBlacklistReason = (failureReason: unknown) =>
  typeof failureReason === "string" && failureReason.toLowerCase() === "userinblacklist";
