/**
 * The event every record sends out (docs/events.md): typed, versioned, deduplicated by `id`.
 */
export interface CallbackEvent {
  /** Stable across redeliveries and replays: consumers dedupe on it. */
  id: string;
  /** The record type (`sms.incoming`, …), or a reply state change (`sms.reply.sent`, …). */
  type: string;
  version: 1;
  /** When AT's callback was received (ISO 8601). */
  receivedAt: string;
  stage: string;
  /** The callback's fields as stored. */
  data: Record<string, unknown>;
}
