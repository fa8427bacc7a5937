import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { queryRecords } from "../functions/table/record-store";
import type { RecordItem } from "../functions/table/records";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../local/constants";
import type { LocalState } from "../scripts/local-state";

const root = fileURLToPath(new URL("..", import.meta.url));

export interface SpawnedStack {
  child: ChildProcess;
  url: string;
  state: LocalState;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<number | string>;
}

/** A stack that never became ready; its process (`pid`) has been killed and has exited. */
export class StackStartError extends Error {
  constructor(
    message: string,
    readonly pid: number | undefined,
  ) {
    super(message);
  }
}

/**
 * `npm start` as a user runs it (scripts/start.ts through tsx, in its own process), working in
 * `cwd` so that its `.local/` state stays out of the checkout. A process that never becomes
 * ready (it hangs, or prints something else) is killed before this rejects, and every process
 * still running when this one exits is killed with it: none is ever left behind.
 */
export async function spawnStack(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
  /** The checkout whose `npm start` runs (another one: the bench's before/after comparisons). */
  checkout = root,
  /** How long it may take to print its URLs (a cold start on a busy machine takes seconds). */
  readyTimeoutMs = 150_000,
): Promise<SpawnedStack> {
  const child = spawn(
    process.execPath,
    // Node itself with tsx's loader (the tsx CLI would run the script in a second process,
    // which a SIGKILL of the first would not reach).
    [
      "--import",
      pathToFileURL(join(checkout, "node_modules/tsx/dist/loader.mjs")).href,
      join(checkout, "scripts/start.ts"),
      ...args,
    ],
    {
      cwd,
      env: {
        ...process.env,
        POWERTOOLS_LOG_LEVEL: "ERROR",
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let text = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => {
      process.off("exit", killOnExit);
      resolve(code ?? signal ?? "unknown");
    }),
  );
  const waitForOutput = (pattern: RegExp, timeoutMs = 25_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = text.match(pattern);
        if (!match) return;
        done();
        resolve(match);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`never printed ${pattern}; printed:\n${text}`));
      }, timeoutMs);
      const ended = () => {
        done();
        reject(new Error(`exited before printing ${pattern}; printed:\n${text}`));
      };
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
        child.off("exit", ended);
      };
      listeners.add(check);
      child.once("exit", ended);
      check();
    });
  try {
    const [, url = ""] = await waitForOutput(/running locally at (http:\/\/\S+)/, readyTimeoutMs);
    const state = JSON.parse(readFileSync(join(cwd, ".local/stack.json"), "utf8")) as LocalState;
    return { child, url, state, output: () => text, waitForOutput, exited };
  } catch (error) {
    child.kill("SIGKILL");
    await exited;
    throw new StackStartError((error as Error).message, child.pid);
  }
}

/** The records of one type the stack holds, received since `since` (an ISO time). */
export async function recordsOf(
  stack: SpawnedStack,
  type: RecordItem["type"],
  since: string,
): Promise<RecordItem[]> {
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: stack.state.dynamodbEndpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    }),
  );
  try {
    return await queryRecords(documents, stack.state.tableName, { type, since, limit: 1_000_000 });
  } finally {
    documents.destroy();
  }
}
