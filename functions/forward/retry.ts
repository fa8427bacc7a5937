import type { ForwardRetryPolicy } from "../settings";

/** What one attempt came to. */
export type AttemptResult =
  | { readonly kind: "delivered"; readonly status: number; readonly excerpt: string }
  | {
      readonly kind: "retry" | "final";
      readonly status: number | undefined;
      readonly error: string;
      readonly excerpt: string | undefined;
    };

/** Answers worth another attempt: the endpoint is busy, overloaded or failing for now. */
const RETRIED_STATUSES = new Set([408, 409, 429]);

/** An HTTP answer classified: 2xx delivered; 408, 409, 429, 5xx retried; anything else final. */
export function classifyAnswer(
  status: number,
  excerpt: string,
  location: string | null,
): AttemptResult {
  if (status >= 200 && status < 300) return { kind: "delivered", status, excerpt };
  if (RETRIED_STATUSES.has(status) || status >= 500)
    return { kind: "retry", status, error: `HTTP ${status}`, excerpt };
  if (status >= 300 && status < 400) {
    return {
      kind: "final",
      status,
      error: `HTTP ${status}: redirect${location ? ` to ${location}` : ""} not followed (configure the final URL)`,
      excerpt,
    };
  }
  return { kind: "final", status, error: `HTTP ${status}: refused by the endpoint`, excerpt };
}

/**
 * The delay before attempt `attempt + 1` (full jitter: uniform between 1 s and the doubling
 * bound), or undefined when the delivery has been failing long enough to give up.
 */
export function retryDelaySeconds(
  policy: ForwardRetryPolicy,
  attempt: number,
  firstAttemptAt: Date,
  now: Date,
  random: () => number,
): number | undefined {
  if (now.getTime() - firstAttemptAt.getTime() >= policy.giveUpAfterSeconds * 1000)
    return undefined;
  const bound = Math.min(policy.maxDelaySeconds, policy.baseDelaySeconds * 2 ** (attempt - 1));
  return Math.max(1, Math.round(random() * bound));
}
