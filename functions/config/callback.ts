import { parseKeyList } from "../ingest/callback-key";
import { readSecret } from "../shared/secrets";
import { type Env, requiredEnv } from "./env";

/*
 * Apart from the workers' config, so that only the HTTP handlers bundle the Secrets Manager client.
 */

export interface CallbackConfig {
  readonly eventsQueueUrl: string;
  /** The valid callback keys; on AWS re-read from Secrets Manager every few minutes. */
  readonly callbackKeys: (signal?: AbortSignal) => Promise<readonly string[]>;
  /** Overrides the route's time budget (REQUEST_BUDGET_MS); tests use it. */
  readonly budgetMs?: number;
}

/** Fixed callback keys (the local stack, tests): `CALLBACK_KEY`'s comma-separated list. */
export const fixedCallbackKeys = (keys: string) => {
  const list = parseKeyList(keys);
  return async () => list;
};

/**
 * Configuration of every HTTP callback handler, read once per container. On AWS the keys
 * live in Secrets Manager (`CALLBACK_KEY_SECRET_ARN`: comma-separated keys); else they
 * come from `CALLBACK_KEY`.
 */
export function loadCallbackConfig(env: Env = process.env): CallbackConfig {
  const eventsQueueUrl = requiredEnv(env, "EVENTS_QUEUE_URL");
  const secretArn = env.CALLBACK_KEY_SECRET_ARN;
  if (secretArn) {
    return Object.freeze({
      eventsQueueUrl,
      callbackKeys: async (signal?: AbortSignal) =>
        parseKeyList(await readSecret(secretArn, signal)),
    });
  }
  return Object.freeze({
    eventsQueueUrl,
    callbackKeys: fixedCallbackKeys(requiredEnv(env, "CALLBACK_KEY")),
  });
}
