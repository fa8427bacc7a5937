import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Deadline guard shared by the USSD engine and the airtime validation handler.
 *
 *   withDeadline(work, ms, fallback): Promise<T | F>
 *
 * Resolves with `work`'s value if it settles within `ms`, otherwise with `fallback`. A rejection
 * before the deadline is passed through; a late rejection is swallowed (nobody awaits it any more).
 * The timer is cleared as soon as `work` settles, so it never keeps a Lambda or a test alive.
 */
export function withDeadline<T, F>(work: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  return new Promise<T | F>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      resolve(fallback);
    }, ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        if (!settled) resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (!settled) reject(error);
      },
    );
  });
}

/**
 * One time budget per request: created when the request arrives and passed, as an
 * AbortSignal, to every call that waits on another service (Secrets Manager, SQS, DynamoDB).
 */
export class DeadlineExceeded extends Error {
  override name = "DeadlineExceeded";
}

/**
 * A signal that aborts after `budgetMs`, or sooner if the invocation has less time left
 * (`remainingMs`, from the Lambda context), keeping a margin to answer in.
 */
export function requestDeadline(budgetMs: number, remainingMs?: number): AbortSignal {
  const ANSWER_MARGIN_MS = 250;
  const left = remainingMs === undefined ? budgetMs : remainingMs - ANSWER_MARGIN_MS;
  return AbortSignal.timeout(Math.max(0, Math.min(budgetMs, left)));
}

/**
 * Settles as `work` does, or rejects with DeadlineExceeded once `signal` aborts: for calls that
 * take no signal themselves (the client's own timeouts still end the request behind it).
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(new DeadlineExceeded("request deadline passed"));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new DeadlineExceeded("request deadline passed"));
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

const invocationDeadline = new AsyncLocalStorage<AbortSignal>();

/**
 * Runs a worker invocation under its deadline: every call made through a client passed to
 * `boundByInvocation` (the shared DynamoDB and SQS clients), however deep in the code, gives up
 * when it passes, so the worker still reports its batch before Lambda ends it.
 */
export const withInvocationDeadline = <T>(signal: AbortSignal, work: () => Promise<T>) =>
  invocationDeadline.run(signal, work);

interface WithMiddleware {
  middlewareStack: {
    add(
      middleware: (next: (args: never) => Promise<unknown>) => (args: never) => Promise<unknown>,
      options: { step: "initialize"; name: string },
    ): void;
  };
}

export function boundByInvocation<C extends WithMiddleware>(client: C): C {
  client.middlewareStack.add(
    (next) => (args) => untilAborted(next(args), invocationDeadline.getStore()),
    { step: "initialize", name: "invocationDeadline" },
  );
  return client;
}
