import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, it } from "vitest";
import { defineApp } from "../../infra/define-app";
import { cdkJsonContext } from "./synth";

// The app exactly as `cdk synth` builds it (checks on), without bundling.
function checkedApp(context: Record<string, string> = {}): App {
  const app = new App({
    context: {
      ...cdkJsonContext(),
      "aws:cdk:bundling-stacks": [],
      alarmEmail: "ops@example.com",
      ...context,
    },
  });
  defineApp(app);
  return app;
}
const app = checkedApp();
// Every optional option on, in two apps (a domain has two forms); built at load, like `app`.
const optionApps = [
  [
    "tracing=true and every other option on",
    checkedApp({
      tracing: "true",
      destroyable: "true",
      recordTtlDays: "400",
      forwardTo:
        "crm=https://crm.example.com/at billing[sms.delivery,airtime.status]=https://billing.example.com/hook",
      domainName: "callbacks.example.com",
      certificateArn:
        "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
    }),
  ],
  [
    "a custom domain in a hosted zone",
    checkedApp({ domainName: "callbacks.example.com", hostedZoneId: "Z0123456789ABCDEFGHIJ" }),
  ],
] as const;

interface Ack {
  path: string;
  rule: string;
  reason: string;
}

const acknowledgments: Ack[] = app.node.findAll().flatMap((construct) =>
  construct.node.metadata
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((m) =>
      Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
        path: construct.node.path,
        rule: id.replace(/^.*::/, ""),
        reason,
      })),
    ),
);

describe("cdk-nag AwsSolutions", () => {
  it("finds no unacknowledged finding (errors and warnings alike)", () => {
    // The pack `cdk synth` runs as a validation plugin (defineApp registers it), run directly:
    // the same rules and acknowledgments, without the 10-20 s CDK spends building the
    // plugin's report for a whole synth.
    expect(new AwsSolutionsChecks(app).validateScope(app).violations).toEqual([]);
  });

  it.each(optionApps)("finds none with %s either (the options synthesize clean)", (_, options) => {
    expect(new AwsSolutionsChecks(options).validateScope(options).violations).toEqual([]);
  });

  it("acknowledges only these rules, each with a written reason", () => {
    expect(new Set(acknowledgments.map((a) => a.rule))).toEqual(
      new Set(["AwsSolutions-APIG4", "AwsSolutions-SMG4", "AwsSolutions-L1"]),
    );
    for (const ack of acknowledgments)
      expect(ack.reason.length, `${ack.path} ${ack.rule}`).toBeGreaterThan(40);
  });

  it("has no stale acknowledgment: each one covers a real finding", () => {
    const pack = new AwsSolutionsChecks(app);
    // Run the pack as if nothing were acknowledged, to see what each acknowledgment hides.
    (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
    const raw = pack
      .validateScope(app)
      .violations.flatMap((v) =>
        v.violatingResources.map((r) => ({ rule: v.ruleName, path: r.constructPath ?? "" })),
      );
    for (const ack of acknowledgments) {
      const covered = raw.filter(
        (f) => f.rule === ack.rule && (f.path === ack.path || f.path.startsWith(`${ack.path}/`)),
      );
      expect(covered.length, `${ack.path} ${ack.rule}`).toBeGreaterThan(0);
    }
  });
});
