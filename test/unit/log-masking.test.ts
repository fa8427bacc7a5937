import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { scrubLogValue } from "../../functions/shared/logger";
import { maskPhonesIn } from "../../functions/shared/phone";
import { redactCallbackKeys } from "../../functions/shared/redact";

/**
 * The masker must find phone numbers in free text and the AT id of an opt-out
 * (`<senderId>#<phone>`), and must leave every id AT issues exactly as it is: a search of the
 * logs by id is how a callback is investigated (docs/logs.md).
 */
const RUNS = 2_000;

/** Hex as AT writes its ids, weighted towards digits: long digit runs are what a masker trips on. */
const hexBody = (min: number, max: number) =>
  fc.string({
    unit: fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(..."0123456789") },
      { weight: 1, arbitrary: fc.constantFrom(..."abcdef") },
    ),
    minLength: min,
    maxLength: max,
  });

const prefixed = (prefix: string) => hexBody(8, 40).map((body) => `${prefix}${body}`);

/** Every id shape AT sends (reference: at-callbacks.md, "ID prefixes seen"). */
const ID_SHAPES: Record<string, fc.Arbitrary<string>> = {
  "SMS message id (ATXid_…)": prefixed("ATXid_"),
  "USSD session id (ATUid_…)": prefixed("ATUid_"),
  "voice session id (ATVId_…)": prefixed("ATVId_"),
  "payment / mobile data id (ATPid_…)": prefixed("ATPid_"),
  "airtime request id (ATQid_…)": prefixed("ATQid_"),
  "SIM swap request id (ATSwpid_…, ATXSwid_…)": fc
    .constantFrom("ATSwpid_", "ATXSwid_")
    .chain((prefix) => prefixed(prefix)),
  "transaction id (UUID)": fc.uuid(),
};

/** E.164 numbers: 8 to 15 digits after the `+`. */
const phone = fc
  .tuple(
    fc.integer({ min: 1, max: 9 }),
    fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: 7, maxLength: 14 }),
  )
  .map(([first, rest]) => `+${first}${rest}`);

describe("log masking never alters an AT id", () => {
  for (const [shape, ids] of Object.entries(ID_SHAPES)) {
    it(`${shape}: unchanged as a field, in a message, beside a phone number, which is masked`, () => {
      fc.assert(
        fc.property(ids, phone, (id, number) => {
          expect(scrubLogValue("atId", id)).toBe(id);
          const text = `could not queue ${id} for ${number} (${id})`;
          const masked = String(scrubLogValue("message", text));
          expect(masked).toBe(`could not queue ${id} for ${maskPhonesIn(number)} (${id})`);
          expect(masked).not.toContain(number);
        }),
        { numRuns: RUNS },
      );
    });
  }

  it("the id of an opt-out or a subscription keeps its sender, its number masked", () => {
    fc.assert(
      fc.property(fc.constantFrom("MyBrand", "AFRICASTKNG", "22384"), phone, (sender, number) => {
        const masked = String(scrubLogValue("atId", `${sender}#${number}`));
        expect(masked.startsWith(`${sender}#${number.slice(0, 5)}`)).toBe(true);
        expect(masked).not.toContain(number);
      }),
      { numRuns: RUNS },
    );
  });

  it("masks a number however AT spells it: +254…, %2B254…, 254…, in a SIP address", () => {
    expect(maskPhonesIn("from +254711000111.")).toBe("from +2547*****111.");
    expect(maskPhonesIn("phoneNumber=%2B254711000111&x=1")).toBe("phoneNumber=%2B25471****111&x=1");
    expect(maskPhonesIn("254711000111")).toBe("25471****111");
    expect(maskPhonesIn("sip:+254711000111@ke.sip.africastalking.com")).toBe(
      "sip:+2547*****111@ke.sip.africastalking.com",
    );
  });
});

describe("callback keys in logged text", () => {
  it("are redacted in a URL, in XML, wherever the parameter stands", () => {
    const key = "s3cr3t-K3y_0123";
    for (const [text, redacted] of [
      [`https://h/api/voice/instruct?key=${key}`, "https://h/api/voice/instruct?key=REDACTED"],
      [
        `callbackUrl="https://h/x?a=1&amp;key=${key}"`,
        'callbackUrl="https://h/x?a=1&amp;key=REDACTED"',
      ],
      [`https://h/x?key=${key}&b=2#f`, "https://h/x?key=REDACTED&b=2#f"],
    ] as const) {
      expect(redactCallbackKeys(text)).toBe(redacted);
      expect(String(scrubLogValue("anyField", text))).not.toContain(key);
    }
  });
});
