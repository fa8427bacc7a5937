import { createHash, timingSafeEqual } from "node:crypto";

const digest = (s: string) => createHash("sha256").update(s).digest();

/**
 * AT does not sign callbacks, so every callback URL carries a secret `key` query parameter.
 * Several keys may be valid at once so a key can be rotated without downtime.
 * Comparing fixed-length digests keeps the comparison constant-time whatever the lengths.
 */
export function isValidCallbackKey(candidate: string | undefined, validKeys: readonly string[]) {
  if (!candidate) return false;
  const given = digest(candidate);
  let valid = false;
  for (const key of validKeys) {
    if (key.length > 0 && timingSafeEqual(given, digest(key))) valid = true;
  }
  return valid;
}

/** `CALLBACK_KEY` may hold several keys separated by commas (rotation). */
export const parseKeyList = (value: string | undefined) =>
  (value ?? "")
    .split(",")
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
