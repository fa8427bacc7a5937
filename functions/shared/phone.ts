/**
 * Phone numbers as AT sends them: `%2B254…` decodes to `+254…`, but a literal `+` in a form
 * body decodes to a space, and voice callers sometimes arrive as `00254…`. We normalise what
 * is unambiguous to E.164 and leave the rest (short codes, SIP addresses, local `07…` numbers)
 * un-normalised; the raw value is always kept in the payload.
 *
 * A person typing a number (the tools' `--phone`, the inspector's filter) may type it the
 * national way, `0711000111`: given a `defaultCountry` (calling code, e.g. `254`), a single
 * leading 0 is read as that country's trunk prefix. Ingestion never passes one: a callback's
 * country cannot be guessed.
 */
const E164 = /^\+[1-9]\d{6,14}$/;

/** The calling code the tools assume for a national number (`0711…`) unless told otherwise. */
export const DEFAULT_COUNTRY_CODE = "254";

export function toE164(raw: string, defaultCountry?: string): string | undefined {
  const compact = raw.replace(/[\s\-().]/g, "");
  const withPlus = raw.startsWith(" ")
    ? `+${compact}`
    : compact.startsWith("00")
      ? `+${compact.slice(2)}`
      : defaultCountry && /^0[1-9]/.test(compact)
        ? `+${defaultCountry}${compact.slice(1)}`
        : compact;
  return E164.test(withPlus) ? withPlus : undefined;
}

/** A calling code as `--country` or PHONE_COUNTRY_CODE gives it (`254`, `+256`); undefined if not one. */
export const countryCode = (raw: string): string | undefined => {
  const code = raw.trim().replace(/^\+/, "");
  return /^[1-9]\d{0,3}$/.test(code) ? code : undefined;
};

/** `+254711000111` → `+2547*****111`: enough to correlate log lines, not to identify anyone. */
export function maskPhone(phone: string | undefined): string | undefined {
  if (!phone) return phone;
  if (phone.length <= 7) return "*".repeat(phone.length);
  return phone.slice(0, 5) + "*".repeat(phone.length - 8) + phone.slice(-3);
}

/**
 * A phone number standing on its own in a text: 8 to 15 digits, maybe after `+` (or `%2B`, as
 * a form body spells it), with no letter, digit, `_` or `-` on either side. A run of digits
 * inside a token (`ATUid_…742332840b6d`, a UUID's last group, `ATXid_…`) is part of an id, and
 * ids are never masked: searching the logs by id must find every line.
 */
const STANDALONE_PHONE = /(?<![\w-])(?:\+|%2B)?\d{8,15}(?![\w-])/gi;

/** Masks the phone numbers in a text (an error message, a refusal reason); ids are left whole. */
export const maskPhonesIn = (text: string) =>
  text.replace(STANDALONE_PHONE, (match) =>
    /^%2B/i.test(match)
      ? `${match.slice(0, 3)}${maskPhone(match.slice(3))}`
      : (maskPhone(match) ?? match),
  );
