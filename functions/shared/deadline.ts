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
