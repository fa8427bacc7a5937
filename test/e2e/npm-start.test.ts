import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { postLoad } from "../../bench/load";
import { envelopeFor } from "../../functions/model/envelope";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/constants";
import type { LocalState } from "../../scripts/local-state";
import { ROOT } from "./user";

/**
 * `npm start` itself (npm, then node with tsx's loader), in a scratch folder that links to this
 * checkout, so that its `.local/` stays out of it. In its own process group: a Ctrl-C is SIGINT
 * to the whole group, as a terminal sends it.
 */
interface NpmStart {
  child: ChildProcess;
  output(): string;
  /** npm's exit code, or the signal it ended with (npm re-raises the SIGINT it relayed). */
  exited: Promise<number | string>;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  state(): LocalState;
}
const started: ChildProcess[] = [];
const folders: string[] = [];

function npmStart(args: string[], env: Record<string, string> = {}): NpmStart {
  const cwd = mkdtempSync(join(tmpdir(), "at-callbacks-npm-start-"));
  folders.push(cwd);
  for (const name of ["package.json", "node_modules", "scripts"]) {
    symlinkSync(join(ROOT, name), join(cwd, name));
  }
  const child = spawn("npm", ["start", "--", ...args], {
    cwd,
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: "ERROR", PORT: "", CALLBACK_KEY: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  started.push(child);
  let text = "";
  child.stdout?.on("data", (chunk) => {
    text += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    text += chunk;
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
  );
  return {
    child,
    output: () => text,
    exited,
    async waitForOutput(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(text)) {
        if (child.exitCode !== null)
          throw new Error(`npm start exited ${child.exitCode}:\n${text}`);
        if (Date.now() > deadline) throw new Error(`npm start never printed ${pattern}:\n${text}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    state: () => JSON.parse(readFileSync(join(cwd, ".local", "stack.json"), "utf8")) as LocalState,
  };
}

const ended = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/** Ctrl-C as a terminal delivers it: SIGINT to every process of the group (npm, node). */
const ctrlC = (child: ChildProcess) => child.pid && process.kill(-child.pid, "SIGINT");

const killGroup = (child: ChildProcess) => {
  try {
    if (child.pid) process.kill(-child.pid, "SIGKILL");
  } catch {
    // Already gone.
  }
};
afterAll(() => {
  for (const child of started) killGroup(child);
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** Both cores kept busy, as on the machine where one Ctrl-C once lost acknowledged callbacks. */
function loadTheMachine(): () => void {
  const burners = [0, 1].map(() =>
    spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" }),
  );
  return () => {
    for (const burner of burners) burner.kill("SIGKILL");
  };
}

/** A delivery report put on the events queue directly, to be received after `delaySeconds`. */
async function delayedCallback(state: LocalState, id: string, delaySeconds: number) {
  const sqs = new SQSClient({
    endpoint: state.sqsEndpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    useQueueUrlAsEndpoint: false,
  });
  const envelope = envelopeFor(
    "sms.delivery",
    "sms-delivery-reports",
    { id, status: "Success", phoneNumber: "+254711000500" },
    new Date(),
  );
  try {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: state.eventsQueueUrl,
        MessageBody: JSON.stringify(envelope),
        DelaySeconds: delaySeconds,
      }),
    );
  } finally {
    sqs.destroy();
  }
}

describe("Ctrl-C on npm start, as a terminal sends it", () => {
  let unload: (() => void) | undefined;
  afterEach(() => unload?.());

  it("one Ctrl-C under load on a loaded machine records everything acknowledged", async () => {
    const app = npmStart(["--port", "0", "--drain-seconds", "60"], {
      CALLBACK_KEY: "ctrl-c-key-0123456789",
    });
    await app.waitForOutput(/Ctrl-C stops everything/);
    const url = /running locally at (http:\/\/\S+)/.exec(app.output())?.[1];
    unload = loadTheMachine();
    // Recorded only 3 s after it is queued: the drain lasts at least that long, so any copy
    // of the Ctrl-C taken for a second one would stop it with this callback left behind.
    await delayedCallback(app.state(), "ATXid_ctrlc_delayed", 3);
    let acknowledged = 0;
    let signalled = false;
    await postLoad({
      url: () => `${url}/api/sms/delivery-reports?key=ctrl-c-key-0123456789`,
      body: (i) => `id=ATXid_ctrlc${i}&status=Success&phoneNumber=%2B254711000500`,
      concurrency: 10,
      total: 100_000,
      stop: () => signalled && ended(app.child),
      onResponse: (_i, status) => {
        if (status === 200) acknowledged++;
        if (acknowledged === 300 && !signalled) {
          signalled = true;
          ctrlC(app.child);
        }
      },
    });
    // npm relays the SIGINT, then ends with it once the script has exited.
    expect(await app.exited).toBe("SIGINT");
    unload();
    expect(acknowledged).toBeGreaterThanOrEqual(300);
    expect(app.output()).toMatch(/Stopping: new callbacks get 503/);
    expect(app.output()).toContain("Everything acknowledged is recorded");
    expect(app.output()).not.toMatch(/Left on the queues|Lost/);
  }, 180_000);

  it("a second Ctrl-C, a second or more after the first, stops at once", async () => {
    const app = npmStart(["--port", "0", "--drain-seconds", "60"]);
    await app.waitForOutput(/Ctrl-C stops everything/);
    // Not due for a minute: the drain would wait for it.
    await delayedCallback(app.state(), "ATXid_ctrlc_late", 60);
    ctrlC(app.child);
    await app.waitForOutput(/Stopping: new callbacks get 503/);
    await new Promise((r) => setTimeout(r, 1_500));
    const second = Date.now();
    ctrlC(app.child);
    expect(await app.exited).toBe("SIGINT");
    expect(Date.now() - second).toBeLessThan(20_000);
    expect(app.output()).toMatch(/Left on the queues: 1 callback\(s\) not yet recorded/);
  });
});

describe("npm start on a port in use", () => {
  const servers: Server[] = [];
  afterAll(async () => {
    for (const server of servers) await new Promise((r) => server.close(r));
  });
  const hold = async () => {
    const server = createServer();
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const address = server.address();
    if (!address || typeof address === "string") throw new Error("no port");
    return address.port;
  };

  it.each([
    ["the routes", "--port or PORT", "PORT"],
    ["the inspector", "INSPECTOR_PORT", "INSPECTOR_PORT"],
    ["SQS", "SQS_PORT", "SQS_PORT"],
    ["DynamoDB", "DYNAMODB_PORT", "DYNAMODB_PORT"],
  ])(
    "a port in use for %s: one line naming it and what moves it",
    async (what, setting, variable) => {
      const taken = await hold();
      // Every other port is free: any free one (0) for the routes, and the others set apart.
      const env: Record<string, string> = {
        INSPECTOR_PORT: "0",
        SQS_PORT: "0",
        DYNAMODB_PORT: "0",
        [variable]: String(taken),
      };
      const app = npmStart(variable === "PORT" ? [] : ["--port", "0"], env);
      const began = Date.now();
      const code = await app.exited;
      const lines = app
        .output()
        .split("\n")
        .filter((l) => l.trim() !== "" && !l.startsWith(">"));
      expect(code).toBe(2);
      expect(lines).toEqual([
        `port ${taken} (${what}) is in use: stop what holds it, or choose another with ${setting}`,
      ]);
      // Node with tsx's loader takes a few seconds to start on a busy machine; a hang never ends.
      expect(Date.now() - began).toBeLessThan(30_000);
    },
  );
});
