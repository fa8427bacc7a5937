import { type App, Tags, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { readConfig } from "./config";
import { AtCallbacksStack, type AtCallbacksStackProps } from "./stack";

export interface DefineAppOptions {
  /** Run the cdk-nag AwsSolutions checks at synthesis (default true). */
  readonly checks?: boolean;
  /** Test-only overrides of the route table. */
  readonly routes?: AtCallbacksStackProps["routes"];
}

/** The app as `cdk synth` builds it; the tests build theirs with this too. */
export function defineApp(app: App, options: DefineAppOptions = {}): AtCallbacksStack {
  const config = readConfig((key) => app.node.tryGetContext(key));
  // No env: the stack is environment-agnostic, so synthesis needs no credentials.
  const stack = new AtCallbacksStack(app, `AtCallbacks-${config.stageName}`, {
    config,
    description: `Africa's Talking callbacks on AWS (stage ${config.stageName})`,
    ...(options.routes ? { routes: options.routes } : {}),
  });
  Tags.of(stack).add("project", "at-callbacks");
  Tags.of(stack).add("stage", config.stageName);
  if (options.checks ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
