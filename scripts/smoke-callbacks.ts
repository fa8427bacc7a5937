import type { Route } from "../functions/routes";

/**
 * Smoke callbacks: one harmless callback per route, shaped like AT's, whose AT id starts with
 * SMOKE_PREFIX so the records CLI can hide them. Harmless: the two-way SMS comes from an
 * alphanumeric sender (no reply job, so no SMS and no cost), the numbers are unassigned, the
 * opt-out and the subscription name a sender and shortcode no real message uses.
 */
export const SMOKE_PREFIX = "SMOKE-";

/** A record written by `npm run smoke` (its AT id, or the first part of it, carries the prefix). */
export const isSmokeRecord = (record: { id: string }) => record.id.startsWith(SMOKE_PREFIX);

/** An unassigned number in the Kenyan range reserved for no operator. */
const PHONE = "+254700000000";

export interface SmokeCallback {
  contentType: "application/x-www-form-urlencoded" | "application/json";
  body: string;
  /** The AT id the record is filed under (`npm run records -- --id`). */
  atId: string;
}

const form = (fields: Record<string, string>) => ({
  contentType: "application/x-www-form-urlencoded" as const,
  body: new URLSearchParams(fields).toString(),
});
const json = (fields: Record<string, unknown>) => ({
  contentType: "application/json" as const,
  body: JSON.stringify(fields),
});

/** The smoke callback for a route, by route name; `run` makes the ids of one run unique. */
export function smokeCallback(route: Pick<Route, "name">, run: string): SmokeCallback {
  const id = `${SMOKE_PREFIX}${run}-${route.name}`;
  const date = new Date().toISOString().replace("T", " ").slice(0, 19);
  switch (route.name) {
    case "sms-twoway":
      return { ...form({ date, from: "SMOKE", id, text: "smoke test", to: "SMOKE" }), atId: id };
    case "sms-delivery-reports":
      return {
        ...form({ id, status: "Success", phoneNumber: PHONE, networkCode: "99999" }),
        atId: id,
      };
    case "sms-opt-out":
      return { ...form({ senderId: id, phoneNumber: PHONE }), atId: `${id}#${PHONE}` };
    case "sms-subscription":
      return {
        ...form({ phoneNumber: PHONE, shortCode: id, keyword: "SMOKE", updateType: "Addition" }),
        atId: `${id}#SMOKE#${PHONE}`,
      };
    case "ussd-session":
      return {
        ...form({
          sessionId: id,
          serviceCode: "*384*0#",
          phoneNumber: PHONE,
          text: "",
          networkCode: "99999",
        }),
        atId: id,
      };
    case "ussd-status":
      return {
        ...form({
          date,
          sessionId: id,
          serviceCode: "*384*0#",
          networkCode: "99999",
          phoneNumber: PHONE,
          status: "Success",
          input: "",
        }),
        atId: id,
      };
    case "voice-instruct":
      return {
        ...form({
          isActive: "1",
          sessionId: id,
          direction: "Inbound",
          callerNumber: PHONE,
          destinationNumber: PHONE,
        }),
        atId: id,
      };
    case "voice-events":
      return {
        ...form({
          sessionId: id,
          eventType: "SessionEnded",
          callerNumber: PHONE,
          hangupCause: "NORMAL_CLEARING",
          durationInSeconds: "0",
        }),
        atId: id,
      };
    case "airtime-validation":
      return {
        ...json({
          transactionId: id,
          phoneNumber: PHONE,
          sourceIpAddress: "127.0.0.1",
          currencyCode: "KES",
          amount: 10,
        }),
        atId: id,
      };
    case "airtime-status":
      return {
        ...json({ requestId: id, status: "Failed", phoneNumber: PHONE, description: "smoke test" }),
        atId: id,
      };
    case "sim-swap-status":
      return { ...json({ requestId: id, status: "NotSwapped", transactionId: id }), atId: id };
    default:
      throw new Error(
        `no smoke callback for route ${route.name}: add one in scripts/smoke-callbacks.ts`,
      );
  }
}

/** What a route must answer for the smoke test to pass (AT's format per answer style). */
export function answerLooksRight(
  route: Pick<Route, "answer">,
  status: number,
  body: string,
): boolean {
  if (status !== 200) return false;
  switch (route.answer) {
    case "twoway":
    case "plain":
      return body === "GOOD" || body === "OK";
    case "ussd":
      return /^(CON|END) /.test(body);
    case "voice":
      return body.includes("<Response>") || body.includes("<Response/>");
    case "airtime":
      return /"status":"(Validated|Failed)"/.test(body);
  }
}
