/**
 * The local stack against the seed's Flask sample on the same work, in one run, alternating
 * rounds: distinct delivery reports at 10 concurrent connections, and USSD sessions at 50
 * concurrent. Both run as their users run them, in their own processes; the load comes from
 * this one.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../local/constants";
import { percentile, postForm, postLoad } from "./load";
import { recordsOf, type SpawnedStack, spawnStack } from "./spawned-stack";

const KEY = "bench-key-0123456789";
const FLASK_APP = fileURLToPath(new URL("flask_sample.py", import.meta.url));

export interface Contender {
  name: string;
  /** The base URL of the server, and the query string every request carries. */
  url: string;
  query: string;
  stack?: SpawnedStack;
  stop(): Promise<void>;
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
    async stop() {
      child.kill("SIGKILL");
    },
  };
}

export async function startStack(name: string, args: string[]): Promise<Contender> {
  const cwd = mkdtempSync(join(tmpdir(), "bench-stack-"));
  const stack = await spawnStack(cwd, ["--port", "0", ...args], {
    CALLBACK_KEY: KEY,
    POWERTOOLS_LOG_LEVEL: "SILENT",
    LOCAL_OUTBOX_PRINT: "0",
  });
  return {
    name,
    url: stack.url,
    query: `?key=${KEY}`,
    stack,
    async stop() {
      stack.child.kill("SIGKILL");
      await stack.exited;
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}

const eventsDepth = async (sqs: SQSClient, stack: SpawnedStack) => {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: stack.state.eventsQueueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return Object.values(Attributes).reduce((sum, n) => sum + Number(n), 0);
};

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
  const result = await postLoad({
    url: () => `${contender.url}/api/sms/delivery-reports${contender.query}`,
    body: (i) =>
      `id=ATXid_${tag}_${i}&status=Success&phoneNumber=%2B254711000111&networkCode=63902&retryCount=0`,
    concurrency,
    total: requests,
  });
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
