/**
 * Per-session state port used by the USSD engine when a menu opts in with `session: { store, ttlSeconds }`.
 *
 *   interface SessionStore<S> { get(sessionId, signal?): Promise<S | undefined>; put(sessionId, state, ttlSeconds, signal?): Promise<void> }
 *   (`signal`: the request's deadline; a store that waits on a service gives up when it aborts)
 *   class InMemorySessionStore<S> implements SessionStore<S>   // for tests and local runs
 */
export interface SessionStore<S> {
  get(sessionId: string, signal?: AbortSignal): Promise<S | undefined>;
  put(sessionId: string, state: S, ttlSeconds: number, signal?: AbortSignal): Promise<void>;
}

interface StoredState<S> {
  readonly state: S;
  readonly expiresAtMs: number;
}

export class InMemorySessionStore<S> implements SessionStore<S> {
  private readonly entries = new Map<string, StoredState<S>>();

  constructor(private readonly now: () => number = Date.now) {}

  async get(sessionId: string): Promise<S | undefined> {
    const entry = this.entries.get(sessionId);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= this.now()) {
      this.entries.delete(sessionId);
      return undefined;
    }
    return entry.state;
  }

  async put(sessionId: string, state: S, ttlSeconds: number): Promise<void> {
    this.entries.set(sessionId, { state, expiresAtMs: this.now() + ttlSeconds * 1000 });
  }
}
