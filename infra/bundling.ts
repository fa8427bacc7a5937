import { fileURLToPath } from "node:url";
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
  /**
   * Maps without the original sources: stack traces need only the mappings, and Node parses the
   * whole map when the bundle loads (`--enable-source-maps`), on every cold start.
   */
  sourcesContent: false,
  mainFields: ["module", "main"],
  /** Nothing is external: the SDK v3 clients are bundled, so their versions are the lockfile's. */
  external: [] as string[],
  /** ESM output has no `require`; bundled CommonJS dependencies need one for Node built-ins. */
  banner:
    "import { createRequire as __bannerCreateRequire } from 'node:module'; const require = __bannerCreateRequire(import.meta.url);",
} as const;

/**
 * Modules the deployed functions never reach, replaced at bundle time (esbuild `alias`, relative
 * to the repository root) by the small stand-ins in infra/bundle-stubs/. In every function: the
 * AWS SDK's default credential chain, for its first link (Lambda's environment credentials), and
 * its event-stream codec (no operation we call streams events). In the replier, what the AT SDK
 * requires but never needs there: libphonenumber's metadata (the replier sends only to numbers
 * it normalised to E.164), lodash (the SMS service calls only `cloneDeep`) and the MIME database
 * (form-data file uploads). The AT SDK is loaded through its SMS service alone
 * (functions/reply/at-sender.ts), so its other services and the Express USSD middleware are not
 * bundled at all.
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  "@aws-sdk/credential-provider-node": "./infra/bundle-stubs/credential-provider-node.ts",
  "@smithy/core/event-streams": "./infra/bundle-stubs/event-streams.ts",
  "google-libphonenumber": "./infra/bundle-stubs/google-libphonenumber.ts",
  lodash: "./infra/bundle-stubs/lodash.ts",
  "mime-db": "./infra/bundle-stubs/mime-db.cjs",
};

/** Source maps are only used by Node when this flag is set. */
export const NODE_OPTIONS = "--enable-source-maps";

/** NodejsFunction's spelling of ESBUILD: local esbuild, never Docker. */
export const lambdaBundling: BundlingOptions = {
  format: OutputFormat.ESM,
  target: ESBUILD.target,
  minify: ESBUILD.minify,
  sourceMap: ESBUILD.sourcemap,
  sourcesContent: ESBUILD.sourcesContent,
  mainFields: [...ESBUILD.mainFields],
  externalModules: [...ESBUILD.external],
  banner: ESBUILD.banner,
  esbuildArgs: {
    "--alias": Object.entries(BUNDLE_ALIASES).map(([name, stub]) => `${name}=${stub}`),
  },
  forceDockerBundling: false,
};

/** Where NodejsFunction runs esbuild (the lockfile's directory): BUNDLE_ALIASES are relative to it. */
const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
export const LOCKFILE = `${REPO_ROOT}package-lock.json`;

/** esbuild's JS API spelling of ESBUILD, as NodejsFunction runs it (`--bundle entry --outfile=index.mjs`). */
export function esbuildOptions(entry: string): BuildOptions {
  return {
    absWorkingDir: REPO_ROOT,
    entryPoints: [entry],
    bundle: true,
    outfile: "index.mjs",
    target: ESBUILD.target,
    platform: ESBUILD.platform,
    format: ESBUILD.format,
    minify: ESBUILD.minify,
    sourcemap: ESBUILD.sourcemap,
    sourcesContent: ESBUILD.sourcesContent,
    mainFields: [...ESBUILD.mainFields],
    external: [...ESBUILD.external],
    banner: { js: ESBUILD.banner },
    alias: { ...BUNDLE_ALIASES },
  };
}
