import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createAccountMenuFlow, type VoiceFlow } from "../../functions/engines/voice/flows";
import { routePath, startTestStack, TEST_KEY, type TestStack } from "../support/local";

// The voice route runs whichever flow a test picks (the default one unless set).
const voice = vi.hoisted(() => ({ flow: undefined as VoiceFlow | undefined }));
vi.mock("../../functions/engines/voice/flow", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../functions/engines/voice/flow")>();
  const flow: VoiceFlow = (call, context) => (voice.flow ?? original.flow)(call, context);
  return { flow };
});

let local: TestStack;
beforeAll(async () => {
  local = await startTestStack();
});
afterAll(async () => {
  await local.stop();
});

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe("USSD session through the local stack", () => {
  const hop = (sessionId: string, text: string) =>
    local.post(
      routePath("ussd-session"),
      form({
        sessionId,
        serviceCode: "*384*44135#",
        phoneNumber: "+254739495441",
        networkCode: "99999",
        text,
      }),
    );

  it("walks the default menu with AT's *-joined text, labelling each hop", async () => {
    const first = await hop("ATUid_walk1", "");
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(first.headers.get("at-ussd-hop-metadata")).toMatch(/^[^|]{1,99}$/);
    expect(await first.text()).toBe(
      "CON What would you want to check\n1. My Account\n2. My phone number",
    );

    const second = await hop("ATUid_walk1", "1");
    expect(await second.text()).toBe(
      "CON Choose account information you want to view\n1. Account number",
    );
    const last = await hop("ATUid_walk1", "1*1");
    expect(await last.text()).toBe("END Your account number is ACC1001");
    const phone = await hop("ATUid_walk2", "2");
    expect(await phone.text()).toBe("END Your phone number is +254739495441");
  });

  it("re-shows the screen on an invalid choice instead of ending the session", async () => {
    const res = await hop("ATUid_invalid", "7");
    const body = await res.text();
    expect(res.status).toBe(200);
    expect(body).toMatch(/^CON /);
    expect(body).toContain("1. My Account");
  });

  it("records every hop of the session with what was answered", async () => {
    const records = await local.waitForRecords({ id: "ATUid_walk1" }, (r) => r.length === 3);
    const byPath = records.map((r) => [String(r.payload.text), r.answer]);
    byPath.sort((a, b) => String(a[0]).length - String(b[0]).length);
    expect(byPath).toEqual([
      ["", "CON What would you want to check\n1. My Account\n2. My phone number"],
      ["1", "CON Choose account information you want to view\n1. Account number"],
      ["1*1", "END Your account number is ACC1001"],
    ]);
  });
});

describe("voice call lifecycle through the local stack", () => {
  const parser = new XMLParser({ ignoreAttributes: false });
  const call = (fields: Record<string, string>) =>
    local.post(routePath("voice-instruct"), form(fields));
  const base = {
    sessionId: "ATVId_lifecycle1",
    direction: "Inbound",
    callerNumber: "+254711000122",
    destinationNumber: "+254711082000",
  };

  it("answers the first request with valid voice XML, and the final notification with an empty 200", async () => {
    const start = await call({ ...base, isActive: "1" });
    expect(start.status).toBe(200);
    expect(start.headers.get("content-type")).toMatch(/^application\/xml/);
    const xml = await start.text();
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(parser.parse(xml).Response.Say).toBe(
      "Welcome to the service. This is a demo voice application. Goodbye.",
    );

    const end = await call({
      ...base,
      isActive: "0",
      durationInSeconds: "42",
      amount: "1.50",
      currencyCode: "KES",
      hangupCause: "NORMAL_CLEARING",
    });
    expect(end.status).toBe(200);
    expect(await end.text()).toBe("");
  });

  it("records the call's requests together under its session id, the end marked as such", async () => {
    const records = await local.waitForRecords({ id: "ATVId_lifecycle1" }, (r) => r.length === 2);
    expect(records.every((r) => r.type === "voice.call" && r.phoneNumber === "+254711000122")).toBe(
      true,
    );
    const end = records.find((r) => r.payload.isActive === "0");
    expect(end).toMatchObject({ note: "call-ended", payload: { hangupCause: "NORMAL_CLEARING" } });
  });
});

describe("a GetDigits flow through the local stack, following the URLs the XML names", () => {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@" });
  const postTo = (url: string, fields: Record<string, string>) =>
    fetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form(fields),
    });
  const base = {
    sessionId: "ATVId_digits1",
    direction: "Inbound",
    callerNumber: "+254711000111",
    destinationNumber: "+254711082000",
  };
  beforeAll(() => {
    voice.flow = createAccountMenuFlow({
      agentPhoneNumbers: ["+254711000222"],
      lookupAccountNumber: async (caller) => (caller === "+254711000111" ? "ACC1001" : undefined),
    });
  });
  afterAll(() => {
    voice.flow = undefined;
  });

  it("asks for digits, takes them and the recording at the named callbackUrl, and ends there", async () => {
    const first = await local.post(routePath("voice-instruct"), form({ ...base, isActive: "1" }));
    const menu = parser.parse(await first.text()).Response;
    const digitsUrl = String(menu.GetDigits["@callbackUrl"]);
    expect(new URL(digitsUrl).searchParams.get("key")).toBe(TEST_KEY);
    expect(digitsUrl.startsWith(`${local.stack.url}${routePath("voice-instruct")}?`)).toBe(true);

    // What AT does next: POST the digits to exactly that URL.
    const account = await postTo(digitsUrl, { ...base, isActive: "1", dtmfDigits: "1" });
    expect(account.status).toBe(200);
    expect(parser.parse(await account.text()).Response.Say).toBe(
      "Your account number is A C C 1 0 0 1. Goodbye.",
    );

    const recording = await postTo(digitsUrl, { ...base, isActive: "1", dtmfDigits: "3" });
    const recordUrl = String(parser.parse(await recording.text()).Response.Record["@callbackUrl"]);
    const thanks = await postTo(recordUrl, {
      ...base,
      isActive: "1",
      recordingUrl: "https://files.example.com/rec.mp3",
    });
    expect(parser.parse(await thanks.text()).Response.Say).toMatch(/^Thank you/);

    const end = await postTo(recordUrl, { ...base, isActive: "0", durationInSeconds: "30" });
    expect(end.status).toBe(200);
    expect(await end.text()).toBe("");

    const records = await local.waitForRecords({ id: "ATVId_digits1" }, (r) => r.length === 5);
    expect(
      records
        .map((r) => r.payload.dtmfDigits ?? r.payload.recordingUrl ?? r.payload.isActive)
        .sort(),
    ).toEqual(["0", "1", "1", "3", "https://files.example.com/rec.mp3"].sort());
  });

  it("the same URL without its key is refused, which is why the XML must carry it", async () => {
    const first = await local.post(routePath("voice-instruct"), form({ ...base, isActive: "1" }));
    const url = new URL(
      String(parser.parse(await first.text()).Response.GetDigits["@callbackUrl"]),
    );
    url.searchParams.delete("key");
    const refused = await postTo(url.toString(), { ...base, isActive: "1", dtmfDigits: "1" });
    expect(refused.status).toBe(403);
  });
});

describe("airtime validation with the default rules", () => {
  it("validates a complete JSON request and records the decision", async () => {
    const res = await local.post(
      routePath("airtime-validation"),
      JSON.stringify({
        transactionId: "ATQid_default1",
        phoneNumber: "+254711000124",
        currencyCode: "KES",
        amount: 50,
      }),
      { contentType: "application/json" },
    );
    expect(await res.json()).toEqual({ status: "Validated" });
    const [record] = await local.waitForRecords({ id: "ATQid_default1" }, (r) => r.length === 1);
    expect(record?.answer).toBe("Validated");
  });

  it("fails an amount that is not a number", async () => {
    const res = await local.post(
      routePath("airtime-validation"),
      form({ transactionId: "ATQid_default2", phoneNumber: "+254711000124", amount: "lots" }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "Failed" });
    const [record] = await local.waitForRecords({ id: "ATQid_default2" }, (r) => r.length === 1);
    expect(record).toMatchObject({ answer: "Failed", note: expect.stringMatching(/amount/) });
  });
});
