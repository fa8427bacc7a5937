/**
 * Phone numbers as AT sends them: `%2B254…` decodes to `+254…`, but a literal `+` in a form
 * body decodes to a space, and voice callers sometimes arrive as `00254…`. We normalise what
 * is unambiguous to E.164 and leave the rest (short codes, SIP addresses, local `07…` numbers)
 * un-normalised; the raw value is always kept in the payload.
 */
const E164 = /^\+[1-9]\d{6,14}$/;

export function toE164(raw: string): string | undefined {
  const compact = raw.replace(/[\s\-().]/g, "");
  const withPlus = raw.startsWith(" ")
    ? `+${compact}`
    : compact.startsWith("00")
      ? `+${compact.slice(2)}`
      : compact;
  return E164.test(withPlus) ? withPlus : undefined;
}

/** `+254711000111` → `+2547*****111`: enough to correlate log lines, not to identify anyone. */
export function maskPhone(phone: string | undefined): string | undefined {
  if (!phone) return phone;
  if (phone.length <= 7) return "*".repeat(phone.length);
  return phone.slice(0, 5) + "*".repeat(phone.length - 8) + phone.slice(-3);
}

/** Masks every phone-number-like run of digits in a text (some AT ids embed the number). */
export const maskPhonesIn = (text: string) =>
  text.replace(/\+?\d{8,15}/g, (match) => maskPhone(match) ?? match);
