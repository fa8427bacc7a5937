import { requiredEnv } from "../shared/env";
import { readSecret } from "../shared/secrets";
import { parseKeyList } from "./callback-key";

/*
 * Kept apart from config.ts so that only the HTTP handlers bundle the Secrets Manager client.
 */

export interface CallbackConfig {
  readonly eventsQueueUrl: string;
  /** The valid callback keys; on AWS re-read from Secrets Manager every few minutes. */
  readonly callbackKeys: (signal?: AbortSignal) => Promise<readonly string[]>;
}

/**
 * Configuration of every HTTP callback handler, read once per container. On AWS the keys
 * live in Secrets Manager (`CALLBACK_KEY_SECRET_ARN`: comma-separated keys); locally they
 * come from `CALLBACK_KEY`.
 */
export function loadCallbackConfig(): CallbackConfig {
  const eventsQueueUrl = requiredEnv("EVENTS_QUEUE_URL");
  const secretArn = process.env.CALLBACK_KEY_SECRET_ARN;
  if (secretArn) {
    return Object.freeze({
      eventsQueueUrl,
      callbackKeys: async (signal?: AbortSignal) =>
        parseKeyList(await readSecret(secretArn, signal)),
    });
  }
  const keys = parseKeyList(requiredEnv("CALLBACK_KEY"));
  return Object.freeze({ eventsQueueUrl, callbackKeys: async () => keys });
}
