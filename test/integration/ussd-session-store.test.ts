import * as v from "valibot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineMenu, handleUssdRequest } from "../../functions/engines/ussd/engine";
import { dynamoSessionStore } from "../../functions/table/ussd-sessions";
import { startTestStack, type TestStack } from "../support/local";

let local: TestStack;
beforeAll(async () => {
  local = await startTestStack();
});
afterAll(async () => {
  await local.stop();
});

describe("USSD session state in DynamoDB", () => {
  it("keeps state between hops of one session and not across sessions", async () => {
    const store = dynamoSessionStore(
      local.documents,
      local.stack.services.tableName,
      v.object({ visits: v.number() }),
    );
    const menu = defineMenu<{ visits: number }>({
      root: "count",
      session: { store, ttlSeconds: 180 },
      screens: {
        count: {
          type: "dynamic",
          resolve: async (ctx) => {
            const visits = (ctx.state?.visits ?? 0) + 1;
            ctx.setState({ visits });
            return { text: `Visit ${visits}`, options: [{ label: "Again", next: "count" }] };
          },
        },
      },
    });
    const hop = (sessionId: string, text: string) =>
      handleUssdRequest(menu, {
        sessionId,
        serviceCode: "*1#",
        phoneNumber: "+254711000111",
        text,
      });
    expect((await hop("ATUid_state1", "")).body).toMatch(/^CON Visit 1/);
    expect((await hop("ATUid_state1", "")).body).toMatch(/^CON Visit 2/);
    expect((await hop("ATUid_state2", "")).body).toMatch(/^CON Visit 1/);
  });

  it("forgets state after its time to live", async () => {
    let now = Date.parse("2026-11-30T10:00:00Z");
    const store = dynamoSessionStore(
      local.documents,
      local.stack.services.tableName,
      v.string(),
      () => now,
    );
    await store.put("ATUid_expiring", "remembered", 60);
    expect(await store.get("ATUid_expiring")).toBe("remembered");
    now += 61_000;
    expect(await store.get("ATUid_expiring")).toBeUndefined();
  });

  it("stops waiting on the table once the request's deadline has passed", async () => {
    const store = dynamoSessionStore(local.documents, local.stack.services.tableName, v.string());
    const passed = AbortSignal.abort();
    await expect(store.get("ATUid_late", passed)).rejects.toThrow(/abort/i);
    await expect(store.put("ATUid_late", "state", 60, passed)).rejects.toThrow(/abort/i);
    expect(await store.get("ATUid_late")).toBeUndefined();
  });

  it("keeps session state out of the records", async () => {
    expect(await local.records()).toEqual([]);
  });
});
