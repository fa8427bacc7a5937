import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { curlOf, encodeEdited, summarize } from "../../local/inspector/present";

describe("the inspector's summary column", () => {
  it.each([
    ["sms-twoway", { text: "hello\nthere", to: "20880" }, "GOOD", "“hello / there” → 20880"],
    [
      "sms-delivery-reports",
      { status: "Failed", failureReason: "UserInBlacklist" },
      "OK",
      "delivery Failed (UserInBlacklist)",
    ],
    [
      "ussd-session",
      { text: "", serviceCode: "*384#" },
      "CON Welcome\n1. Balance",
      "dial *384# → CON Welcome / 1. Balance",
    ],
    ["ussd-session", { text: "1*2", serviceCode: "*384#" }, "END Bye", "input 1*2 → END Bye"],
    ["voice-instruct", { isActive: "1", dtmfDigits: "42" }, "<Response/>", "digits 42"],
    [
      "voice-instruct",
      { isActive: "0", hangupCause: "NORMAL_CLEARING" },
      "",
      "call ended: NORMAL_CLEARING",
    ],
    [
      "airtime-validation",
      { currencyCode: "KES", amount: 100 },
      '{"status":"Failed"}',
      "KES 100 → Failed",
    ],
    ["sim-swap-status", { status: "Swapped" }, "OK", "SIM swap Swapped"],
  ])("%s: %j → %s", (route, fields, answer, summary) => {
    expect(summarize(route, fields, answer)).toBe(summary);
  });
});

describe("copy as curl", () => {
  const curl = curlOf({
    baseUrl: "http://127.0.0.1:9000",
    path: "/api/sms/twoway",
    query: "key=the-real-key",
    headers: { "content-type": "application/x-www-form-urlencoded", host: "x" },
    body: "text=it%27s+me&from=%2B254711000111",
  });

  it("leaves the key as a shell variable and quotes the body for the shell", () => {
    expect(curl).not.toContain("the-real-key");
    // The shell reads back exactly the URL and body that were received.
    const echoed = execFileSync("sh", ["-c", curl.replace(/^curl/, "printf '%s\\n'")], {
      env: { CALLBACK_KEY: "K1", PATH: process.env.PATH },
      encoding: "utf8",
    });
    expect(echoed.split("\n")).toEqual([
      "-X",
      "POST",
      "http://127.0.0.1:9000/api/sms/twoway?key=K1",
      "-H",
      "content-type: application/x-www-form-urlencoded",
      "--data-raw",
      "text=it%27s+me&from=%2B254711000111",
      "",
    ]);
  });
});

describe("edit and replay", () => {
  it("encodes an edited form as AT does, and keeps JSON numbers numbers", () => {
    expect(encodeEdited("form", { serviceCode: "*384#", text: "" }, { text: "1*2" })).toBe(
      "serviceCode=%2A384%23&text=1%2A2",
    );
    expect(encodeEdited("json", { amount: 100, currencyCode: "KES" }, { amount: "250" })).toBe(
      '{"amount":250,"currencyCode":"KES"}',
    );
  });
});
