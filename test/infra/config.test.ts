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
      routeThrottles: { "sms-delivery-reports": { rate: 1_000, burst: 2_000 } },
      logRetentionDays: RetentionDays.ONE_MONTH,
      alarmEmail: undefined,
      concurrency: {
        interactiveReserved: DEFAULTS.interactiveReservedConcurrency,
        recorderMax: DEFAULTS.recorderMaxConcurrency,
        replierMax: DEFAULTS.replierMaxConcurrency,
      },
      tracing: false,
      recordTtlDays: 396,
      legacyIndexes: [],
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

  it("expires records after 396 days unless told; 0 keeps them forever", () => {
    expect(from({}).recordTtlDays).toBe(396);
    expect(from({ recordTtlDays: "0" }).recordTtlDays).toBeUndefined();
    expect(from({ recordTtlDays: 0 }).recordTtlDays).toBeUndefined();
    expect(from({ recordTtlDays: "30" }).recordTtlDays).toBe(30);
  });

  it("takes per-route throttles over the delivery-report default, as -c JSON or cdk.json", () => {
    const fromCli = from({ routeThrottles: '{"ussd-status": {"rate": 300, "burst": 600}}' });
    const fromJson = from({ routeThrottles: { "ussd-status": { rate: 300, burst: 600 } } });
    expect(fromCli.routeThrottles).toEqual(fromJson.routeThrottles);
    expect(fromCli.routeThrottles).toEqual({
      "sms-delivery-reports": { rate: 1_000, burst: 2_000 },
      "ussd-status": { rate: 300, burst: 600 },
    });
    const lowered = from({ routeThrottles: { "sms-delivery-reports": { rate: 10, burst: 20 } } });
    expect(lowered.routeThrottles).toEqual({ "sms-delivery-reports": { rate: 10, burst: 20 } });
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
    [{ recordTtlDays: "-1" }, /recordTtlDays/],
    [{ routeThrottles: '{"sms-dlr": {"rate": 5, "burst": 10}}' }, /routeThrottles.*names no route/],
    [{ routeThrottles: '{"sms-delivery-reports": {"rate": 0, "burst": 10}}' }, /routeThrottles/],
    [{ routeThrottles: '{"sms-delivery-reports": {"rate": 5}}' }, /routeThrottles/],
    [{ routeThrottles: "fast" }, /routeThrottles must be a JSON object/],
    [{ legacyIndexes: "byPhone,byColour" }, /legacyIndexes.* must be a comma-separated list/],
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
