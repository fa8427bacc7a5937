import { type AirtimeRules, parseAirtimeRules } from "../engines/airtime/validation";
import { type CallbackConfig, loadCallbackConfig } from "./callback";
import { type Env, optionalNumberEnv, requiredEnv } from "./env";

export interface AirtimeValidationConfig extends CallbackConfig {
  readonly rules: AirtimeRules;
  /** The longest the rules may take before the answer is `Failed` (`AIRTIME_DEADLINE_MS`). */
  readonly deadlineMs: number;
  /** The records table, for the pending-request rule (`AIRTIME_REQUIRE_PENDING`). */
  readonly tableName: string | undefined;
}

/** Bad rules fail the cold start with every problem listed, rather than validate wrongly. */
export function loadAirtimeSettings(env: Env): Omit<AirtimeValidationConfig, keyof CallbackConfig> {
  const rules = parseAirtimeRules(env);
  return {
    rules,
    deadlineMs: optionalNumberEnv(env, "AIRTIME_DEADLINE_MS") ?? 3000,
    tableName: rules.requirePending ? requiredEnv(env, "TABLE_NAME") : undefined,
  };
}

export const loadAirtimeValidationConfig = (env: Env = process.env): AirtimeValidationConfig =>
  Object.freeze({ ...loadCallbackConfig(env), ...loadAirtimeSettings(env) });
