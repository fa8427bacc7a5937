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
});
