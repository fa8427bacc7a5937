import { countryCode, DEFAULT_COUNTRY_CODE, toE164 } from "../functions/shared/phone";

/**
 * Phone numbers as a person types them into a tool: international (`+254711000111`,
 * `00254…`) or national (`0711000111`, read with the default country: `--country`, else
 * PHONE_COUNTRY_CODE, else 254). The normaliser is the ingestion's own (functions/shared/phone.ts).
 */
export interface PhoneInput {
  country: string;
  /** E.164, or undefined when the text is not a phone number. */
  normalise(raw: string): string | undefined;
}

export function phoneInput(flag: string | undefined, env: NodeJS.ProcessEnv): PhoneInput {
  const given = flag ?? env.PHONE_COUNTRY_CODE;
  const country = given === undefined || given === "" ? DEFAULT_COUNTRY_CODE : countryCode(given);
  if (!country) {
    throw new Error(
      `${flag === undefined ? "PHONE_COUNTRY_CODE" : "--country"} must be a calling code like 254, not ${given}`,
    );
  }
  return { country, normalise: (raw) => toE164(raw, country) };
}
