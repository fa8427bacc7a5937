import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { describe, expect, it } from "vitest";
import { DEFAULTS, readConfig } from "../../infra/config";

const from = (context: Record<string, unknown>) => readConfig((key) => context[key]);

describe("readConfig", () => {
  it("has production-safe defaults", () => {
    expect(from({})).toEqual({
      stageName: "prod",
      throttleRate: DEFAULTS.throttleRate,
      throttleBurst: DEFAULTS.throttleBurst,
      logRetentionDays: RetentionDays.ONE_MONTH,
      alarmEmail: undefined,
      recordTtlDays: undefined,
      destroyable: false,
      logLevel: undefined,
      airtime: {},
      replies: {
        shortcode: undefined,
        template: undefined,
        keywords: undefined,
        premiumKeywords: undefined,
      },
    });
  });

  it("accepts -c strings and cdk.json values alike", () => {
    const fromCli = from({
      stageName: "dev",
      throttleRate: "5",
      destroyable: "true",
      logRetentionDays: "7",
    });
    const fromJson = from({
      stageName: "dev",
      throttleRate: 5,
      destroyable: true,
      logRetentionDays: 7,
    });
    expect(fromCli).toEqual(fromJson);
    expect(fromCli).toMatchObject({
      stageName: "dev",
      throttleRate: 5,
      destroyable: true,
      logRetentionDays: 7,
    });
  });

  it.each([
    [{ stageName: "my stage" }, /stageName/],
    [{ stageName: "1prod" }, /stageName/],
    [{ throttleRate: "fast" }, /throttleRate/],
    [{ throttleBurst: "-1" }, /throttleBurst/],
    [{ recordTtlDays: "1.5" }, /recordTtlDays/],
    [{ logRetentionDays: "10" }, /logRetentionDays must be one of/],
    [{ alarmEmail: "ops" }, /alarmEmail/],
    [{ destroyable: "yes" }, /destroyable/],
  ])("refuses %j", (context, message) => {
    expect(() => from(context)).toThrow(message);
  });

  it("passes airtime rules through, and refuses rules the function would refuse at cold start", () => {
    expect(
      from({ airtimeCurrencies: "KES,UGX", airtimeRequirePending: true, airtimeDeadlineMs: "2000" })
        .airtime,
    ).toEqual({
      AIRTIME_CURRENCIES: "KES,UGX",
      AIRTIME_REQUIRE_PENDING: "true",
      AIRTIME_DEADLINE_MS: "2000",
    });
    expect(() => from({ airtimeLimits: "KES:100-10" })).toThrow(/KES min is above max/);
    expect(() => from({ airtimeAllowedIps: "not-an-ip" })).toThrow(/not an IP/);
  });

  it("refuses at synthesis reply keywords the replier would refuse at cold start", () => {
    expect(from({ smsReplyKeywords: '{"HELP":"Text BAL"}' }).replies.keywords).toBe(
      '{"HELP":"Text BAL"}',
    );
    expect(() => from({ smsReplyKeywords: "HELP=x" })).toThrow(
      /context smsReplyKeywords: SMS_REPLY_KEYWORDS must be a JSON object/,
    );
    expect(() => from({ smsReplyKeywords: '{"HELP":1}' })).toThrow(
      /SMS_REPLY_KEYWORDS\.HELP must be a string/,
    );
  });

  it("accepts a log level, case-insensitively, and refuses an unknown one", () => {
    expect(from({ logLevel: "debug" }).logLevel).toBe("DEBUG");
    expect(() => from({ logLevel: "chatty" })).toThrow(/logLevel must be one of/);
  });
});
