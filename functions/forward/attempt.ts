import { type AttemptResult, classifyAnswer } from "./retry";

/** How much of an endpoint's answer is kept with the delivery (the inspector shows it). */
const EXCERPT_CHARS = 200;

/**
 * One POST of an event to an endpoint, bounded by `timeoutMs` (answer and body excerpt). A
 * redirect is not followed; a timeout or a connection error is worth a retry.
 */
export async function attemptDelivery(
  fetchFn: typeof fetch,
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<AttemptResult> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetchFn(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
      redirect: "manual",
      signal,
    });
    const text = await response.text().catch(() => "");
    return classifyAnswer(
      response.status,
      text.slice(0, EXCERPT_CHARS),
      response.headers.get("location"),
    );
  } catch (error) {
    return {
      kind: "retry",
      status: undefined,
      error: describeFailure(error, signal, timeoutMs),
      excerpt: undefined,
    };
  }
}

/** A failed request in a few words: `no answer within 10 s`, `ECONNREFUSED`, … */
function describeFailure(error: unknown, signal: AbortSignal, timeoutMs: number): string {
  if (signal.aborted) return `no answer within ${timeoutMs / 1000} s`;
  const cause =
    error instanceof Error
      ? (error.cause as { code?: unknown; message?: unknown } | undefined)
      : undefined;
  if (cause && typeof cause.code === "string") return `connection failed: ${cause.code}`;
  if (cause && typeof cause.message === "string") return `connection failed: ${cause.message}`;
  return `connection failed: ${error instanceof Error ? error.message : String(error)}`;
}
