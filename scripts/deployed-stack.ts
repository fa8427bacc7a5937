import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { ROUTES, type Route } from "../functions/routes";

/** The stack `cdk deploy -c stageName=<stage>` creates (infra/define-app.ts). */
export const stackNameOf = (stage: string) => `AtCallbacks-${stage}`;

/** A deployed stack's outputs by key (`aws cloudformation describe-stacks`). */
export type StackOutputs = ReadonlyMap<string, { value: string; description?: string }>;

interface DescribeStacks {
  Stacks?: Array<{
    StackName?: string;
    StackStatus?: string;
    Outputs?: Array<{ OutputKey?: string; OutputValue?: string; Description?: string }>;
  }>;
}

/** Parses `aws cloudformation describe-stacks --output json` (live or recorded). */
export function parseDescribeStacks(json: string, stackName: string): StackOutputs {
  let parsed: DescribeStacks;
  try {
    parsed = JSON.parse(json) as DescribeStacks;
  } catch {
    throw new Error("the describe-stacks output is not JSON");
  }
  const stack = (parsed.Stacks ?? []).find((s) => s.StackName === stackName);
  if (!stack) throw new Error(`no stack ${stackName} in the describe-stacks output`);
  const outputs = new Map<string, { value: string; description?: string }>();
  for (const o of stack.Outputs ?? []) {
    if (o.OutputKey && o.OutputValue !== undefined) {
      outputs.set(o.OutputKey, {
        value: o.OutputValue,
        ...(o.Description ? { description: o.Description } : {}),
      });
    }
  }
  return outputs;
}

/**
 * The outputs of a deployed stage: from a recorded describe-stacks file, or asked of AWS with
 * the AWS CLI (credentials and region from the usual AWS configuration, or `region`).
 */
export function loadOutputs(options: {
  stage: string;
  region?: string | undefined;
  describeStacksFile?: string | undefined;
}): StackOutputs {
  const stackName = stackNameOf(options.stage);
  if (options.describeStacksFile) {
    return parseDescribeStacks(readFileSync(options.describeStacksFile, "utf8"), stackName);
  }
  const args = ["cloudformation", "describe-stacks", "--stack-name", stackName, "--output", "json"];
  if (options.region) args.push("--region", options.region);
  let json: string;
  try {
    json = execFileSync("aws", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const e = error as { code?: string; stderr?: string };
    if (e.code === "ENOENT") {
      throw new Error(
        "the AWS CLI (`aws`) is not installed: see docs/deploy.md, Prerequisites (or pass --describe-stacks FILE)",
      );
    }
    throw new Error(`aws cloudformation describe-stacks failed: ${(e.stderr ?? "").trim()}`);
  }
  return parseDescribeStacks(json, stackName);
}

/**
 * The region a stage is deployed in, read from its outputs (the region in a secret's ARN or the
 * API's host name), so a tool pointed at `--stage` needs no `--region` to reach its resources.
 */
export function regionOf(outputs: StackOutputs): string | undefined {
  for (const { value } of outputs.values()) {
    const region =
      /^arn:aws[a-z-]*:[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-\d):/.exec(value)?.[1] ??
      /\.execute-api\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com/.exec(value)?.[1];
    if (region) return region;
  }
  return undefined;
}

export function output(outputs: StackOutputs, key: string): string {
  const value = outputs.get(key)?.value;
  if (!value) throw new Error(`the stack has no ${key} output: deploy the current version first`);
  return value;
}

/**
 * The callback key to put in the URLs: the last one of the secret's comma-separated list (the
 * newest, during a rotation: docs/deploy.md). The secret's region is read from its ARN.
 */
export async function readCallbackKey(secretArn: string): Promise<string> {
  const region = secretArn.split(":")[3];
  const client = new SecretsManagerClient(region ? { region } : {});
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    return lastKey(SecretString ?? "");
  } finally {
    client.destroy();
  }
}

export function lastKey(secret: string): string {
  const keys = secret
    .split(",")
    .map((k) => k.trim())
    .filter(Boolean);
  const key = keys[keys.length - 1];
  if (!key) throw new Error("the callback key secret is empty");
  return key;
}

export interface DashboardUrl {
  route: Route;
  /** Where it goes in the AT dashboard. */
  dashboard: string;
  url: string;
}

/** The 11 callback URLs, in route-table order, with `<callback-key>` replaced by the key. */
export function dashboardUrls(outputs: StackOutputs, key: string): DashboardUrl[] {
  const urls = [...outputs.values()]
    .map((o) => o.value)
    .filter((v) => v.includes("<callback-key>"));
  return ROUTES.map((route) => {
    const url = urls.find((u) => new URL(u.replace("<callback-key>", "k")).pathname === route.path);
    if (!url)
      throw new Error(`the stack has no URL output for ${route.path}: deploy the current version`);
    return {
      route,
      dashboard: route.dashboard,
      url: url.replace("<callback-key>", encodeURIComponent(key)),
    };
  });
}
