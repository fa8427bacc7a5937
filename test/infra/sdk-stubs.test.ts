import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import nock from "nock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type * as Floor from "../../bench/sqs-client-floor";
import { defaultProvider } from "../../infra/bundle-stubs/credential-provider-node";
import { EventStreamSerde, eventStreamSerdeProvider } from "../../infra/bundle-stubs/event-streams";
import { esbuildOptions } from "../../infra/bundling";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** What Lambda sets for the function's role. */
const LAMBDA_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: "ASIAEXAMPLEROLEKEY",
  AWS_SECRET_ACCESS_KEY: "role-secret",
  AWS_SESSION_TOKEN: "role-session-token",
};

const setEnvironment = (values: Record<string, string | undefined>) => {
  for (const [name, value] of Object.entries(values)) vi.stubEnv(name, value);
};
const withoutCredentials = () =>
  setEnvironment({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });

beforeEach(() => setEnvironment({ AWS_REGION: "eu-west-1", AWS_PROFILE: undefined }));
afterEach(() => vi.unstubAllEnvs());

describe("the deployed functions' credential provider (infra/bundle-stubs)", () => {
  it("gives the role's credentials Lambda puts in the environment", async () => {
    setEnvironment(LAMBDA_CREDENTIALS);
    await expect(defaultProvider()()).resolves.toMatchObject({
      accessKeyId: "ASIAEXAMPLEROLEKEY",
      secretAccessKey: "role-secret",
      sessionToken: "role-session-token",
    });
  });

  it("refuses, naming the variables, when the environment has none", async () => {
    withoutCredentials();
    await expect(defaultProvider()()).rejects.toThrow(
      /No AWS credentials in the environment \(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\)/,
    );
  });
});

describe("an SQS client bundled with the stack's options", () => {
  const dir = mkdtempSync(join(tmpdir(), "credentials-bundle-"));
  const file = join(dir, "index.mjs");
  let loads = 0;
  /** A fresh module instance each time: the client memoizes the credentials it resolved. */
  const load = async () => (await import(`${pathToFileURL(file).href}?${++loads}`)) as typeof Floor;

  beforeAll(async () => {
    const result = await build({
      ...esbuildOptions(`${REPO_ROOT}bench/sqs-client-floor.ts`),
      write: false,
      sourcemap: false,
      logLevel: "silent",
    });
    const code = result.outputFiles.find((f) => f.path.endsWith(".mjs"))?.text ?? "";
    const stubbed = code.includes("No AWS credentials in the environment");
    expect(stubbed, "the bundle carries the environment-only provider").toBe(true);
    writeFileSync(file, code);
    nock.disableNetConnect();
  });
  afterAll(() => {
    nock.enableNetConnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it("signs with the environment's credentials", async () => {
    setEnvironment(LAMBDA_CREDENTIALS);
    const { sqs } = await load();
    await expect(sqs.config.credentials()).resolves.toMatchObject({
      accessKeyId: "ASIAEXAMPLEROLEKEY",
      sessionToken: "role-session-token",
    });
  });

  it("fails a send with that reason, before any request, when they are missing", async () => {
    withoutCredentials();
    const { handler } = await load();
    await expect(handler("hello")).rejects.toThrow(/No AWS credentials in the environment/);
  });
});

describe("the event-stream codec's stand-in (infra/bundle-stubs)", () => {
  it("refuses, saying how to get the real codec back, if an operation ever streams", () => {
    const refusal = /Event streams are not bundled.*@smithy\/core\/event-streams alias/;
    expect(() => eventStreamSerdeProvider()).toThrow(refusal);
    expect(() => new EventStreamSerde()).toThrow(refusal);
  });
});
