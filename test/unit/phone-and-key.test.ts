import { describe, expect, it } from "vitest";
import { isValidCallbackKey, parseKeyList } from "../../functions/ingest/callback-key";
import { maskPhone, toE164 } from "../../functions/shared/phone";

describe("toE164", () => {
  it.each([
    ["+254711000111", "+254711000111"],
    [" 254711000111", "+254711000111"], // a literal + decoded as a space
    ["00256772000113", "+256772000113"],
    ["+234 803 000 114", "+234803000114"],
  ])("normalises %j to %s", (raw, e164) => {
    expect(toE164(raw)).toBe(e164);
  });

  it.each(["0711000123", "20880", "MyBrand", "agent@ke.sip.africastalking.com", "+0123", ""])(
    "leaves %j un-normalised rather than guess",
    (raw) => {
      expect(toE164(raw)).toBeUndefined();
    },
  );
});

describe("toE164 with a default country (numbers typed into the tools)", () => {
  it.each([
    ["0711000123", "254", "+254711000123"],
    ["0772 000 113", "256", "+256772000113"],
    ["+254711000111", "256", "+254711000111"], // international stays as written
    ["00256772000113", "254", "+256772000113"],
  ])("reads %j with country %s as %s", (raw, country, e164) => {
    expect(toE164(raw, country)).toBe(e164);
  });

  it.each(["00", "0", "20880", "007", "MyBrand"])("still refuses %j", (raw) => {
    expect(toE164(raw, "254")).toBeUndefined();
  });
});

describe("maskPhone", () => {
  it("keeps the country prefix and last digits only", () => {
    expect(maskPhone("+254711000111")).toBe("+2547*****111");
    expect(maskPhone(undefined)).toBeUndefined();
  });
});

describe("callback keys", () => {
  it("accepts any of several keys, for rotation without downtime", () => {
    const keys = parseKeyList(" old-key , new-key ,");
    expect(keys).toEqual(["old-key", "new-key"]);
    expect(isValidCallbackKey("old-key", keys)).toBe(true);
    expect(isValidCallbackKey("new-key", keys)).toBe(true);
  });

  it("refuses missing, empty, wrong and prefix keys", () => {
    const keys = ["secret-key"];
    for (const candidate of [undefined, "", "secret", "secret-key2", "SECRET-KEY"]) {
      expect(isValidCallbackKey(candidate, keys)).toBe(false);
    }
    expect(isValidCallbackKey("", [""])).toBe(false);
  });
});
