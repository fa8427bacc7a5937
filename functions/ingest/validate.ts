import { toE164 } from "../shared/phone";
import type { CallbackSchema, Payload } from "./callbacks";

export type Validated =
  | { ok: true; payload: Payload; phones: Record<string, string> }
  | { ok: false; reason: string };

/** AT's ids are a few dozen characters; the table's keys allow at most 1 KiB. */
export const MAX_AT_ID_BYTES = 256;

const isScalar = (v: unknown) =>
  typeof v === "string" || typeof v === "number" || typeof v === "boolean";

/**
 * Checks a parsed body against its callback schema. The payload is returned exactly as
 * received (unknown fields and unknown enum values included); phone numbers are normalised
 * into a separate map so the raw values stay untouched.
 */
export function validateCallback(schema: CallbackSchema, body: unknown): Validated {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, reason: "body must be an object of fields" };
  }
  const payload = body as Payload;
  const repeated = schema.fields.filter((f) => payload[f] !== undefined && !isScalar(payload[f]));
  if (repeated.length > 0) {
    return { ok: false, reason: `field ${repeated.join(", ")} must be a single value` };
  }
  const missing = schema.required.filter((f) => {
    const value = payload[f];
    if (value === undefined || value === null) return true;
    return String(value).trim() === "" && !schema.emptyAllowed?.includes(f);
  });
  if (missing.length > 0) {
    return {
      ok: false,
      reason: `missing required field${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`,
    };
  }
  const atId = schema.atId(payload);
  if (Buffer.byteLength(atId) > MAX_AT_ID_BYTES) {
    return { ok: false, reason: `AT id is longer than ${MAX_AT_ID_BYTES} bytes` };
  }
  const phones: Record<string, string> = {};
  for (const f of schema.phoneFields) {
    const raw = payload[f];
    const e164 = typeof raw === "string" ? toE164(raw) : undefined;
    if (e164) phones[f] = e164;
  }
  return { ok: true, payload, phones };
}
