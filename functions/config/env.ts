/**
 * Helpers for the config loaders (this folder): the only code that reads the environment. Each
 * loader parses it once, at cold start, into a frozen, typed config; below the entry files
 * nothing reads `process.env`.
 */

/** Environment variables, as `process.env` holds them (or a test's plain object). */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Where a function runs: `aws` for the Lambda entries' own config, `local` for the local stack.
 * Passed explicitly, never guessed from the runtime.
 */
export type RuntimeMode = "aws" | "local";

/** A required variable, failing the cold start with a clear message. */
export function requiredEnv(env: Env, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

/** A positive number, or undefined when unset or empty. */
export function optionalNumberEnv(env: Env, name: string): number | undefined {
  const value = env[name];
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`environment variable ${name} must be a positive number`);
  return n;
}
