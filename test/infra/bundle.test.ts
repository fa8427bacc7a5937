import { fileURLToPath } from "node:url";
import { NormalizedSchema } from "@smithy/core/schema";
import { build, type Metafile } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { ROUTES, WORKERS } from "../../functions/routes";
import { ESBUILD, esbuildOptions } from "../../infra/bundling";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

interface Bundle {
  entry: string;
  /** Packages (node_modules names) with at least one file in the bundle. */
  packages: Set<string>;
  /** Every bundled source file, as esbuild names it. */
  inputs: string[];
  bytes: number;
  code: string;
}

/** Only the workers talk to AT or publish events. */
const HTTP_MUST_NOT_BUNDLE = ["africastalking", "@aws-sdk/client-sns"];
/**
 * The SDK's default credential chain beyond its first link, and the STS and SSO clients it
 * carries: never reached on Lambda, whose credentials are in the environment
 * (infra/bundle-stubs/credential-provider-node.ts). No bundle may contain them.
 */
const CREDENTIAL_CHAIN = [
  "@aws-sdk/credential-provider-node",
  "@aws-sdk/credential-provider-ini",
  "@aws-sdk/credential-provider-sso",
  "@aws-sdk/credential-provider-process",
  "@aws-sdk/credential-provider-web-identity",
  "@aws-sdk/credential-provider-http",
  "@aws-sdk/credential-provider-login",
  "@aws-sdk/token-providers",
  "@aws-sdk/nested-clients",
  "@smithy/credential-provider-imds",
];
const TABLE_CLIENTS = ["@aws-sdk/client-dynamodb", "@aws-sdk/lib-dynamodb"];
/** What each worker must not bundle: only the replier talks to AT. */
const WORKER_MUST_NOT_BUNDLE: Record<string, string[]> = {
  recorder: ["africastalking", "@aws-sdk/client-secrets-manager"],
  replier: [],
};

/** Each distinct entry, with the packages the functions built from it must not contain. */
const FORWARDER_ENTRY = "functions/handlers/forwarder.ts";
const entries = [...new Set([...ROUTES.map((r) => r.entry), ...WORKERS.map((w) => w.entry)])].map(
  (entry) => {
    const routes = ROUTES.filter((r) => r.entry === entry);
    const workers = WORKERS.filter((w) => w.entry === entry);
    const usesTable = routes.some((r) => r.tableAccess !== undefined);
    const forbidden = [
      ...(routes.length > 0 ? [...HTTP_MUST_NOT_BUNDLE, ...(usesTable ? [] : TABLE_CLIENTS)] : []),
      ...workers.flatMap((w) => WORKER_MUST_NOT_BUNDLE[w.name] ?? []),
    ];
    return { entry, http: routes.length > 0, forbidden };
  },
);
// One forwarder per endpoint (infra/constructs/forwarding.ts): HTTP out through Node's fetch.
entries.push({
  entry: FORWARDER_ENTRY,
  http: false,
  forbidden: ["africastalking", "@aws-sdk/client-sns", "undici", "axios", "node-fetch"],
});

const packagesOf = (metafile: Metafile) =>
  new Set(
    Object.keys(metafile.inputs)
      .map((input) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1])
      .filter((name): name is string => name !== undefined),
  );

const bundles = new Map<string, Bundle>();

// Built once each, in parallel, with the stack's own options.
beforeAll(async () => {
  await Promise.all(
    entries.map(async ({ entry }) => {
      const result = await build({
        ...esbuildOptions(`${REPO_ROOT}${entry}`),
        write: false,
        metafile: true,
        logLevel: "silent",
      });
      const output = result.outputFiles.find((f) => f.path.endsWith(".mjs"));
      if (!output) throw new Error(`no output for ${entry}`);
      bundles.set(entry, {
        entry,
        packages: packagesOf(result.metafile),
        inputs: Object.keys(result.metafile.inputs),
        bytes: output.contents.byteLength,
        code: output.text,
      });
    }),
  );
  const rows = [...bundles.values()].map((b) => ({
    entry: b.entry,
    "KiB (minified)": (b.bytes / 1024).toFixed(1),
    functions:
      ROUTES.filter((r) => r.entry === b.entry).length +
      WORKERS.filter((w) => w.entry === b.entry).length,
  }));
  console.table(rows);
}, 60_000);

const bundleOf = (entry: string) => {
  const bundle = bundles.get(entry);
  if (!bundle) throw new Error(`${entry} was not built`);
  return bundle;
};

describe.each(entries)("bundle of $entry", ({ entry, forbidden }) => {
  it("is an ESM bundle with the createRequire banner and the SDK clients inside", () => {
    const { code, packages } = bundleOf(entry);
    expect(code.startsWith(ESBUILD.banner)).toBe(true);
    expect(code).toContain("import.meta.url");
    expect([...packages].some((p) => p.startsWith("@aws-sdk/client-"))).toBe(true);
  });

  it("contains neither the africastalking SDK nor AWS clients its functions do not use", () => {
    const { packages } = bundleOf(entry);
    for (const name of forbidden) expect(packages, name).not.toContain(name);
  });

  it("reads credentials from the environment only: no STS, SSO or metadata clients", () => {
    const { packages } = bundleOf(entry);
    expect(packages).toContain("@aws-sdk/credential-provider-env");
    for (const name of CREDENTIAL_CHAIN) expect(packages, name).not.toContain(name);
  });

  it("has no event-stream codec, and no operation of its AWS clients streams events", async () => {
    const { inputs, packages } = bundleOf(entry);
    expect(inputs.filter((i) => i.includes("/submodules/event-streams/"))).toEqual([]);
    expect(inputs).toContain("infra/bundle-stubs/event-streams.ts");
    // The SDK loads the codec only for an operation whose input or output has an event-stream
    // member, found as its Command.send does (@smithy/core command.js).
    for (const client of [...packages].filter((p) => p.startsWith("@aws-sdk/client-"))) {
      const commands = Object.entries(await import(client)).filter(
        ([name, value]) =>
          name.endsWith("Command") && name !== "$Command" && typeof value === "function",
      );
      expect(commands.length, client).toBeGreaterThan(0);
      for (const [name, Command] of commands) {
        const schema = new (Command as new (input: object) => { schema: unknown })({}).schema;
        expect(Array.isArray(schema) && schema[0] === 9, `${name} has an operation schema`).toBe(
          true,
        );
        const [, , , , input, output] = schema as unknown[];
        const streams =
          NormalizedSchema.of(input as never).getEventStreamMember() ||
          NormalizedSchema.of(output as never).getEventStreamMember();
        expect(streams, `${client} ${name}`).toBe("");
      }
    }
  });
});

/** Budgets (minified index.mjs, without its source map): AT waits on every HTTP function. */
const HTTP_BUDGET_BYTES = 300 * 1024;
const REPLIER_BUDGET_BYTES = 1.2 * 1024 * 1024;

describe("the replier's bundle", () => {
  const replier = WORKERS.find((w) => w.name === "replier")?.entry ?? "";

  it("stays within 1.2 MiB: the AT SDK's SMS service without the parts it never reaches", () => {
    const { bytes, packages } = bundleOf(replier);
    expect(bytes).toBeLessThanOrEqual(REPLIER_BUDGET_BYTES);
    expect(packages).toContain("africastalking");
    for (const name of [
      "google-libphonenumber",
      "lodash",
      "mime-db",
      "body-parser",
      "iconv-lite",
    ]) {
      expect(packages, name).not.toContain(name);
    }
  });
});

describe("the forwarder's bundle", () => {
  it("stays within 350 KiB: SQS, DynamoDB and Secrets Manager clients, no HTTP library", () => {
    const { bytes, packages } = bundleOf(FORWARDER_ENTRY);
    expect(bytes).toBeLessThanOrEqual(350 * 1024);
    expect(packages).toContain("@aws-sdk/client-secrets-manager");
  });
});

describe("HTTP budget", () => {
  it.each(entries.filter((e) => e.http).map((e) => [e.entry]))("%s is at most 300 KiB", (entry) => {
    expect(bundleOf(entry).bytes).toBeLessThanOrEqual(HTTP_BUDGET_BYTES);
  });
});

const publishers = WORKERS.filter((w) => w.grants.publishesEvents).map((w) => ({ entry: w.entry }));

describe.each(publishers)("bundle of $entry, a worker that publishes events", ({ entry }) => {
  it("contains the SNS client it publishes them with", () => {
    expect(bundleOf(entry).packages).toContain("@aws-sdk/client-sns");
  });
});

describe.each(entries.filter((e) => e.http))("HTTP bundle of $entry", ({ entry }) => {
  it("contains the SQS and Secrets Manager clients (queueing, callback key)", () => {
    const { packages } = bundleOf(entry);
    expect(packages).toContain("@aws-sdk/client-sqs");
    expect(packages).toContain("@aws-sdk/client-secrets-manager");
  });
});
