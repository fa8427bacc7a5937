import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CALLBACKS, parseCallback } from "../../functions/model/callbacks";
import { ROUTES } from "../../functions/routes";
import { allFixtures, INVALID_VARIANT, parsedFields } from "../support/fixtures";
import { startTestStack, type TestStack } from "../support/local";

/**
 * JSON APIs send `null` for "no value" (a number never swapped, no error message). On every
 * route a null field is accepted and stored as sent; the typed fields read it as absent.
 */
let local: TestStack;
beforeAll(async () => {
  local = await startTestStack();
});
afterAll(async () => {
  await local.stop();
});

/** A valid callback of the route, as JSON, with every field the schema does not require set to null. */
function withNulls(route: (typeof ROUTES)[number]) {
  const fixture = allFixtures().find(
    (f) => f.route === route.name && !INVALID_VARIANT.test(f.variant),
  );
  if (!fixture) throw new Error(`no valid fixture for ${route.name}`);
  const entries: Record<string, { type: string }> = CALLBACKS[route.recordType].entries;
  const body: Record<string, unknown> = { ...parsedFields(fixture), extraNote: null };
  for (const [name, schema] of Object.entries(entries)) {
    if (schema.type === "optional") body[name] = null;
  }
  // A field that may be empty (the text of an SMS) may be null too.
  if (route.recordType === "sms.incoming") body.text = null;
  return body;
}

describe("JSON null in a callback field", () => {
  it.each(ROUTES.map((r) => [r.name, r] as const))(
    "%s: accepted and stored as sent",
    async (_name, route) => {
      const body = withNulls(route);
      const res = await local.post(route.path, JSON.stringify(body), {
        contentType: "application/json",
      });
      expect(res.status, await res.text()).toBe(200);
      const parsed = parseCallback(route.recordType, body);
      if (!parsed.ok) throw new Error(parsed.reason);
      const [record] = await local.waitForRecords(
        { type: route.recordType, id: parsed.callback.atId },
        (r) => r.length === 1,
      );
      expect(record?.payload).toEqual(body);
    },
  );

  it("a required field sent as null is missing, and says so", async () => {
    const res = await local.post(
      "/api/sms/opt-out",
      JSON.stringify({ senderId: "ShopKE", phoneNumber: null }),
      { contentType: "application/json" },
    );
    expect(res.status).toBe(400);
    expect(await res.text()).toBe("missing required field phoneNumber");
  });
});
