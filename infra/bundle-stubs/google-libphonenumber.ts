/**
 * Stands in for `google-libphonenumber` (570 KB of metadata) in the deployed replier: the AT SDK
 * uses it only to check `to` before a send. The replier only ever sends to numbers it already
 * normalised to E.164 (functions/shared/phone.ts), so that check is the one applied here; a number
 * it refuses still gets the SDK's own country-code pattern as a second chance.
 */
import { toE164 } from "../../functions/shared/phone";

export const PhoneNumberUtil = {
  getInstance: () => ({
    parse: (value: string) => value,
    isValidNumber: (value: string) => typeof value === "string" && toE164(value) === value,
  }),
};
