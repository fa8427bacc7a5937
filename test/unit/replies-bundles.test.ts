import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { ROUTES, WORKERS } from "../../functions/routes";

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
  }, 30_000);
});
