import type { ForwardRetryPolicy } from "../settings";
import type { DeliveryStore } from "../table/deliveries";
import { attemptDelivery } from "./attempt";
import { atIdOfEvent, type QueuedEvent } from "./event";
import { retryDelaySeconds } from "./retry";
import { signDelivery } from "./signature";

/** A user's endpoint: its name (unique in the stage) and its URL. */
export interface Endpoint {
  readonly name: string;
  readonly url: string;
}

export interface ForwardDeps {
  endpoint: Endpoint;
  /** The signing keys (two while a rotated secret overlaps), read when needed. */
  signingKeys(): Promise<Buffer[]>;
  deliveries: DeliveryStore;
  /** Sends an event that will not be delivered to the endpoint's dead-letter queue. */
  deadLetter(body: string): Promise<void>;
  fetch: typeof fetch;
  retry: ForwardRetryPolicy;
  attemptTimeoutMs: number;
  ttlDays: number | undefined;
  now(): Date;
  random(): number;
}

export type ForwardOutcome =
  | { outcome: "delivered"; status: number; attempt: number }
  | {
      outcome: "retry";
      status: number | undefined;
      error: string;
      attempt: number;
      delaySeconds: number;
    }
  | { outcome: "dead-lettered"; status: number | undefined; error: string; attempt: number };

/**
 * One attempt to deliver an event to an endpoint, signed with Standard Webhooks headers. The
 * outcome is kept on the delivery's item; a failure worth retrying asks for a delay (the
 * caller sets it on the queue) until the first attempt is `giveUpAfterSeconds` old; a final
 * failure, or the last, sends the event to the dead-letter queue.
 */
export async function forwardEvent(
  { event, body }: QueuedEvent,
  context: { attempt: number; firstAttemptAt: Date; remainingMs: number },
  deps: ForwardDeps,
): Promise<ForwardOutcome> {
  const keys = await deps.signingKeys();
  const sentAt = deps.now();
  const headers = signDelivery(keys, event.id, Math.floor(sentAt.getTime() / 1000), body);
  // The attempt ends before the invocation does, leaving time to record it.
  const timeoutMs = Math.max(1_000, Math.min(deps.attemptTimeoutMs, context.remainingMs - 3_000));
  const result = await attemptDelivery(
    deps.fetch,
    deps.endpoint.url,
    { ...headers },
    body,
    timeoutMs,
  );
  const now = deps.now();
  const delaySeconds =
    result.kind === "retry"
      ? retryDelaySeconds(deps.retry, context.attempt, context.firstAttemptAt, now, deps.random)
      : undefined;
  const state =
    result.kind === "delivered" ? "delivered" : delaySeconds === undefined ? "failed" : "retrying";
  await deps.deliveries.recordAttempt({
    atId: atIdOfEvent(event),
    endpoint: deps.endpoint.name,
    url: deps.endpoint.url,
    eventId: event.id,
    eventType: event.type,
    state,
    at: now,
    status: result.status,
    error: result.kind === "delivered" ? undefined : result.error,
    response: result.excerpt,
    nextAttemptAt:
      delaySeconds === undefined ? undefined : new Date(now.getTime() + delaySeconds * 1000),
    ttlDays: deps.ttlDays,
  });
  if (result.kind === "delivered")
    return { outcome: "delivered", status: result.status, attempt: context.attempt };
  if (delaySeconds !== undefined) {
    return {
      outcome: "retry",
      status: result.status,
      error: result.error,
      attempt: context.attempt,
      delaySeconds,
    };
  }
  await deps.deadLetter(body);
  return {
    outcome: "dead-lettered",
    status: result.status,
    error:
      result.kind === "final"
        ? result.error
        : `${result.error}; gave up ${deps.retry.giveUpAfterSeconds / 3600} h after the first attempt`,
    attempt: context.attempt,
  };
}
