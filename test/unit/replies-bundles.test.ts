import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import nock from "nock";
import { afterAll, describe, expect, it } from "vitest";
import type * as AtSender from "../../functions/reply/at-sender";
import { ROUTES, WORKERS } from "../../functions/routes";
import { esbuildOptions } from "../../infra/bundling";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The AT SDK must ride only in the reply worker: the ack and interactive bundles stay small. */
describe("bundles", () => {
  it("only the reply worker's bundle contains the africastalking SDK", async () => {
    const entries = [...new Set([...ROUTES.map((r) => r.entry), ...WORKERS.map((w) => w.entry)])];
    const result = await build({
      entryPoints: entries,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node22",
      outdir: "/tmp/replies-bundle-check",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const withSdk = Object.values(result.metafile.outputs)
      .filter((o) => o.entryPoint)
      .filter((o) => Object.keys(o.inputs).some((i) => i.includes("node_modules/africastalking/")))
      .map((o) => o.entryPoint);
    expect(withSdk).toEqual(["functions/handlers/replier.ts"]);
    // And the SDK's axios is the instance whose timeout we set (one axios copy in the bundle).
    const replier = Object.values(result.metafile.outputs).find(
      (o) => o.entryPoint === "functions/handlers/replier.ts",
    );
    const axiosFiles = Object.keys(replier?.inputs ?? {}).filter((i) =>
      /node_modules\/axios\/(dist|index|lib\/axios)/.test(i),
    );
    expect(axiosFiles).toHaveLength(1);
    expect(axiosFiles[0]).toMatch(/node_modules\/axios\/dist\/node\/axios\.cjs$/);
  }, 120_000);
});

describe("the AT sender as deployed (bundled with the stack's stand-ins for unused SDK parts)", () => {
  const dir = mkdtempSync(join(tmpdir(), "at-sender-bundle-"));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    nock.cleanAll();
  });

  it("still validates the number and sends through the SDK", async () => {
    const result = await build({
      ...esbuildOptions(`${REPO_ROOT}functions/reply/at-sender.ts`),
      write: false,
      sourcemap: false,
      logLevel: "silent",
    });
    const code = result.outputFiles.find((f) => f.path.endsWith(".mjs"))?.text ?? "";
    const file = join(dir, "at-sender.mjs");
    writeFileSync(file, code);
    const bundled = (await import(pathToFileURL(file).href)) as typeof AtSender;
    const sender = bundled.atSmsSender({ username: "myapp", apiKey: "k" });

    const seen: string[] = [];
    nock("https://api.africastalking.com")
      .post("/version1/messaging")
      .reply(201, (_uri, body) => {
        const to = new URLSearchParams(String(body)).get("to") ?? "";
        seen.push(to);
        return {
          SMSMessageData: {
            Message: "Sent to 1/1",
            Recipients: [{ statusCode: 101, number: to, status: "Success", messageId: "ATXid_b" }],
          },
        };
      });
    const sent = await sender.send({ to: "+254711000111", from: "20880", message: "hi" });
    expect(sent).toMatchObject({ kind: "accepted", messageId: "ATXid_b" });
    // The SDK's check still runs (now on E.164 and its own pattern): no request for these.
    for (const to of ["MTN", "0711000111", "+25"]) {
      expect(await sender.send({ to, from: "20880", message: "hi" })).toMatchObject({
        kind: "rejected",
        status: "InvalidPhoneNumber",
      });
    }
    expect(seen).toEqual(["+254711000111"]);
  }, 120_000);
});
