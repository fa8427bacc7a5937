import { readFileSync } from "node:fs";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { type DefineAppOptions, defineApp } from "../../infra/define-app";
import type { AtCallbacksStack } from "../../infra/stack";

/** The context `cdk synth` gets from cdk.json (feature flags), so tests see what synth sees. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson: unknown = JSON.parse(
    readFileSync(new URL("../../cdk.json", import.meta.url), "utf8"),
  );
  if (typeof cdkJson !== "object" || cdkJson === null || !("context" in cdkJson)) return {};
  return cdkJson.context as Record<string, unknown>;
}

export interface SynthOptions extends DefineAppOptions {
  readonly context?: Record<string, unknown>;
}

/** Builds the app as infra/app.ts does, without bundling (no function code is needed). */
export function synthStack(options: SynthOptions = {}): {
  app: App;
  stack: AtCallbacksStack;
  template: Template;
} {
  const app = new App({
    context: {
      ...cdkJsonContext(),
      "aws:cdk:bundling-stacks": [],
      // A production stage must say where its alarms go (infra/config.ts); tests override it.
      alarmEmail: "none",
      ...options.context,
    },
  });
  const stack = defineApp(app, { checks: false, ...options });
  return { app, stack, template: Template.fromStack(stack) };
}

type Json = Record<string, unknown>;

export interface Statement {
  readonly action: string;
  readonly resource: unknown;
  /** The statement's Condition, when it has one. */
  readonly condition?: unknown;
}

const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

/**
 * Every (action, resource) pair granted to the role of a function, from the role's inline
 * policies and from every AWS::IAM::Policy attached to it. Only Allow statements exist here;
 * a Deny or a managed policy fails the test loudly.
 */
export function grantsOf(template: Template, functionLogicalId: string): Statement[] {
  const resources = template.toJSON().Resources as Record<string, Json>;
  const fn = resources[functionLogicalId];
  const roleArn = (fn?.Properties as Json | undefined)?.Role as Json | undefined;
  const roleId = (roleArn?.["Fn::GetAtt"] as string[] | undefined)?.[0];
  if (!roleId) throw new Error(`${functionLogicalId} has no role of this stack`);
  const role = resources[roleId]?.Properties as Json;
  if (role.ManagedPolicyArns) throw new Error(`${roleId} has managed policies`);
  const documents = [
    ...((role.Policies as Json[] | undefined) ?? []).map((p) => p.PolicyDocument as Json),
    ...Object.values(resources)
      .filter((r) => r.Type === "AWS::IAM::Policy")
      .filter((r) =>
        asArray((r.Properties as Json).Roles).some(
          (ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleId }),
        ),
      )
      .map((r) => (r.Properties as Json).PolicyDocument as Json),
  ];
  return documents.flatMap((doc) =>
    asArray(doc.Statement).flatMap((s) => {
      const statement = s as Json;
      if (statement.Effect !== "Allow" || statement.NotAction || statement.NotResource) {
        throw new Error(`unexpected statement shape: ${JSON.stringify(statement)}`);
      }
      const condition = statement.Condition ? { condition: statement.Condition } : {};
      return asArray(statement.Action).flatMap((action) =>
        asArray(statement.Resource).map((resource) => ({
          action: String(action),
          resource,
          ...condition,
        })),
      );
    }),
  );
}

/** Order-independent form of a list of grants, for equality assertions. */
export const normalise = (grants: readonly Statement[]) =>
  grants.map((g) => JSON.stringify([g.action, g.resource, g.condition ?? null])).sort();

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(
  stack: AtCallbacksStack,
  resource: { node: { defaultChild?: unknown } },
): string {
  const child = resource.node.defaultChild;
  if (!child || typeof child !== "object" || !("logicalId" in child))
    throw new Error("no default child");
  return stack.resolve(child.logicalId) as string;
}
