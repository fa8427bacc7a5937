import { App } from "aws-cdk-lib";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { describe, expect, it } from "vitest";
import { DEFAULTS, readConfig } from "../../infra/config";
import { defineApp } from "../../infra/define-app";
import { cdkJsonContext } from "./synth";

/** A production stage must say where alarms go: "none" unless a test says otherwise. */
const from = (context: Record<string, unknown>) =>
  readConfig((key) => (key in context ? context[key] : key === "alarmEmail" ? "none" : undefined));

describe("readConfig", () => {
  it("has production-safe defaults", () => {
    expect(from({})).toEqual({
      stageName: "prod",
      throttleRate: DEFAULTS.throttleRate,
      throttleBurst: DEFAULTS.throttleBurst,
      logRetentionDays: RetentionDays.ONE_MONTH,
      alarmEmail: undefined,
      concurrency: {
        interactiveReserved: DEFAULTS.interactiveReservedConcurrency,
        recorderMax: DEFAULTS.recorderMaxConcurrency,
        replierMax: DEFAULTS.replierMaxConcurrency,
      },
      tracing: false,
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
      // Nothing is forwarded unless the stage names endpoints.
      forwardTo: [],
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
    // A reply that expired before its job was redriven from the DLQ would be sent twice.
    [{ recordTtlDays: "7" }, /recordTtlDays 7 is shorter than a queued message can live \(18 days/],
    [{ recordTtlDays: 17 }, /recordTtlDays 17 is shorter/],
    [{ logRetentionDays: "10" }, /logRetentionDays must be one of/],
    [{ alarmEmail: "ops" }, /alarmEmail/],
    [{ destroyable: "yes" }, /destroyable/],
    [{ recorderMaxConcurrency: "1" }, /between 2 and 1000/],
    [{ replierMaxConcurrency: "1001" }, /between 2 and 1000/],
    [{ interactiveReservedConcurrency: "-5" }, /interactiveReservedConcurrency/],
    [{ tracing: "on" }, /tracing/],
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

  it("refuses a stage that keeps its data but sends its alarms nowhere, unless told so", () => {
    const bare = (context: Record<string, unknown>) => readConfig((key) => context[key]);
    expect(() => bare({})).toThrow(/stage prod has no alarmEmail: its alarms would reach nobody/);
    expect(() => bare({ stageName: "staging" })).toThrow(/stage staging has no alarmEmail/);
    expect(bare({ alarmEmail: "none" }).alarmEmail).toBeUndefined();
    expect(bare({ alarmEmail: "ops@example.com" }).alarmEmail).toBe("ops@example.com");
    expect(bare({ stageName: "dev", destroyable: "true" }).alarmEmail).toBeUndefined();
    // `cdk synth` with cdk.json alone stops there, before building anything.
    expect(() => defineApp(new App({ context: cdkJsonContext() }), { checks: false })).toThrow(
      /has no alarmEmail/,
    );
  });

  it("takes the concurrency guarantees and tracing from context (0 reserves nothing)", () => {
    expect(
      from({
        interactiveReservedConcurrency: "0",
        recorderMaxConcurrency: 50,
        replierMaxConcurrency: "2",
        tracing: "true",
      }),
    ).toMatchObject({
      concurrency: { interactiveReserved: 0, recorderMax: 50, replierMax: 2 },
      tracing: true,
    });
  });
});
