import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamoPendingTransactions } from "../../functions/table/airtime-pending";
import { airtimePendingKey } from "../../functions/table/keys";
import { routePath, startTestStack, type TestStack } from "../support/local";
import { runScript } from "../support/run-script";

// The handler's rules, as a deployed stage's environment sets them.
const settings = {
  AIRTIME_REQUIRE_PENDING: "true",
  AIRTIME_CURRENCIES: "KES,UGX",
  AIRTIME_LIMITS: "KES:10-10000",
  AIRTIME_ALLOWED_IPS: "203.0.113.0/24",
};

let local: TestStack;
let pending: ReturnType<typeof dynamoPendingTransactions>;
beforeAll(async () => {
  local = await startTestStack({ settings });
  pending = dynamoPendingTransactions(local.documents, local.stack.services.tableName);
});
afterAll(async () => {
  await local.stop();
});

const ask = async (fields: Record<string, unknown>) => {
  const res = await local.post(
    routePath("airtime-validation"),
    JSON.stringify({
      phoneNumber: "+254711000124",
      sourceIpAddress: "203.0.113.7",
      currencyCode: "KES",
      amount: 100,
      ...fields,
    }),
    { contentType: "application/json" },
  );
  expect(res.status).toBe(200);
  return ((await res.json()) as { status: string }).status;
};

describe("airtime validation against requests the application registered", () => {
  it("validates a registered request, and answers AT's retry of it the same way", async () => {
    await pending.register("ATQid_registered1", {
      phoneNumber: "+254711000124",
      currencyCode: "KES",
      amount: 100,
    });
    expect(await ask({ transactionId: "ATQid_registered1" })).toBe("Validated");
    expect(await ask({ transactionId: "ATQid_registered1" })).toBe("Validated");
    // The same transaction for someone else, or for more money, is not the same request.
    expect(await ask({ transactionId: "ATQid_registered1", amount: 200 })).toBe("Failed");
    const registration = await local.documents.send(
      new GetCommand({
        TableName: local.stack.services.tableName,
        Key: airtimePendingKey("ATQid_registered1"),
      }),
    );
    expect(registration.Item).toMatchObject({ decision: "Validated" });
  });

  it("keeps the registration when the answer missed its deadline, so AT's retry is validated", async () => {
    await pending.register("ATQid_slow1", {
      phoneNumber: "+254711000124",
      currencyCode: "KES",
      amount: 100,
    });
    // The table does the write, but its answer arrives after the 3 s airtime deadline.
    const documentClient = local.stack.clients.documents;
    let slow = true;
    documentClient.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        if (slow) await new Promise((resolve) => setTimeout(resolve, 3_500));
        return result;
      },
      { step: "initialize", name: "slowTableAnswers" },
    );
    try {
      expect(await ask({ transactionId: "ATQid_slow1" })).toBe("Failed");
    } finally {
      slow = false;
      documentClient.middlewareStack.remove("slowTableAnswers");
    }
    expect(await ask({ transactionId: "ATQid_slow1" })).toBe("Validated");
  });

  it("fails a request nobody registered, and records why", async () => {
    expect(await ask({ transactionId: "ATQid_stranger" })).toBe("Failed");
    const [record] = await local.waitForRecords({ id: "ATQid_stranger" }, (r) => r.length === 1);
    expect(record).toMatchObject({
      answer: "Failed",
      note: expect.stringMatching(/pending|registered/i),
    });
  });

  it("matches the registered phone however AT encoded the callback's (form, literal +, 00)", async () => {
    for (const [id, phoneNumber] of [
      ["ATQid_plus_space", " 254711000124"],
      ["ATQid_double_zero", "00254711000124"],
    ] as const) {
      await pending.register(id, {
        phoneNumber: "+254711000124",
        currencyCode: "KES",
        amount: 100,
      });
      expect(await ask({ transactionId: id, phoneNumber })).toBe("Validated");
    }
    await pending.register("ATQid_form", {
      phoneNumber: "+254711000124",
      currencyCode: "KES",
      amount: 100,
    });
    const res = await local.post(
      routePath("airtime-validation"),
      "transactionId=ATQid_form&phoneNumber=+254711000124&sourceIpAddress=203.0.113.7&currencyCode=KES&amount=100",
    );
    expect(await res.json()).toEqual({ status: "Validated" });
  });

  it("fails when the callback differs from what was registered", async () => {
    await pending.register("ATQid_changed", {
      phoneNumber: "+254711000124",
      currencyCode: "KES",
      amount: 100,
    });
    expect(await ask({ transactionId: "ATQid_changed", amount: 5000 })).toBe("Failed");
  });

  it.each([
    ["a source IP outside the allow-list", { sourceIpAddress: "198.51.100.9" }],
    ["a currency not allowed", { currencyCode: "NGN" }],
    ["an amount over the currency's limit", { amount: 20000 }],
  ])("fails %s and leaves the registration undecided", async (_label, change) => {
    const id = `ATQid_rule_${Object.keys(change)[0]}`;
    await pending.register(id, { phoneNumber: "+254711000124", currencyCode: "KES", amount: 100 });
    expect(await ask({ transactionId: id, ...change })).toBe("Failed");
    expect(await ask({ transactionId: id })).toBe("Validated");
  });
});

describe("npm run airtime:pending", () => {
  it("registers a request from the shell that the next validation accepts", async () => {
    const { services } = local.stack;
    const { code, stdout: output } = await runScript("scripts/airtime-pending.ts", [
      "--transaction-id",
      "ATQid_from_cli",
      "--phone",
      "+254711000124",
      "--currency",
      "kes",
      "--amount",
      "100",
      "--endpoint",
      services.dynamodbEndpoint,
      "--table",
      services.tableName,
    ]);
    expect(code).toBe(0);
    expect(output.trim()).toBe("registered ATQid_from_cli: KES 100 to +254711000124");
    expect(await ask({ transactionId: "ATQid_from_cli" })).toBe("Validated");
  });
});
