import { describe, expect, it } from "vitest";
import { type CallbackType, parseCallback } from "../../functions/model/callbacks";
import { ROUTES } from "../../functions/routes";
import { allFixtures, INVALID_VARIANT, loadFixture, parsedFields } from "../support/fixtures";

const schemaFor = (routeName: string) => {
  const route = ROUTES.find((r) => r.name === routeName);
  if (!route) throw new Error(`no callback route ${routeName}`);
  return route.recordType;
};

/** The parse result as the tests read it: the body as kept, and the E.164 phones. */
function validateCallback(type: CallbackType, body: unknown) {
  const parsed = parseCallback(type, body);
  if (!parsed.ok) return parsed;
  const phones: Record<string, string | undefined> = { ...parsed.callback.phones };
  return { ok: true as const, payload: parsed.callback.body, phones };
}

/** The AT id and the identity a body of this type gets. */
function parsedOf(type: CallbackType, body: unknown) {
  const parsed = parseCallback(type, body);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.callback;
}
const schemaOf = (type: CallbackType) => ({
  atId: (body: unknown) => parsedOf(type, body).atId,
  identity: (body: unknown) => parsedOf(type, body).identity,
});
const validate = (route: string, variant: string) =>
  validateCallback(schemaFor(route), parsedFields(loadFixture(route, variant)));

describe("callback schemas against real AT bodies", () => {
  const fixtures = allFixtures();

  it("has fixtures for every route", () => {
    expect(new Set(fixtures.map((f) => f.route))).toEqual(new Set(ROUTES.map((r) => r.name)));
  });

  it.each(
    fixtures.filter((f) => !INVALID_VARIANT.test(f.variant)).map((f) => [f.route, f.variant]),
  )("accepts %s/%s and keeps every field as received", (route, variant) => {
    const fields = parsedFields(loadFixture(route, variant));
    const result = validateCallback(schemaFor(route), fields);
    expect(result).toMatchObject({ ok: true, payload: fields });
  });

  it.each([
    ["sms-twoway", "missing-id", "missing required field id"],
    ["sms-twoway", "repeated-field", "field id must be a single value"],
    ["sms-delivery-reports", "missing-status", "missing required field status"],
    ["sms-opt-out", "missing-sender", "missing required field senderId"],
    ["sms-subscription", "missing-keyword", "missing required field keyword"],
    ["ussd-session", "missing-session", "missing required field sessionId"],
    ["airtime-validation", "missing-amount", "missing required field amount"],
  ])("rejects %s/%s with a one-line reason", (route, variant, reason) => {
    expect(validate(route, variant)).toEqual({ ok: false, reason });
  });

  it("does not require linkId, which AT leaves out of ordinary two-way messages", () => {
    expect(validate("sms-twoway", "without-link-id").ok).toBe(true);
  });

  it("accepts an SMS whose text is empty but refuses an empty message id", () => {
    expect(validate("sms-twoway", "empty-text").ok).toBe(true);
    const fields = { ...parsedFields(loadFixture("sms-twoway", "basic")), id: " " };
    expect(validateCallback(schemaFor("sms-twoway"), fields)).toEqual({
      ok: false,
      reason: "missing required field id",
    });
  });

  it("names every missing field at once", () => {
    expect(validateCallback(schemaFor("sms-twoway"), { text: "hi" })).toEqual({
      ok: false,
      reason: "missing required fields from, to, id, date",
    });
  });

  it("refuses bodies that are not an object of fields", () => {
    for (const body of [[], "text", 42, null]) {
      expect(validateCallback(schemaFor("airtime-status"), body)).toEqual({
        ok: false,
        reason: "body must be an object of fields",
      });
    }
  });

  it("stores unknown enum values and unknown fields instead of rejecting them", () => {
    const report = validate("sms-delivery-reports", "unknown-status");
    expect(report).toMatchObject({
      ok: true,
      payload: { status: "DeliveredToTerminal", failureReason: "SomethingNew" },
    });
    const sms = validate("sms-twoway", "unicode-and-extra-field");
    expect(sms).toMatchObject({ ok: true, payload: { cost: "0", text: "Habari 👋 é" } });
  });

  it("normalises phone numbers to E.164 and keeps the raw value", () => {
    const plusAsSpace = validate("sms-twoway", "literal-plus");
    expect(plusAsSpace).toMatchObject({
      ok: true,
      payload: { from: " 256772000113" },
      phones: { from: "+256772000113" },
    });
    const local = validate("voice-events", "local-caller-unknown-cause");
    expect(local).toMatchObject({ ok: true, payload: { callerNumber: "0711000123" } });
    expect(local.ok && local.phones.callerNumber).toBeFalsy();
    expect(local.ok && local.phones.destinationNumber).toBe("+254711082000");
  });

  it("compares subscription updateType case-insensitively for identity", () => {
    const schema = schemaOf("sms.subscription");
    const base = parsedFields(loadFixture("sms-subscription", "addition"));
    expect(schema.identity({ ...base, updateType: "addition" })).toBe(schema.identity(base));
    expect(schema.identity({ ...base, updateType: "Deletion" })).not.toBe(schema.identity(base));
  });
});

describe("callback identity (what makes an AT retry a duplicate)", () => {
  it("gives each delivery status of one message its own identity", () => {
    const schema = schemaOf("sms.delivery");
    const sent = parsedFields(loadFixture("sms-delivery-reports", "sent"));
    const success = parsedFields(loadFixture("sms-delivery-reports", "success"));
    expect(schema.atId(sent)).toBe(schema.atId(success));
    expect(schema.identity(sent)).not.toBe(schema.identity(success));
  });

  it("tells the requests of one call apart but not a retry of the same request", () => {
    const schema = schemaOf("voice.call");
    const start = parsedFields(loadFixture("voice-instruct", "inbound-start"));
    const digits = parsedFields(loadFixture("voice-instruct", "dtmf"));
    const reordered = Object.fromEntries(Object.entries(start).reverse());
    expect(schema.identity(start)).not.toBe(schema.identity(digits));
    expect(schema.identity(reordered)).toBe(schema.identity(start));
    expect(schema.atId(start)).toBe(schema.atId(digits));
  });

  it("gives each USSD hop its own identity within the session", () => {
    const schema = schemaOf("ussd.session");
    const first = parsedFields(loadFixture("ussd-session", "first-hop"));
    const later = parsedFields(loadFixture("ussd-session", "account-number"));
    expect(schema.identity(first)).not.toBe(schema.identity(later));
    expect(schema.atId(first)).toBe(schema.atId(later));
  });
});
