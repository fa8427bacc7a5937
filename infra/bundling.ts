import { type BundlingOptions, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import type { BuildOptions } from "esbuild";

/**
 * The one set of esbuild options: the stack bundles every function with it and the bundle
 * test rebuilds each entry with it, so what the test measures is what is deployed.
 */
export const ESBUILD = {
  target: "node22",
  platform: "node",
  format: "esm",
  minify: true,
  sourcemap: true,
  mainFields: ["module", "main"],
  /** Nothing is external: the SDK v3 clients are bundled, so their versions are the lockfile's. */
  external: [] as string[],
  /** ESM output has no `require`; bundled CommonJS dependencies need one for Node built-ins. */
  banner:
    "import { createRequire as __bannerCreateRequire } from 'node:module'; const require = __bannerCreateRequire(import.meta.url);",
} as const;

/** Source maps are only used by Node when this flag is set. */
export const NODE_OPTIONS = "--enable-source-maps";

/** NodejsFunction's spelling of ESBUILD: local esbuild, never Docker. */
export const lambdaBundling: BundlingOptions = {
  format: OutputFormat.ESM,
  target: ESBUILD.target,
  minify: ESBUILD.minify,
  sourceMap: ESBUILD.sourcemap,
  mainFields: [...ESBUILD.mainFields],
  externalModules: [...ESBUILD.external],
  banner: ESBUILD.banner,
  forceDockerBundling: false,
};

/** esbuild's JS API spelling of ESBUILD, as NodejsFunction runs it (`--bundle entry --outfile=index.mjs`). */
export function esbuildOptions(entry: string): BuildOptions {
  return {
    entryPoints: [entry],
    bundle: true,
    outfile: "index.mjs",
    target: ESBUILD.target,
    platform: ESBUILD.platform,
    format: ESBUILD.format,
    minify: ESBUILD.minify,
    sourcemap: ESBUILD.sourcemap,
    mainFields: [...ESBUILD.mainFields],
    external: [...ESBUILD.external],
    banner: { js: ESBUILD.banner },
  };
}
