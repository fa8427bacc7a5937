/**
 * Cold load of each deployed bundle: `node` importing the function's `index.mjs` (built with the
 * stack's own esbuild options, source maps on as on Lambda) against `node -e 0`, in the same
 * run. What it measures is what a Lambda cold start adds for our code: parsing and evaluating
 * the bundle and creating its clients (no network: nothing is called). Next to them, the floor:
 * an entry holding only the AWS SDK's SQS client and one command, built the same way
 * (bench/sqs-client-floor.ts), so each ratio can be read against what the SDK alone costs.
 *
 *   npx tsx bench/cold-load.ts [--rounds N]   (this section alone; `npm run bench` runs it last)
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { ROUTES, WORKERS } from "../functions/routes";
import { esbuildOptions, NODE_OPTIONS } from "../infra/bundling";

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The reference row: what any function that uses the SDK pays before its own code. */
export const FLOOR = {
  entry: "bench/sqs-client-floor.ts",
  label: "AWS SDK SQS client alone (floor)",
};

/** What the stack would set; a handler reads it on the container's first invocation. */
const ENVIRONMENT = {
  AWS_REGION: "eu-west-1",
  AWS_ACCESS_KEY_ID: "bench",
  AWS_SECRET_ACCESS_KEY: "bench",
  AWS_LAMBDA_FUNCTION_NAME: "bench",
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  POWERTOOLS_LOG_LEVEL: "SILENT",
  EVENTS_QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/123456789012/events",
  REPLIES_QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/123456789012/replies",
  DEAD_LETTER_QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/123456789012/events-dlq",
  CALLBACK_KEY_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:key",
  AT_CREDENTIALS_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:at",
  TABLE_NAME: "records",
  NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? NODE_OPTIONS,
};

export interface ColdLoad {
  entry: string;
  /** The floor row, not a deployed function. */
  floor: boolean;
  kib: number;
  /** Median time to load the bundle / median time of `node -e 0`. */
  ratio: number;
  /** The same for CPU time (user + system) of the process: less moved by other load on the machine. */
  cpuRatio: number;
  ms: number;
  baselineMs: number;
}

/** The child's last act: its CPU time so far, on the last line of its stdout. */
const REPORT_CPU = 'process.stdout.write("\\n" + JSON.stringify(process.cpuUsage()))';

interface Timing {
  wallMs: number;
  cpuMs: number;
}

function timeOf(args: string[], env: NodeJS.ProcessEnv): Timing {
  const start = performance.now();
  const stdout = execFileSync(process.execPath, args, {
    env,
    stdio: ["ignore", "pipe", "inherit"],
  }).toString();
  const wallMs = performance.now() - start;
  const cpu = JSON.parse(stdout.slice(stdout.lastIndexOf("\n") + 1)) as NodeJS.CpuUsage;
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/**
 * Builds every distinct entry and the floor, and times `rounds` cold loads of each, interleaved
 * with the baseline.
 */
export async function coldLoads(rounds = 15): Promise<ColdLoad[]> {
  const dir = mkdtempSync(join(tmpdir(), "cold-load-"));
  try {
    const entries = [
      ...new Set([...ROUTES.map((r) => r.entry), ...WORKERS.map((w) => w.entry)]),
      FLOOR.entry,
    ];
    const files = await Promise.all(
      entries.map(async (entry, i) => {
        const out = join(dir, String(i));
        mkdirSync(out);
        const result = await build({
          ...esbuildOptions(`${REPO_ROOT}${entry}`),
          outfile: join(out, "index.mjs"),
          write: false,
          logLevel: "silent",
        });
        let bytes = 0;
        for (const file of result.outputFiles) {
          writeFileSync(file.path, file.contents);
          if (file.path.endsWith(".mjs")) bytes = file.contents.byteLength;
        }
        return { entry, file: join(out, "index.mjs"), bytes };
      }),
    );
    const env = { PATH: process.env.PATH, ...ENVIRONMENT };
    const baselineEnv = { PATH: process.env.PATH };
    const baseline: Timing[] = [];
    const times = new Map<string, Timing[]>(files.map((f) => [f.entry, []]));
    // `node -e 0` but for the report, which both sides make.
    const empty = ["-e", REPORT_CPU];
    const load = (file: string) => [
      "--input-type=module",
      "-e",
      `await import(${JSON.stringify(pathToFileURL(file).href)}); ${REPORT_CPU}`,
    ];
    // One warm-up of each (file system cache), then interleaved rounds.
    timeOf(empty, baselineEnv);
    for (const f of files) timeOf(load(f.file), env);
    for (let r = 0; r < rounds; r++) {
      baseline.push(timeOf(empty, baselineEnv));
      for (const f of files) times.get(f.entry)?.push(timeOf(load(f.file), env));
    }
    const baselineMs = median(baseline.map((t) => t.wallMs));
    const baselineCpuMs = median(baseline.map((t) => t.cpuMs));
    return files.map((f) => {
      const ms = median((times.get(f.entry) ?? []).map((t) => t.wallMs));
      const cpuMs = median((times.get(f.entry) ?? []).map((t) => t.cpuMs));
      return {
        entry: f.entry,
        floor: f.entry === FLOOR.entry,
        kib: f.bytes / 1024,
        ratio: ms / baselineMs,
        cpuRatio: cpuMs / baselineCpuMs,
        ms,
        baselineMs,
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The bench section: one line per bundle. */
export function printColdLoads(rows: readonly ColdLoad[]): void {
  console.log(
    "\nCold load of each deployed bundle (ratio = median `node` importing it / median `node -e 0`, same run;\nCPU time ratio: the same for the processes' user + system time, less moved by other load)\n",
  );
  console.log(`${"bundle".padEnd(44)}${"KiB".padStart(8)}   ratio   CPU time ratio`);
  for (const r of rows) {
    if (r.floor) console.log("");
    const name = r.floor ? FLOOR.label : r.entry;
    console.log(
      `${name.padEnd(44)}${r.kib.toFixed(1).padStart(8)}   ${`${r.ratio.toFixed(1)}x`.padEnd(8)}${r.cpuRatio.toFixed(1)}x`,
    );
  }
  const baseline = rows[0]?.baselineMs ?? 0;
  console.log(
    `\n(absolute medians, for context only: node -e 0 ${baseline.toFixed(0)} ms; ${rows.map((r) => `${r.entry.split("/").pop()} ${r.ms.toFixed(0)} ms`).join(", ")})`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rounds = process.argv.indexOf("--rounds");
  printColdLoads(await coldLoads(rounds > 0 ? Number(process.argv[rounds + 1]) : undefined));
}
