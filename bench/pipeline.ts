/**
 * The local stack against the seed's Flask sample on the same work, in one run, alternating
 * rounds: distinct delivery reports at 10 concurrent connections, and USSD sessions at 50
 * concurrent. Both run as their users run them, in their own processes; the load comes from
 * this one. A floor contender (floor-server.ts) shows what answering after one queue send costs
 * at least. Where there is /proc (Linux), each round also reads the CPU time the contender's
 * process (and each of the local stack's threads) spent until its queue was empty, and what
 * this process spent sending: CPU per callback is steadier than req/s on a shared machine, and
 * says whether a throughput goal fits in the cores at all.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { SQSClient } from "@aws-sdk/client-sqs";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../local/constants";
import { queueDepth } from "../local/queue-depth";
import { percentile, postForm, postLoad } from "./load";
import { recordsOf, type SpawnedStack, spawnStack } from "./spawned-stack";

const KEY = "bench-key-0123456789";
const FLASK_APP = fileURLToPath(new URL("flask_sample.py", import.meta.url));
const FLOOR_SERVER = fileURLToPath(new URL("floor-server.ts", import.meta.url));
const TSX_LOADER = pathToFileURL(
  fileURLToPath(new URL("../node_modules/tsx/dist/loader.mjs", import.meta.url)),
).href;

export interface Contender {
  name: string;
  /** The base URL of the server, and the query string every request carries. */
  url: string;
  query: string;
  stack?: SpawnedStack;
  /** The process that answers, whose CPU time the bench reads from /proc. */
  pid: number | undefined;
  /** Its threads' Linux ids by what they run, where it tells them (the local stack does). */
  threads: Record<string, number>;
  stop(): Promise<void>;
}

/** CPU time per acknowledged callback, in ms (Linux: /proc). */
export interface CpuPerCallback {
  /** The contender's whole process, from the round's first request until its queue was empty. */
  process: number;
  /** Each named thread, and `other` (V8's and libuv's helper threads: GC, compilation, fs). */
  threads: Record<string, number>;
  /** This process, sending the requests and reading the answers, per request. */
  loadGenerator: number;
}

export interface RoundResult {
  contender: string;
  round: number;
  requests: number;
  acknowledged: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Local stack only: callbacks still on the events queue when the round's last answer came. */
  backlogAtEnd?: number;
  /** Local stack only: records written per second during the round (arrivals minus backlog). */
  recordedPerSec?: number;
  /** Local stack only: seconds from the last answer until the queue was empty. */
  drainAfterSec?: number;
  /** Where /proc is readable (Linux). */
  cpu?: CpuPerCallback;
}

/** Whether CPU time can be read per process and per thread (/proc: Linux only). */
export const cpuAccounting = existsSync("/proc/self/task");

const clockTickMs = (() => {
  try {
    return 1000 / (Number(execFileSync("getconf", ["CLK_TCK"]).toString()) || 100);
  } catch {
    return 10; // USER_HZ is 100 on every Linux the bench runs on
  }
})();

/** User + system CPU time (ms) of a process or thread so far, from its /proc stat file. */
function cpuMs(statPath: string): number | undefined {
  try {
    const stat = readFileSync(statPath, "utf8");
    // Fields 14 and 15 (utime, stime), counted after the command name, which may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * clockTickMs;
  } catch {
    return undefined;
  }
}

interface CpuSnapshot {
  process: number;
  threads: Record<string, number>;
  loadGenerator: NodeJS.CpuUsage;
}

function cpuSnapshot(contender: Contender): CpuSnapshot | undefined {
  if (!cpuAccounting || contender.pid === undefined) return undefined;
  const process_ = cpuMs(`/proc/${contender.pid}/stat`);
  if (process_ === undefined) return undefined;
  const threads: Record<string, number> = {};
  for (const [name, tid] of Object.entries(contender.threads)) {
    const ms = cpuMs(`/proc/${contender.pid}/task/${tid}/stat`);
    if (ms !== undefined) threads[name] = ms;
  }
  return { process: process_, threads, loadGenerator: process.cpuUsage() };
}

function cpuSince(
  contender: Contender,
  before: CpuSnapshot | undefined,
  loadGenerator: NodeJS.CpuUsage,
  callbacks: number,
  requests: number,
): CpuPerCallback | undefined {
  const after = cpuSnapshot(contender);
  if (!before || !after || callbacks === 0) return undefined;
  const threads: Record<string, number> = {};
  let named = 0;
  for (const [name, ms] of Object.entries(after.threads)) {
    const spent = ms - (before.threads[name] ?? ms);
    named += spent;
    threads[name] = spent / callbacks;
  }
  const spent = after.process - before.process;
  if (Object.keys(threads).length > 0) threads.other = (spent - named) / callbacks;
  return {
    process: spent / callbacks,
    threads,
    loadGenerator: (loadGenerator.user + loadGenerator.system) / 1000 / requests,
  };
}

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A Python with Flask (Debian's python3-flask), or why there is none. */
export function findFlask(): { python: string } | { missing: string } {
  for (const python of ["/usr/bin/python3", "python3"]) {
    try {
      execFileSync(python, ["-c", "import flask"], { stdio: "ignore" });
      return { python };
    } catch {
      // next
    }
  }
  return { missing: "no python3 with Flask here (apt-get install -y python3-flask)" };
}

export async function startFlask(python: string): Promise<Contender> {
  const port = await freePort();
  const child: ChildProcess = spawn(python, [FLASK_APP, String(port)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Its prints go to a pipe that is read, as a terminal would.
  child.stdout?.resume();
  child.stderr?.resume();
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await fetch(url);
      break;
    } catch {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error("Flask did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    name: "Flask sample",
    url,
    query: "",
    pid: child.pid,
    threads: {},
    async stop() {
      child.kill("SIGKILL");
    },
  };
}

/** The floor (bench/floor-server.ts): bare HTTP, one SDK SendMessage to fauxqs, nothing else. */
export async function startFloor(): Promise<Contender> {
  const child = spawn(process.execPath, ["--import", TSX_LOADER, FLOOR_SERVER], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let text = "";
  // Shown if it fails to start; read anyway, so that it never blocks on a full pipe.
  child.stderr?.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  const [, url = "", threads = "{}"] = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the floor server did not start: ${text}`)),
      25_000,
    );
    child.stdout?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const match = text.match(/floor listening at (\S+) threads (\{.*\})/);
      if (!match) return;
      clearTimeout(timer);
      resolve(match);
    });
    exited.then(() => reject(new Error(`the floor server exited: ${text}`)));
  });
  child.stdout?.resume();
  return {
    name: "floor: 1 SendMessage",
    url,
    query: "",
    pid: child.pid,
    threads: JSON.parse(threads) as Record<string, number>,
    async stop() {
      child.kill("SIGKILL");
      await exited;
    },
  };
}

export async function startStack(
  name: string,
  args: string[],
  checkout?: string,
): Promise<Contender> {
  const cwd = mkdtempSync(join(tmpdir(), "bench-stack-"));
  const stack = await spawnStack(
    cwd,
    ["--port", "0", ...args],
    { CALLBACK_KEY: KEY, POWERTOOLS_LOG_LEVEL: "SILENT", LOCAL_OUTBOX_PRINT: "0" },
    checkout,
  );
  return {
    name,
    url: stack.url,
    query: `?key=${KEY}`,
    stack,
    pid: stack.child.pid,
    threads: stack.state.threads ?? {},
    async stop() {
      stack.child.kill("SIGKILL");
      await stack.exited;
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}

const eventsDepth = (sqs: SQSClient, stack: SpawnedStack) =>
  queueDepth(sqs, stack.state.eventsQueueUrl);

const sqsFor = (stack: SpawnedStack) =>
  new SQSClient({
    endpoint: stack.state.sqsEndpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    useQueueUrlAsEndpoint: false,
  });

/** One round of distinct delivery reports; for a local stack, also what the recorder did. */
export async function deliveryReportRound(
  contender: Contender,
  round: number,
  requests: number,
  concurrency = 10,
): Promise<RoundResult> {
  const tag = `${contender.name.replace(/\W/g, "")}r${round}`;
  const cpuBefore = cpuSnapshot(contender);
  const result = await postLoad({
    url: () => `${contender.url}/api/sms/delivery-reports${contender.query}`,
    body: (i) =>
      `id=ATXid_${tag}_${i}&status=Success&phoneNumber=%2B254711000111&networkCode=63902&retryCount=0`,
    concurrency,
    total: requests,
  });
  const loadGenerator = process.cpuUsage(cpuBefore?.loadGenerator);
  const acknowledged = result.statuses["200"] ?? 0;
  const seconds = result.ms / 1000;
  const row: RoundResult = {
    contender: contender.name,
    round,
    requests,
    acknowledged,
    reqPerSec: acknowledged / seconds,
    p50Ms: percentile(result.latencies, 0.5),
    p99Ms: percentile(result.latencies, 0.99),
  };
  if (contender.stack) {
    const sqs = sqsFor(contender.stack);
    const backlog = await eventsDepth(sqs, contender.stack);
    const ended = performance.now();
    while ((await eventsDepth(sqs, contender.stack)) > 0) {
      if (performance.now() - ended > 120_000) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    sqs.destroy();
    row.backlogAtEnd = backlog;
    row.recordedPerSec = (acknowledged - backlog) / seconds;
    row.drainAfterSec = (performance.now() - ended) / 1000;
  }
  const cpu = cpuSince(contender, cpuBefore, loadGenerator, acknowledged, result.sent);
  if (cpu) row.cpu = cpu;
  return row;
}

/** Delivery reports the stack recorded since `since` (each id once: the table key). */
export async function recordedReports(stack: SpawnedStack, since: string): Promise<number> {
  const records = await recordsOf(stack, "sms.delivery", since);
  return new Set(records.map((r) => r.id)).size;
}

/**
 * USSD sessions, `concurrency` at once, each walking the seed's menu ("", "1", "1*1") with
 * every hop sent as soon as the previous answer arrives (no thinking time: the worst case).
 */
export async function ussdRound(
  contender: Contender,
  round: number,
  sessions: number,
  concurrency = 50,
): Promise<RoundResult & { wrongAnswers: number }> {
  const hops = ["", "1", "1*1"];
  const latencies: number[] = [];
  let wrongAnswers = 0;
  let next = 0;
  const started = performance.now();
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const hop = async (session: number, text: string) => {
    const answer = await postForm(
      agent,
      `${contender.url}/api/ussd/session${contender.query}`,
      `sessionId=ATUid_bench${round}_${contender.name.replace(/\W/g, "")}_${session}&serviceCode=%2A384%23&phoneNumber=%2B254711000111&networkCode=63902&text=${encodeURIComponent(text)}`,
    );
    if (answer.status !== "error") latencies.push(answer.ms);
    return answer.body;
  };
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < sessions) {
        const session = next++;
        for (const text of hops) {
          const answer = await hop(session, text);
          const expected = text === "1*1" ? /^END .*ACC1001/s : /^CON /;
          if (!expected.test(answer)) wrongAnswers++;
        }
      }
    }),
  );
  agent.destroy();
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    contender: contender.name,
    round,
    requests: latencies.length,
    acknowledged: latencies.length - wrongAnswers,
    reqPerSec: latencies.length / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    wrongAnswers,
  };
}

export { log };
