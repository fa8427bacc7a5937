import { describe, expect, it } from "vitest";
import { startLocalStack } from "../../local/stack";
import { TEST_KEY, testServiceOptions } from "../support/local";

describe("the local stack", () => {
  it("builds every handler from its factory without touching process.env", async () => {
    const before = { ...process.env };
    const stack = await startLocalStack({
      ...testServiceOptions(),
      port: 0,
      callbackKey: TEST_KEY,
      settings: { SMS_REPLY_TEMPLATE: "Got it" },
    });
    try {
      expect({ ...process.env }).toEqual(before);
      const res = await fetch(`${stack.url}/api/ussd/status?key=${TEST_KEY}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "sessionId=ATUid_composition",
      });
      expect(res.status).toBe(200);
    } finally {
      await stack.stop();
    }
    expect({ ...process.env }).toEqual(before);
  });
});
