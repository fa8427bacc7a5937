import { describe, expect, it } from "vitest";
import {
  AirtimeConfigError,
  type AirtimeDecision,
  type AirtimeRules,
  type AirtimeValidationFields,
  cents,
  DEFAULT_AIRTIME_RULES,
  normalisePhone,
  type PendingAirtime,
  type PendingTransactions,
  parseAirtimeRules,
  validateAirtime,
} from "../../functions/engines/airtime/validation";
import { parseCallback } from "../../functions/model/callbacks";
import { withDeadline } from "../../functions/shared/deadline";

/** The seed's sample payload. */
const SEED = {
  transactionId: "SomeTransactionID",
  phoneNumber: "+254711000111",
  sourceIpAddress: "127.12.32.24",
  currencyCode: "KES",
  amount: 500.0,
};

/**
 * The typed fields the callback map hands the engine: every value as text, as the schema reads a
 * form or a JSON body (functions/model/callbacks.ts).
 */
const fieldsOf = (body: Readonly<Record<string, unknown>>): AirtimeValidationFields =>
  Object.fromEntries(
    Object.entries(body)
      .filter(([, value]) => value !== undefined)
      .map(([field, value]) => [field, String(value)]),
  );

/** The table's semantics in memory: compare, then record the decision on the registration. */
class MemoryPending implements PendingTransactions {
  readonly entries = new Map<string, PendingAirtime & { decision?: string }>();

  register(transactionId: string, request: PendingAirtime): this {
    this.entries.set(transactionId, { ...request });
    return this;
  }

  async validate(transactionId: string, callback: PendingAirtime) {
    const entry = this.entries.get(transactionId);
    if (!entry) return "no pending request for transactionId";
    if (normalisePhone(entry.phoneNumber) !== normalisePhone(callback.phoneNumber)) {
      return "phoneNumber does not match the pending request";
    }
    if (entry.currencyCode !== callback.currencyCode) {
      return "currencyCode does not match the pending request";
    }
    if (cents(entry.amount) !== cents(callback.amount)) {
      return "amount does not match the pending request";
    }
    entry.decision = "Validated";
    return undefined;
  }
}

const configured = parseAirtimeRules({
  AIRTIME_ALLOWED_IPS: "127.12.32.24, 10.0.0.0/8,2001:db8::1, 2001:db8:ff::/48",
  AIRTIME_CURRENCIES: "KES,ugx",
  AIRTIME_LIMITS: "KES:10-10000,UGX:500-100000",
});

interface Case {
  readonly name: string;
  readonly rules: AirtimeRules;
  readonly body: Readonly<Record<string, unknown>>;
  readonly expected: AirtimeDecision;
}

const validated: AirtimeDecision = { status: "Validated" };
const failed = (reason: string): AirtimeDecision => ({ status: "Failed", reason });

const cases: Case[] = [
  // Defaults: the seed's rule (transactionId, phoneNumber and amount present).
  { name: "seed payload", rules: DEFAULT_AIRTIME_RULES, body: SEED, expected: validated },
  {
    name: "amount as a numeric string",
    rules: DEFAULT_AIRTIME_RULES,
    body: { ...SEED, amount: "500.00" },
    expected: validated,
  },
  {
    name: "any source IP and currency by default",
    rules: DEFAULT_AIRTIME_RULES,
    body: { ...SEED, sourceIpAddress: "8.8.8.8", currencyCode: "XYZ" },
    expected: validated,
  },
  {
    name: "only the three seed fields",
    rules: DEFAULT_AIRTIME_RULES,
    body: { transactionId: "t1", phoneNumber: "+254711000111", amount: 10 },
    expected: validated,
  },
  {
    name: "missing transactionId",
    rules: DEFAULT_AIRTIME_RULES,
    body: { ...SEED, transactionId: undefined },
    expected: failed("missing transactionId"),
  },
  {
    name: "blank phoneNumber and missing amount",
    rules: DEFAULT_AIRTIME_RULES,
    body: { transactionId: "t1", phoneNumber: "  " },
    expected: failed("missing phoneNumber, amount"),
  },
  {
    // The callback schema reads a JSON number as its text; so do the rules.
    name: "phoneNumber sent as a JSON number",
    rules: DEFAULT_AIRTIME_RULES,
    body: { ...SEED, phoneNumber: 254711000111 },
    expected: validated,
  },
  {
    name: "zero amount",
    rules: DEFAULT_AIRTIME_RULES,
    body: { ...SEED, amount: 0 },
    expected: failed("amount is not a positive number"),
  },
  {
    name: "negative amount",
    rules: DEFAULT_AIRTIME_RULES,
    body: { ...SEED, amount: -5 },
    expected: failed("amount is not a positive number"),
  },
  {
    name: "amount that is not a number",
    rules: DEFAULT_AIRTIME_RULES,
    body: { ...SEED, amount: "KES five" },
    expected: failed("amount is not a positive number"),
  },

  // Source IP allow-list.
  { name: "allowed IPv4", rules: configured, body: SEED, expected: validated },
  {
    name: "IPv4 inside an allowed CIDR",
    rules: configured,
    body: { ...SEED, sourceIpAddress: "10.20.30.40" },
    expected: validated,
  },
  {
    name: "IPv4 outside the list",
    rules: configured,
    body: { ...SEED, sourceIpAddress: "11.0.0.1" },
    expected: failed("sourceIpAddress 11.0.0.1 is not allowed"),
  },
  {
    name: "IPv6 written differently from the list entry",
    rules: configured,
    body: { ...SEED, sourceIpAddress: "2001:DB8:0:0:0:0:0:1" },
    expected: validated,
  },
  {
    name: "IPv6 inside an allowed CIDR",
    rules: configured,
    body: { ...SEED, sourceIpAddress: "2001:db8:ff:1::9" },
    expected: validated,
  },
  {
    name: "IPv6 outside the list",
    rules: configured,
    body: { ...SEED, sourceIpAddress: "2001:db8::2" },
    expected: failed("sourceIpAddress 2001:db8::2 is not allowed"),
  },
  {
    name: "missing source IP when the allow-list is on",
    rules: configured,
    body: { ...SEED, sourceIpAddress: undefined },
    expected: failed("missing sourceIpAddress"),
  },
  {
    name: "source IP that is not an address",
    rules: configured,
    body: { ...SEED, sourceIpAddress: "localhost" },
    expected: failed("sourceIpAddress is not an IP address"),
  },

  // Currencies and limits.
  {
    name: "lower-case allowed currency",
    rules: configured,
    body: { ...SEED, currencyCode: "kes" },
    expected: validated,
  },
  {
    name: "currency not allowed",
    rules: configured,
    body: { ...SEED, currencyCode: "USD" },
    expected: failed("currencyCode USD is not allowed"),
  },
  {
    name: "missing currency when currencies are restricted",
    rules: configured,
    body: { ...SEED, currencyCode: undefined },
    expected: failed("missing currencyCode"),
  },
  {
    name: "KES at the minimum",
    rules: configured,
    body: { ...SEED, amount: 10 },
    expected: validated,
  },
  {
    name: "KES at the maximum",
    rules: configured,
    body: { ...SEED, amount: "10000" },
    expected: validated,
  },
  {
    name: "KES below the minimum",
    rules: configured,
    body: { ...SEED, amount: 9.99 },
    expected: failed("amount 9.99 KES is outside 10-10000"),
  },
  {
    name: "KES above the maximum",
    rules: configured,
    body: { ...SEED, amount: "10000.01" },
    expected: failed("amount 10000.01 KES is outside 10-10000"),
  },
  {
    name: "UGX uses its own limits",
    rules: configured,
    body: { ...SEED, currencyCode: "UGX", amount: 400 },
    expected: failed("amount 400 UGX is outside 500-100000"),
  },
  {
    name: "a currency without limits is not limited",
    rules: parseAirtimeRules({ AIRTIME_LIMITS: "UGX:500-1000" }),
    body: { ...SEED, currencyCode: "TZS", amount: 1_000_000 },
    expected: validated,
  },
];

describe("validateAirtime rules", () => {
  it.each(cases)("$name", async ({ rules, body, expected }) => {
    expect(await validateAirtime(fieldsOf(body), rules)).toEqual(expected);
  });
});

describe("validateAirtime pending transactions", () => {
  const rules = parseAirtimeRules({ AIRTIME_REQUIRE_PENDING: "true" });
  const registered: PendingAirtime = {
    phoneNumber: "+254711000111",
    currencyCode: "KES",
    amount: 500,
  };

  it("validates a callback matching a registered request, and a retry the same way", async () => {
    const pending = new MemoryPending().register("SomeTransactionID", registered);
    expect(await validateAirtime(fieldsOf(SEED), rules, { pending })).toEqual(validated);
    expect(await validateAirtime(fieldsOf(SEED), rules, { pending })).toEqual(validated);
  });

  it("accepts the same amount written as a string with cents", async () => {
    const pending = new MemoryPending().register("SomeTransactionID", registered);
    expect(
      await validateAirtime(fieldsOf({ ...SEED, amount: "500.00" }), rules, { pending }),
    ).toEqual(validated);
  });

  it.each<[string, Partial<typeof SEED>, string]>([
    [
      "another phone number",
      { phoneNumber: "+254722000000" },
      "phoneNumber does not match the pending request",
    ],
    [
      "another currency",
      { currencyCode: "UGX" },
      "currencyCode does not match the pending request",
    ],
    ["another amount", { amount: 500.5 }, "amount does not match the pending request"],
    ["an unknown transaction", { transactionId: "forged" }, "no pending request for transactionId"],
  ])("fails for %s", async (_, change, reason) => {
    const pending = new MemoryPending().register("SomeTransactionID", registered);
    expect(await validateAirtime(fieldsOf({ ...SEED, ...change }), rules, { pending })).toEqual(
      failed(reason),
    );
  });

  it("a store error fails the callback instead of throwing", async () => {
    const pending: PendingTransactions = {
      validate: async () => {
        throw new Error("throttled");
      },
    };
    expect(await validateAirtime(fieldsOf(SEED), rules, { pending })).toEqual(
      failed("pending-transaction check failed: throttled"),
    );
  });

  it("fails when the check is on but no store is wired", async () => {
    expect(await validateAirtime(fieldsOf(SEED), rules)).toEqual(
      failed("pending-transaction check has no store"),
    );
  });

  it("records no decision on the pending request when another rule already failed", async () => {
    const strict = parseAirtimeRules({
      AIRTIME_REQUIRE_PENDING: "1",
      AIRTIME_ALLOWED_IPS: "1.2.3.4",
    });
    const pending = new MemoryPending().register("SomeTransactionID", registered);
    expect((await validateAirtime(fieldsOf(SEED), strict, { pending })).status).toBe("Failed");
    expect(pending.entries.get("SomeTransactionID")?.decision).toBeUndefined();
  });

  it("a slow store can be cut short with withDeadline", async () => {
    const pending: PendingTransactions = {
      validate: () => new Promise((resolve) => setTimeout(() => resolve(undefined), 300)),
    };
    const decision = await withDeadline(validateAirtime(fieldsOf(SEED), rules, { pending }), 30, {
      status: "Failed",
      reason: "deadline",
    });
    expect(decision).toEqual(failed("deadline"));
  });
});

describe("a body that is not an object", () => {
  it("never reaches the rules: the callback map refuses it first", () => {
    for (const body of [null, [SEED], "status=ok"]) {
      expect(parseCallback("airtime.validation", body).ok).toBe(false);
    }
  });
});

describe("parseAirtimeRules", () => {
  it("nothing configured gives the seed's rules", () => {
    expect(parseAirtimeRules({})).toEqual(DEFAULT_AIRTIME_RULES);
    expect(
      parseAirtimeRules({
        AIRTIME_ALLOWED_IPS: "",
        AIRTIME_CURRENCIES: " ",
        AIRTIME_REQUIRE_PENDING: "",
      }),
    ).toEqual(DEFAULT_AIRTIME_RULES);
  });

  it("parses every setting", () => {
    expect(
      parseAirtimeRules({
        AIRTIME_ALLOWED_IPS: "1.2.3.4, 5.6.7.8,10.0.0.0/8",
        AIRTIME_CURRENCIES: "kes,UGX",
        AIRTIME_LIMITS: "KES:10-10000, ugx:500.5-100000",
        AIRTIME_REQUIRE_PENDING: "TRUE",
      }),
    ).toEqual({
      requiredFields: ["transactionId", "phoneNumber", "amount"],
      allowedSourceIps: ["1.2.3.4", "5.6.7.8", "10.0.0.0/8"],
      allowedCurrencies: ["KES", "UGX"],
      amountLimits: { KES: { min: 10, max: 10000 }, UGX: { min: 500.5, max: 100000 } },
      requirePending: true,
    });
  });

  it("reports every configuration problem at once", () => {
    const parse = () =>
      parseAirtimeRules({
        AIRTIME_ALLOWED_IPS: "1.2.3,10.0.0.0/33,::1",
        AIRTIME_CURRENCIES: "KES,SHILLING",
        AIRTIME_LIMITS: "KES:100-10,USD:1-2,KES10-20",
        AIRTIME_REQUIRE_PENDING: "maybe",
      });
    expect(parse).toThrow(AirtimeConfigError);
    const problems = (() => {
      try {
        parse();
      } catch (error) {
        return error instanceof AirtimeConfigError ? error.problems : [];
      }
      return [];
    })();
    expect(problems).toEqual([
      'AIRTIME_ALLOWED_IPS: "1.2.3" is not an IP or CIDR',
      'AIRTIME_ALLOWED_IPS: "10.0.0.0/33" is not an IP or CIDR',
      'AIRTIME_CURRENCIES: "SHILLING" is not a currency code',
      "AIRTIME_LIMITS: KES min is above max",
      'AIRTIME_LIMITS: "KES10-20" is not CUR:min-max',
      "AIRTIME_LIMITS: USD is not in AIRTIME_CURRENCIES",
      'AIRTIME_REQUIRE_PENDING: "maybe" is not true or false',
    ]);
  });
});
